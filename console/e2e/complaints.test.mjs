// The complaints area in a real browser: the 12345 import with a bad line, the ledger's figures
// and export, typical cases from submission to the month's list, and the queue monitor that only
// the city's administrators may open.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { startKehou, launchBrowser, shots, signIn as signIn_, assertFast, pick } from './kehou.mjs'

let kehou, browser

before(async () => {
  kehou = await startKehou()
  browser = await launchBrowser()
})

after(async () => {
  await browser?.close()
  await kehou?.stop()
})

const signIn = async (page, username, password) => {
  await signIn_(kehou.base, page, username, password)
  await page.waitForURL(/\/console\/dashboard/)
}

const stamp = Date.now().toString(36).toUpperCase()
const csv = (lines) => Buffer.from(['工单编号,受理日期,学校,类别,诉求内容', ...lines].join('\r\n') + '\r\n')

test('a county officer imports a 12345 file, sees the bad line, fixes it and finds the tickets in the ledger', async (t) => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
  await signIn(page, 'county-dh')
  await page.getByRole('menuitem', { name: '投诉台账' }).click()
  await page.waitForURL(/\/console\/complaints$/)
  const received = page.locator('[data-test=complaint-stats] [data-key=received]')
  await received.filter({ hasText: /^\d+$/ }).waitFor()
  await assertFast(t, page, received.filter({ hasText: /^\d+$/ }), 'complaints ledger')
  const before = Number(await received.textContent())

  const good = [
    `GD${stamp}01,2026-11-20,东湖区实验小学,收费,课后服务收费标准未在校内公示${stamp}`,
    `GD${stamp}02,2026-11-21,,安全,放学接送路口拥堵无人疏导${stamp}`,
  ]
  const bad = `GD${stamp}03,2026-02-30,东湖区实验小学,餐饮,点心分量不足`
  await page.getByRole('button', { name: '导入12345工单' }).click()
  const dialog = page.getByRole('dialog', { name: '导入12345工单' })
  await dialog.locator('[data-test=ticket-file]').setInputFiles({ name: '12345.csv', mimeType: 'text/csv', buffer: csv([good[0], bad, good[1]]) })
  await dialog.getByRole('button', { name: '导入', exact: true }).click()
  // The bad line is named with its column and what is wrong; nothing was imported.
  await dialog.getByRole('alert').getByText('未导入任何数据').waitFor()
  const row = dialog.locator('[data-test=line-errors] .el-table__row')
  await row.first().waitFor()
  assert.equal(await row.count(), 1)
  assert.match(await row.first().innerText(), /第3行\s+受理日期\s+应为日期/)
  await page.screenshot({ path: join(shots, 'complaints-import-bad-line.png') })

  // The officer drops the bad line and uploads again.
  await dialog.locator('[data-test=ticket-file]').setInputFiles({ name: '12345.csv', mimeType: 'text/csv', buffer: csv(good) })
  await dialog.getByRole('button', { name: '导入', exact: true }).click()
  await dialog.locator('[data-test=import-result]', { hasText: '新增 2 件，已在台账中跳过 0 件' }).waitFor()
  assert.equal(await dialog.locator('[data-test=line-errors]').count(), 0)
  // The same file again adds nothing.
  await dialog.getByRole('button', { name: '导入', exact: true }).click()
  await dialog.locator('[data-test=import-result]', { hasText: '新增 0 件，已在台账中跳过 2 件' }).waitFor()
  await dialog.getByRole('button', { name: '关闭' }).first().click()

  const ledger = page.locator('[data-test=complaints] .el-table__row')
  await ledger.filter({ hasText: `课后服务收费标准未在校内公示${stamp}` }).waitFor()
  await ledger.filter({ hasText: `放学接送路口拥堵无人疏导${stamp}` }).waitFor()
  await received.filter({ hasText: String(before + 2) }).waitFor()
  await page.screenshot({ path: join(shots, 'complaints-ledger-imported.png'), fullPage: true })

  // The ledger downloads as the bureau's XLSX.
  const [file] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: '导出台账' }).click()])
  assert.match(file.suggestedFilename(), /^投诉台账-\d{8}\.xlsx$/)

  // Assigned with the default 5 working days, the deadline says how many are left, on the
  // complaint and in the ledger.
  await ledger.filter({ hasText: `课后服务收费标准未在校内公示${stamp}` }).click()
  await page.waitForURL(/\/console\/complaints\/\w+$/)
  await pick(page, '承办学校', '东湖区实验小学')
  await page.getByRole('button', { name: '交办' }).click()
  await page.locator('[data-test=status]', { hasText: '已交办' }).waitFor()
  await page.getByText('（剩5个工作日）').waitFor()
  await page.goto(`${kehou.base}/console/complaints`)
  await ledger.filter({ hasText: `GD${stamp}01` }).getByText('剩5个工作日').waitFor()
  await page.setViewportSize({ width: 390, height: 844 })
  await page.screenshot({ path: join(shots, 'complaints-ledger-phone.png'), fullPage: true })
  await page.close()
})

test('a school submits a typical case; the county returns nothing without a reason, accepts and features it', async (t) => {
  const title = `剪纸社团进校园${stamp}`
  const school = await browser.newPage({ viewport: { width: 1280, height: 900 } })
  await signIn(school, 'school-dh1')
  await school.getByRole('menuitem', { name: '典型案例' }).click()
  await school.getByRole('button', { name: '提交案例' }).click()
  const form = school.getByRole('dialog', { name: '提交典型案例' })
  await form.getByLabel('标题').fill(title)
  await form.getByLabel('案例内容').fill('我校开设非遗剪纸社团，每周两次，家长参与度高。')
  await form.getByLabel('图片链接').fill('http://insecure.example/1.jpg')
  await form.getByRole('button', { name: '提交' }).click()
  // The API's word on the link appears beside the field, and what was typed stays.
  await form.locator('.el-form-item', { hasText: '图片链接' }).locator('.el-form-item__error', { hasText: 'https' }).waitFor()
  await form.getByLabel('图片链接').fill('')
  await form.getByRole('button', { name: '提交' }).click()
  await school.locator('[data-test=cases] .el-table__row', { hasText: title }).locator('text=待审核').waitFor()
  await school.close()

  const county = await browser.newPage({ viewport: { width: 1280, height: 900 } })
  await signIn(county, 'county-dh')
  await county.getByRole('menuitem', { name: '典型案例' }).click()
  const row = county.locator('[data-test=cases] .el-table__row', { hasText: title })
  await row.waitFor()
  await assertFast(t, county, row, 'typical cases')
  await row.click()
  const drawer = county.getByRole('dialog', { name: title })
  await drawer.getByRole('button', { name: '退回修改' }).click()
  await drawer.locator('.el-form-item__error').waitFor()
  await drawer.getByRole('button', { name: '审核通过' }).click()
  await drawer.locator('[data-test=case-status]', { hasText: '已通过' }).waitFor()
  await drawer.getByRole('button', { name: '推荐到本月典型案例' }).click()
  await drawer.locator('[data-test=case-status]', { hasText: '已推荐' }).waitFor()
  await county.screenshot({ path: join(shots, 'complaints-case-featured.png') })
  await drawer.getByRole('button', { name: /关闭|Close/ }).click()
  await county.getByRole('tab', { name: '每月推荐' }).click()
  await county.locator('[data-test=featured-case]', { hasText: title }).getByText('区县推荐').waitFor()
  await county.screenshot({ path: join(shots, 'complaints-cases-featured-list.png'), fullPage: true })
  await county.close()
})

test('the city administrator opens the queue monitor from the console', async (t) => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } })
  const page = await context.newPage()
  await signIn(page, 'admin', 'kehou-admin-2026')
  await page.getByRole('menuitem', { name: '任务队列' }).click()
  await page.waitForURL(/\/console\/system\/queues$/)
  const open = page.getByRole('button', { name: '打开任务队列' })
  await assertFast(t, page, open, 'queues')
  await page.screenshot({ path: join(shots, 'complaints-queues-console.png') })
  const [monitor] = await Promise.all([context.waitForEvent('page'), open.click()])
  await monitor.waitForURL(/\/admin\/queues\/$/)
  await monitor.waitForLoadState('domcontentloaded')
  assert.equal(await monitor.title(), 'Asynq - Monitoring')
  // asynqmon's dashboard lists kehou's queues (the demo's start has run tasks on them).
  await monitor.getByText('Queues', { exact: true }).first().waitFor()
  await monitor.getByRole('cell', { name: 'default' }).first().waitFor()
  await monitor.screenshot({ path: join(shots, 'complaints-queues-asynqmon.png') })
  await page.locator('[data-test=mode]', { hasText: '只读模式' }).waitFor()
  await context.close()
})

test('a county officer has no queue menu, and a direct visit to the monitor is refused', async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
  await signIn(page, 'county-dh')
  await page.getByRole('menuitem', { name: '投诉台账' }).waitFor()
  assert.equal(await page.getByRole('menuitem', { name: '任务队列' }).count(), 0)
  // The console's screen sends a county back to the dashboard; the API refuses the ticket.
  await page.goto(`${kehou.base}/console/system/queues`)
  await page.waitForURL(/\/console\/dashboard/)
  const status = await page.evaluate(async () => {
    const { token } = JSON.parse(sessionStorage.getItem('kehou.console.session'))
    const r = await fetch('/api/v1/admin/queues/session', { method: 'POST', headers: { Authorization: `Bearer ${token}` } })
    return r.status
  })
  assert.equal(status, 403)
  const res = await page.goto(`${kehou.base}/admin/queues/`)
  assert.equal(res.status(), 401)
  await page.getByRole('heading', { name: '需要市级管理员授权' }).waitFor()
  await page.screenshot({ path: join(shots, 'complaints-queues-refused.png') })
  await page.close()
})
