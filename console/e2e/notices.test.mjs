// Notices in the console: a school broadcasts an open-day notice to its families, watches the
// delivery report fill in as the sandbox sends, finds a family by its number and reminds those
// who have not confirmed. Families are bound through the API, as parents would in the
// mini-program (the demo city has pupils but no bound parents).
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { startKehou, launchBrowser, shots, demoPassword, signIn as signIn_, pick, assertFast as assertFast_ } from './kehou.mjs'

// assertFast, and on a miss the API calls the page waited for (start → answered).
async function assertFast(t, page, ready, name) {
  try {
    return await assertFast_(t, page, ready, name)
  } catch (e) {
    const calls = await page.evaluate(() => performance.getEntriesByType('resource').filter((x) => x.name.includes('/api/v1/'))
      .map((x) => `${x.name.replace(/^https?:\/\/[^/]+/, '')} ${x.startTime.toFixed(0)}→${x.responseEnd.toFixed(0)} ms`))
    t.diagnostic(`${name}: ${calls.join(' | ')}`)
    throw e
  }
}

let kehou, browser

before(async () => {
  kehou = await startKehou()
  browser = await launchBrowser()
})

after(async () => {
  await browser?.close()
  await kehou?.stop()
})

async function api(method, path, token, body) {
  const r = await fetch(`${kehou.base}${path}`, {
    method,
    headers: { ...(token ? { Authorization: `Bearer ${token}` } : {}), ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  })
  const text = await r.text()
  if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${text}`)
  return text.startsWith('{') ? JSON.parse(text) : text
}

/**
 * bindFamilies signs in parents (dev:<name>) and binds each to a pupil of the school from its
 * binding-code list; the first accepts subscribe messages, the next two authorise a phone
 * number (13800000011, 13800000012), the last does neither.
 */
async function bindFamilies(username) {
  const { token } = await api('POST', '/api/v1/admin/login', null, { username, password: demoPassword })
  const me = await api('GET', '/api/v1/admin/me', token)
  const csv = (await api('GET', `/api/v1/admin/schools/${me.school_id}/binding-codes`, token)).replace(/^\ufeff/, '')
  const rows = csv.trim().split(/\r?\n/).slice(1).map((l) => l.split(','))
  const parents = []
  for (const [i, row] of rows.slice(0, 4).entries()) {
    const { token: p } = await api('POST', '/api/v1/mp/login', null, { code: `dev:openday-${i}` })
    await api('POST', '/api/v1/mp/children', p, { school_id: me.school_id, student_no: row[0], name: row[1] })
    if (i === 0) await api('POST', '/api/v1/mp/subscriptions', p, { results: { 'sandbox-notice': 'accept' } })
    if (i === 1 || i === 2) await api('POST', '/api/v1/mp/phone', p, { code: `devphone:138000000${11 + i - 1}` })
    parents.push(p)
  }
  return parents
}

/** until polls cond (an async predicate) for up to 15 s. */
async function until(cond, what) {
  const deadline = Date.now() + 15_000
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

const cell = (page, channel, status) => page.locator(`[data-test=channels] tr[data-channel=${channel}] td[data-status=${status}]`)

test('a school broadcasts an open-day notice, watches it go out, finds a family and reminds the unconfirmed', async (t) => {
  const parents = await bindFamilies('school-dh1')
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
  await signIn_(kehou.base, page, 'school-dh1')
  await page.waitForURL(/\/console\/dashboard/)

  // The teachers' group robot; its key is typed once and never shown again.
  await page.getByRole('menuitem', { name: '群机器人' }).click()
  await page.waitForURL(/\/console\/robots$/)
  await page.getByRole('button', { name: '添加机器人' }).click()
  await page.getByLabel('名称').fill('三年级教师群')
  await page.getByRole('button', { name: '保存' }).click()
  await page.locator('.el-form-item', { hasText: 'Webhook key' }).locator('.el-form-item__error').waitFor()
  await page.getByLabel('Webhook key').fill('demo-robot-key-0001')
  await page.getByRole('button', { name: '保存' }).click()
  await page.locator('[data-test=robots] .el-table__row', { hasText: '三年级教师群' }).waitFor()
  assert.equal(await page.getByText('demo-robot-key-0001').count(), 0, 'the key must not be shown')
  await assertFast(t, page, page.locator('[data-test=robots] .el-table__row', { hasText: '三年级教师群' }), 'robots')
  await page.screenshot({ path: join(shots, 'notices-robots.png'), fullPage: true })

  // Compose: an open-day notice to the whole school, confirmation required. Urgent, so that it
  // goes out now whatever the hour (quiet hours hold the others until 07:30).
  await page.getByRole('menuitem', { name: '发布通知' }).click()
  await page.waitForURL(/\/console\/notices\/new$/)
  await assertFast(t, page, page.getByLabel('标题'), 'notice compose')
  await pick(page, '类型', '家长开放日')
  await page.getByLabel('正文').fill('12月12日上午9点家长开放日，欢迎到校听课并参观课后服务。请点“确认”回执。')
  await page.getByRole('button', { name: '发送', exact: true }).click()
  // The API's error sits beside the field it names; what was typed stays.
  await page.locator('.el-form-item', { hasText: '标题' }).locator('.el-form-item__error').waitFor()
  assert.match(await page.getByLabel('正文').inputValue(), /家长开放日/)
  await page.getByLabel('标题').fill('东湖区实验小学家长开放日')
  assert.ok(await page.getByRole('radio', { name: '本校全部家长' }).isChecked(), 'the whole school is the default audience')
  await pick(page, '同时发到群机器人', '三年级教师群')
  await page.keyboard.press('Escape')
  await page.getByText('紧急（夜间').click()
  await page.getByText('需要家长回执确认').click()
  await page.screenshot({ path: join(shots, 'notices-compose.png'), fullPage: true })
  await page.getByRole('button', { name: '发送', exact: true }).click()
  await page.waitForURL(/\/console\/notices\/[0-9a-f]{24}$/)
  const reportUrl = page.url()
  const noticeId = reportUrl.split('/').pop()

  // The report refreshes itself until the sandbox has sent everything.
  await page.locator('[data-test=status]', { hasText: '已发送' }).waitFor({ timeout: 60_000 })
  await page.locator('[data-test=live]').waitFor({ state: 'detached', timeout: 60_000 })
  await page.locator('[data-test=stats]', { hasText: '收件人' }).waitFor()
  const stats = await page.locator('[data-test=stats]').innerText()
  assert.match(stats, /收件人\s*4/, stats)
  // Channel by channel: one family took the subscribe message, the two with numbers got an SMS
  // instead, the family with neither got neither (it still has the notice in the mini-program);
  // the robot posted to the teachers' group.
  assert.equal(await cell(page, 'wxsubscribe', 'sent').innerText(), '1')
  assert.equal(await cell(page, 'wxsubscribe', 'skipped').innerText(), '3')
  assert.equal(await cell(page, 'sms', 'sent').innerText(), '2')
  assert.equal(await cell(page, 'wecom', 'sent').innerText(), '1')
  await page.screenshot({ path: join(shots, 'notices-report.png'), fullPage: true })

  // One family confirms in the mini-program; the report counts it.
  await api('POST', `/api/v1/mp/notices/${noticeId}/confirm`, parents[0])
  await assertFast(t, page, page.locator('[data-test=channels] tr[data-channel=sms]'), 'notice report')
  assert.match(await page.locator('[data-test=stats]').innerText(), /已回执\s*1/)

  // Find a family by its number: its deliveries, its number masked, not yet confirmed.
  await page.getByLabel('按手机号查找').fill('138 0000 0012')
  await page.getByRole('button', { name: '查找' }).click()
  const found = page.locator('[data-test=recipients] .el-table__row')
  await until(async () => (await found.count()) === 2 && (await found.filter({ hasText: '138****0012' }).count()) === 2, 'the family\'s two deliveries')
  await found.filter({ hasText: '短信' }).filter({ hasText: '已发送' }).waitFor()
  await found.filter({ hasText: '小程序订阅消息' }).filter({ hasText: '家长未订阅' }).waitFor()
  await found.first().getByText('未回执').waitFor()
  assert.equal(await page.getByText('13800000012').count(), 0, 'the number is masked')
  await page.screenshot({ path: join(shots, 'notices-recipient.png'), fullPage: true })

  // Remind the three who have not confirmed.
  await page.getByRole('button', { name: '提醒未回执（3）' }).click()
  await page.getByRole('dialog').getByRole('button', { name: '发送提醒' }).click()
  await page.locator('[data-test=reminded]').waitFor()
  await page.getByRole('link', { name: '查看提醒的发送报告' }).click()
  await page.waitForURL((u) => u.href !== reportUrl && /\/notices\/[0-9a-f]{24}$/.test(u.pathname))
  await page.locator('.el-page-header', { hasText: '提醒：东湖区实验小学家长开放日' }).waitFor()
  await page.locator('[data-test=status]', { hasText: '已发送' }).waitFor({ timeout: 60_000 })
  await page.locator('[data-test=stats]', { hasText: /收件人\s*3/ }).waitFor({ timeout: 30_000 })
  await page.screenshot({ path: join(shots, 'notices-reminder.png'), fullPage: true })

  // The sandbox outbox of the first notice: what the fake SMS gateway and robot received.
  await page.goto(reportUrl)
  await page.getByRole('tab', { name: '沙箱发件箱' }).click()
  await page.locator('[data-test=outbox] .el-table__row', { hasText: '138****0011' }).waitFor()
  await page.locator('[data-test=outbox] .el-table__row', { hasText: '企业微信' }).waitFor()
  assert.equal(await page.locator('[data-test=outbox] .el-table__row').count(), 4)
  await page.screenshot({ path: join(shots, 'notices-outbox.png'), fullPage: true })

  // The list shows both, with their status and counts.
  await page.goto(`${kehou.base}/console/notices`)
  const row = page.locator('[data-test=notices] .el-table__row', { hasText: /^(?!.*提醒).*东湖区实验小学家长开放日/ })
  await row.locator('[data-test=status]', { hasText: '已发送' }).waitFor()
  await page.locator('[data-test=notices] .el-table__row', { hasText: '提醒：东湖区实验小学家长开放日' }).waitFor()
  await assertFast(t, page, page.locator('[data-test=notices] .el-table__row').first(), 'notices list')
  await page.screenshot({ path: join(shots, 'notices-list.png'), fullPage: true })
  await page.close()

  // On a phone the report reads in one column and its tables scroll.
  const phone = await (await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true })).newPage()
  await signIn_(kehou.base, phone, 'school-dh1')
  await phone.waitForURL(/\/console\/dashboard/)
  await phone.goto(reportUrl)
  await phone.locator('[data-test=channels] tr[data-channel=sms]').waitFor()
  await phone.screenshot({ path: join(shots, 'notices-report-phone.png'), fullPage: true })
  await phone.close()
})

test('on a phone, a county schedules a notice for a school and cancels it before it goes out', async () => {
  const page = await (await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true })).newPage()
  await signIn_(kehou.base, page, 'county-dh')
  await page.waitForURL(/\/console\/dashboard/)
  await page.goto(`${kehou.base}/console/notices/new`)
  await page.getByLabel('标题').fill('寒假托管报名安排')
  await page.getByLabel('正文').fill('寒假托管报名将于下周开始，具体安排另行通知。')
  await page.getByRole('radio', { name: '指定学校' }).check({ force: true })
  await pick(page, '学校', '东湖区实验小学')
  await page.keyboard.press('Escape')
  await page.getByRole('radio', { name: '定时发送' }).check({ force: true })
  const later = new Date(Date.now() + 30 * 86400_000).toISOString().slice(0, 10) // within the three months allowed
  await page.getByLabel('定时发送时间').fill(`${later} 09:00`)
  await page.keyboard.press('Enter')
  await page.screenshot({ path: join(shots, 'notices-compose-county-phone.png'), fullPage: true })
  await page.getByRole('button', { name: '定时发送', exact: true }).click()
  await page.waitForURL(/\/console\/notices\/[0-9a-f]{24}$/)
  await page.locator('[data-test=status]', { hasText: '待发送' }).waitFor()
  await page.getByRole('button', { name: '撤回' }).click()
  await page.getByRole('dialog').getByRole('button', { name: '撤回', exact: true }).click()
  await page.locator('[data-test=status]', { hasText: '已撤回' }).waitFor()
  await page.screenshot({ path: join(shots, 'notices-cancelled.png'), fullPage: true })
  await page.close()
})
