// Measures the staff console against a running kehou (bench/README.md, "Console at city scale"):
//
//	KEHOU_BASE=http://127.0.0.1:18090 KEHOU_ADMIN_PASSWORD=… node bench/console/measure.mjs
//
// It signs in as city, county and school staff (creating the accounts scale-county and
// scale-school through the API if they are missing), opens each main screen of the console by a
// full navigation, waits for the network to go idle and records, per screen, the time from
// navigation start to the last API answer (the Bar: < 1.5 s), the number of API calls, the
// largest API answer and the slowest call. It prints a table and the offenders. RUNS (3) loads
// per screen; the table gives the median and the worst. Needs `npm ci` in console/ (it uses
// console/e2e/kehou.mjs and its playwright-core) and Debian's Chromium.
import { writeFileSync } from 'node:fs'
import { launchBrowser, signIn, lastApiAnswer } from '../../console/e2e/kehou.mjs'

const base = process.env.KEHOU_BASE ?? 'http://127.0.0.1:8080'
const adminPassword = process.env.KEHOU_ADMIN_PASSWORD ?? 'kehou-admin-2026'
const staffPassword = 'kehou-scale-2026'
const runs = Number(process.env.RUNS ?? 3)
const only = process.env.ONLY ? new RegExp(process.env.ONLY) : null // e.g. ONLY='org|notices'
const barMs = 1500
const bigBytes = 500 * 1024

async function api(token, method, path, body) {
  const r = await fetch(base + path, {
    method,
    headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}), ...(method === 'POST' ? { 'Idempotency-Key': crypto.randomUUID() } : {}) },
    body: body && JSON.stringify(body),
  })
  const text = await r.text()
  return { status: r.status, json: text ? JSON.parse(text) : null }
}

async function login(username, password) {
  const r = await api(null, 'POST', '/api/v1/admin/login', { username, password })
  if (r.status !== 200) throw new Error(`login ${username}: ${r.status} ${JSON.stringify(r.json)}`)
  return r.json
}

const first = async (token, path) => (await api(token, 'GET', path)).json?.items?.[0]

/** accounts returns the three staff accounts, creating the county and school ones if missing. */
async function accounts() {
  const city = await login('admin', adminPassword)
  const county = await first(city.token, '/api/v1/admin/counties')
  const school = await first(city.token, `/api/v1/admin/schools?county_id=${county.id}&limit=1`)
  for (const s of [
    { username: 'scale-county', name: '区县管理员', role: 'county', county_id: county.id },
    { username: 'scale-school', name: '学校管理员', role: 'school', school_id: school.id },
  ]) {
    const r = await api(city.token, 'POST', '/api/v1/admin/staff', { ...s, password: staffPassword })
    if (r.status !== 201 && r.status !== 409) throw new Error(`create ${s.username}: ${r.status} ${JSON.stringify(r.json)}`)
  }
  return [
    { role: 'city', username: 'admin', password: adminPassword, token: city.token, school: school.id },
    { role: 'county', username: 'scale-county', password: staffPassword, school: school.id },
    { role: 'school', username: 'scale-school', password: staffPassword, school: school.id },
  ]
}

/** screens lists each role's main screens (console/src/areas/*.ts) with ids from its scope. */
async function screens(acc) {
  const t = acc.token ?? (await login(acc.username, acc.password)).token
  const id = async (path) => (await first(t, `/api/v1/admin/${path}?limit=1`))?.id
  const [notice, survey, event, programme, complaint, selection] = await Promise.all(
    ['notices', 'surveys', 'events', 'programmes', 'complaints', 'selections'].map(id),
  )
  const all = [
    ['dashboard'],
    ['org/counties', ['city']],
    ['org/schools', ['city', 'county']],
    [`org/schools/${acc.school}`],
    [`org/schools/${acc.school}/letters`],
    ['org/staff', ['city', 'county']],
    ['org/audit', ['city', 'county']],
    ['org/calendar'],
    ['notices'],
    ['notices/new'],
    notice && [`notices/${notice}`],
    ['robots'],
    ['surveys'],
    ['survey-templates'],
    survey && [`surveys/${survey}`],
    survey && [`surveys/${survey}/results`],
    ['events'],
    ['events/checkin'],
    event && [`events/${event}`],
    ['programmes'],
    programme && [`programmes/${programme}`],
    ['attendance'],
    ['volunteers'],
    ['volunteer-hours'],
    ['teacher-hours'],
    ['plans'],
    [`schools/${acc.school}/plans/2026-spring`],
    ['institutions'],
    ['selections'],
    selection && [`selections/${selection}`],
    ['complaints'],
    complaint && [`complaints/${complaint}`],
    ['cases'],
    ['reports'],
    ['system/queues', ['city']],
  ]
  return all.filter((s) => s && (!s[1] || s[1].includes(acc.role)) && (!only || only.test(s[0]))).map((s) => s[0])
}

/** load opens one screen by a full navigation and reads the page's resource timings. */
async function load(page, path) {
  const failed = []
  const onResponse = (r) => r.url().includes('/api/v1/') && r.status() >= 400 && failed.push(`${r.status()} ${shortUrl(r.url())}`)
  // API calls still unanswered when the page went idle (or at the timeout) are not in the
  // resource timings: they are reported apart, as the screen has not finished loading.
  const pending = new Set()
  const onRequest = (r) => r.url().includes('/api/v1/') && pending.add(r)
  const onDone = (r) => pending.delete(r)
  page.on('request', onRequest)
  page.on('requestfinished', onDone)
  page.on('requestfailed', onDone)
  page.on('response', onResponse)
  let idle = true
  try {
    await page.goto(`${base}/console/${path}`, { waitUntil: 'networkidle', timeout: 30_000 })
  } catch {
    idle = false // polling screens may never go idle; measure what was answered by then
  }
  page.off('response', onResponse)
  page.off('request', onRequest)
  page.off('requestfinished', onDone)
  page.off('requestfailed', onDone)
  for (const r of pending) failed.push(`unanswered ${shortUrl(r.url())}`)
  for (let attempt = 0; ; attempt++) {
    try {
      return await timings(page, failed, idle)
    } catch (e) {
      // The screen navigated again after going idle (a redirect): measure where it landed.
      if (attempt > 0) throw e
      await page.waitForLoadState('networkidle', { timeout: 30_000 }).catch(() => {})
    }
  }
}

async function timings(page, failed, idle) {
  const last = await lastApiAnswer(page)
  const calls = await page.evaluate(() =>
    performance
      .getEntriesByType('resource')
      .filter((e) => e.name.includes('/api/v1/'))
      .map((e) => ({ url: e.name, end: e.responseEnd, ms: e.duration, size: e.decodedBodySize, wire: e.transferSize })),
  )
  return { last, calls, failed, idle, landed: new URL(page.url()).pathname }
}

const shortUrl = (u) => {
  const x = new URL(u)
  return x.pathname.replace('/api/v1/admin', '').replace(/[0-9a-f]{24,}|[0-9A-HJKMNP-TV-Z]{26}/gi, ':id') + (x.search.length > 1 ? x.search.replace(/=[^&]{12,}/g, '=…') : '')
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]
const kb = (b) => (b / 1024).toFixed(b < 10240 ? 1 : 0)

const accs = await accounts()
const browser = await launchBrowser()
const rows = []
try {
  for (const acc of accs) {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } })
    const page = await ctx.newPage()
    await signIn(base, page, acc.username, acc.password)
    await page.waitForURL(/\/console\/dashboard/, { timeout: 30_000 })
    for (const path of await screens(acc)) {
      const results = []
      for (let i = 0; i < runs; i++) results.push(await load(page, path))
      const worst = results.reduce((a, b) => (b.last > a.last ? b : a))
      const biggest = worst.calls.reduce((a, b) => (b.size > a.size ? b : a), { size: 0, url: '' })
      const slowest = worst.calls.reduce((a, b) => (b.end > a.end ? b : a), { end: 0, ms: 0, url: '' })
      const row = {
        role: acc.role,
        screen: path.replace(/[0-9a-f]{24,}|[0-9A-HJKMNP-TV-Z]{26}/gi, ':id'),
        median: median(results.map((r) => r.last)),
        worst: worst.last,
        calls: worst.calls.length,
        bytes: worst.calls.reduce((s, c) => s + c.size, 0),
        biggest: biggest.size,
        biggestCall: biggest.url && shortUrl(biggest.url),
        slowestCall: slowest.url && `${shortUrl(slowest.url)} ${slowest.ms.toFixed(0)} ms`,
        failed: [...new Set(results.flatMap((r) => r.failed))],
        busy: results.some((r) => !r.idle),
        landed: worst.landed.replace('/console/', ''),
      }
      rows.push(row)
      if (process.env.OUT) writeFileSync(process.env.OUT, JSON.stringify(rows, null, 2))
      console.error(`${row.role} ${row.screen}: ${row.median.toFixed(0)} / ${row.worst.toFixed(0)} ms, ${row.calls} calls, largest ${kb(row.biggest)} KB`)
    }
    await ctx.close()
  }
} finally {
  await browser.close()
}

console.log('| role | screen | last API answer, median / worst (ms) | API calls | largest answer (KB) | largest call | slowest call (worst load) | notes |')
console.log('|---|---|---:|---:|---:|---|---|---|')
for (const r of rows) {
  const notes = [
    r.worst >= barMs && '**> 1.5 s**',
    r.biggest > bigBytes && '**> 500 KB**',
    r.failed.length && `failed: ${r.failed.join(', ')}`,
    r.busy && 'not idle within 30 s',
    r.landed !== r.screen && !r.screen.includes(':id') && `landed on ${r.landed}`,
  ].filter(Boolean)
  console.log(`| ${r.role} | ${r.screen} | ${r.median.toFixed(0)} / ${r.worst.toFixed(0)} | ${r.calls} | ${kb(r.biggest)} | ${r.biggestCall} | ${r.slowestCall} | ${notes.join('; ')} |`)
}
const slow = rows.filter((r) => r.worst >= barMs || r.biggest > bigBytes)
console.log(`\n${rows.length} screen loads measured (${runs} each); ${slow.length} over the bar (1.5 s) or with an answer > 500 KB.`)
if (process.env.OUT) writeFileSync(process.env.OUT, JSON.stringify(rows, null, 2))
