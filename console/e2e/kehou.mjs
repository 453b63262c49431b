// Starts a real `kehou run` (embedded MongoDB stand-in, embedded Redis, sandbox WeChat, the demo
// city) on a free port with its own data directory, and a real Chromium (Debian's, through
// playwright-core). The tests drive the console as a person would.
import { spawn } from 'node:child_process'
import { mkdtempSync, mkdirSync, existsSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { chromium } from 'playwright-core'

export const root = resolve(import.meta.dirname, '..', '..')
export const shots = resolve(import.meta.dirname, '..', 'test-results')
export const demoPassword = 'kehou-demo-2026'

function freePort() {
  return new Promise((ok, fail) => {
    const srv = createServer()
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address()
      srv.close(() => ok(port))
    })
    srv.on('error', fail)
  })
}

/** startKehou runs bin/kehou and resolves when it is ready. */
export async function startKehou() {
  const bin = join(root, 'bin', 'kehou')
  if (!existsSync(bin)) throw new Error(`${bin} is missing: run make build first`)
  const port = await freePort()
  const dir = mkdtempSync(join(tmpdir(), 'kehou-e2e-'))
  const logs = []
  const proc = spawn(bin, ['run'], {
    env: { ...process.env, KEHOU_DATA_DIR: dir, KEHOU_HTTP_ADDR: `127.0.0.1:${port}`, KEHOU_ADMIN_PASSWORD: 'kehou-admin-2026' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  proc.stdout.on('data', (b) => logs.push(String(b)))
  proc.stderr.on('data', (b) => logs.push(String(b)))
  const base = `http://127.0.0.1:${port}`
  const deadline = Date.now() + 120_000
  for (;;) {
    if (proc.exitCode != null) throw new Error(`kehou run exited ${proc.exitCode}:\n${logs.join('')}`)
    try {
      const r = await fetch(`${base}/readyz`)
      if (r.ok) break
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) throw new Error(`kehou run not ready in 120 s:\n${logs.join('')}`)
    await new Promise((r) => setTimeout(r, 250))
  }
  return {
    base,
    logs,
    async stop() {
      proc.kill('SIGTERM')
      await new Promise((r) => (proc.exitCode != null ? r() : proc.on('exit', r)))
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** launchBrowser starts Debian's Chromium; under CI=true a missing browser is a failure. */
export async function launchBrowser() {
  const executablePath = process.env.KEHOU_CHROMIUM ?? '/usr/bin/chromium'
  if (!existsSync(executablePath)) throw new Error(`${executablePath} is missing: apt-get install chromium fonts-wqy-microhei (.ci/run does)`)
  mkdirSync(shots, { recursive: true })
  return chromium.launch({ executablePath, args: ['--no-sandbox', '--disable-dev-shm-usage'] })
}

/** lastApiAnswer measures from navigation start to the last API answer the page waited for. */
export async function lastApiAnswer(page) {
  return page.evaluate(() => {
    const api = performance.getEntriesByType('resource').filter((e) => e.name.includes('/api/v1/'))
    return Math.max(0, ...api.map((e) => e.responseEnd))
  })
}

/** signIn opens the console and signs in (the demo password unless given). */
export async function signIn(base, page, username, password = demoPassword) {
  await page.goto(`${base}/`)
  await page.waitForURL(/\/console\/login/)
  await page.getByLabel('用户名').fill(username)
  await page.getByLabel('密码', { exact: true }).fill(password)
  await page.getByRole('button', { name: '登录' }).click()
}

/** pick chooses an option of the el-select inside the form item labelled itemLabel. */
export async function pick(page, itemLabel, option) {
  await page.locator('.el-form-item', { hasText: itemLabel }).locator('.el-select').click()
  const item = page.locator('.el-select-dropdown__item:visible', { hasText: option }).first()
  await item.click()
  // A single select's dropdown fades out; until it has gone it covers what is below it (a
  // button the next step clicks), which a slow machine makes visible. A multiple select's
  // stays open: the short wait ends without it.
  await item.waitFor({ state: 'hidden', timeout: 1500 }).catch(() => {})
}

/**
 * assertFast reloads the page, waits for its API calls to settle and asserts the last one was
 * answered within 1.5 s of navigation start (the console's bar), reporting the figure.
 * ready is a locator that shows the screen has drawn.
 */
export async function assertFast(t, page, ready, name) {
  await page.reload()
  await ready.waitFor()
  await page.waitForLoadState('networkidle')
  const ms = await lastApiAnswer(page)
  t.diagnostic(`${name}: last API answer ${ms.toFixed(0)} ms after navigation start`)
  if (!(ms > 0 && ms < 1500)) throw new Error(`${name}: last API answer at ${ms.toFixed(0)} ms after navigation start (bar 1500 ms)`)
  return ms
}
