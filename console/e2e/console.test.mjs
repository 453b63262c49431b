import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { startKehou, launchBrowser, lastApiAnswer, shots, demoPassword } from './kehou.mjs'

let kehou, browser

before(async () => {
  kehou = await startKehou()
  browser = await launchBrowser()
})

after(async () => {
  await browser?.close()
  await kehou?.stop()
})

async function signIn(page, username, password = demoPassword) {
  await page.goto(`${kehou.base}/`)
  await page.waitForURL(/\/console\/login/)
  await page.getByLabel('用户名').fill(username)
  await page.getByLabel('密码', { exact: true }).fill(password)
  await page.getByRole('button', { name: '登录' }).click()
}

test('a county officer signs in, sees the scope and the dashboard in under 1.5 s, and signs out', async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } })
  await signIn(page, 'county-dh')
  await page.waitForURL(/\/console\/dashboard/)
  await page.locator('[data-test=headlines] [data-key=five_plus_two]').waitFor()
  await assert.doesNotReject(page.getByText('5+2').first().waitFor())
  await page.locator('[data-test=scope]', { hasText: /^县（区）级 · \S+/ }).waitFor()

  // A fresh load of the dashboard, measured as the browser sees it.
  await page.reload()
  await page.locator('[data-test=headlines] [data-key=five_plus_two]').waitFor()
  await page.waitForLoadState('networkidle')
  const ms = await lastApiAnswer(page)
  assert.ok(ms > 0 && ms < 1500, `dashboard's last API answer at ${ms.toFixed(0)} ms after navigation start`)
  await page.screenshot({ path: join(shots, 'dashboard-county.png'), fullPage: true })

  await page.getByRole('button', { name: /county-dh/ }).click()
  await page.getByText('退出登录').click()
  await page.waitForURL(/\/console\/login/)
  await page.goto(`${kehou.base}/console/dashboard`)
  await page.waitForURL(/\/console\/login\?next=/)
  await page.close()
})

test('a wrong password is said in Chinese, and a phone-sized screen can sign in', async () => {
  const page = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true })
  await signIn(page, 'school-dh1', 'not-the-password-1')
  await page.getByRole('alert').getByText('用户名或密码不正确').waitFor()
  await page.screenshot({ path: join(shots, 'login-wrong-password-phone.png') })
  await page.getByLabel('密码', { exact: true }).fill(demoPassword)
  await page.getByRole('button', { name: '登录' }).click()
  await page.waitForURL(/\/console\/dashboard/)
  await page.locator('[data-test=scope]', { hasText: /^学校 · \S+/ }).waitFor()
  await page.screenshot({ path: join(shots, 'dashboard-school-phone.png'), fullPage: true })
  await page.close()
})
