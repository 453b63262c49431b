// Browser journeys of plans, course selection with its draw, and the monthly report, against a
// real `kehou run` with the demo city. Parents act through the API, as the mini-program would.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { join } from 'node:path'
import { startKehou, launchBrowser, shots, signIn as signIn_, pick, assertFast, root } from './kehou.mjs'

let kehou, browser

before(async () => {
  kehou = await startKehou()
  browser = await launchBrowser()
})

after(async () => {
  await browser?.close()
  await kehou?.stop()
})

const signIn = async (page, username) => {
  await signIn_(kehou.base, page, username)
  await page.waitForURL(/\/console\/dashboard/)
}

async function apiCall(method, path, token, body) {
  const r = await fetch(kehou.base + path, {
    method,
    headers: { ...(token ? { Authorization: `Bearer ${token}` } : {}), ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  })
  const text = await r.text()
  if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${text}`)
  return r.headers.get('Content-Type')?.includes('json') ? JSON.parse(text) : text
}
const login = async (path, body) => (await apiCall('POST', path, undefined, body)).token

/** bindParents signs in n sandbox parents and binds each to a pupil of the grade (cmd/kehou's bindParents). */
async function bindParents(staff, schoolId, grade, prefix, n) {
  const csv = (await apiCall('GET', `/api/v1/admin/schools/${schoolId}/binding-codes`, staff)).replace(/^\ufeff/, '')
  const rows = csv.trim().split(/\r?\n/).slice(1).map((l) => l.split(','))
  const out = []
  for (const [i, row] of rows.entries()) {
    if (row[2] !== grade || out.length === n) continue
    const token = await login('/api/v1/mp/login', { code: `dev:${prefix}${i}` })
    const b = await apiCall('POST', '/api/v1/mp/children', token, { school_id: schoolId, student_no: row[0], name: row[1] })
    out.push({ token, child: b.child_id })
  }
  assert.equal(out.length, n, `pupils of grade ${grade} to bind`)
  return out
}

const beijing = (d) => {
  const p = Object.fromEntries(new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit',
    hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' }).formatToParts(d).map((x) => [x.type, x.value]))
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}:${p.second}`
}
const lastMonth = () => {
  const [y, m] = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit' }).format(new Date()).slice(0, 7).split('-').map(Number)
  return m === 1 ? `${y - 1}-12` : `${y}-${String(m - 1).padStart(2, '0')}`
}

test('a county officer reads the plans list and a school\'s 2+N plan', async (t) => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
  await signIn(page, 'county-dh')
  await page.getByRole('menuitem', { name: '服务方案' }).click()
  await page.waitForURL(/\/console\/plans\?term=/)
  const rows = page.locator('[data-test=plans] .el-table__row')
  await rows.filter({ hasText: '东湖区实验小学' }).waitFor()
  // The county's figures with the targets, and the junior school short of urban 2+3.
  await page.locator('[data-test=levels] .el-table__row', { hasText: '合计' }).waitFor()
  await page.getByText(/城区学校 2\+3 不低于 80\.0%/).waitFor()
  await assert.doesNotReject(rows.filter({ hasText: '东湖区第一初级中学' }).locator('.no').first().waitFor())
  await page.screenshot({ path: join(shots, 'plans-list-county.png'), fullPage: true })
  await assertFast(t, page, rows.first(), 'plans list (county)')

  // Only the schools that fall short.
  await page.getByText('只看未达标').click()
  await rows.filter({ hasText: '东湖区第一初级中学' }).waitFor()
  await page.waitForFunction(() => ![...document.querySelectorAll('[data-test=plans] .el-table__row')].some((r) => r.textContent.includes('东湖区实验小学')))

  await page.getByText('只看未达标').click()
  await page.getByRole('link', { name: '东湖区实验小学' }).click()
  await page.waitForURL(/\/console\/schools\/\w+\/plans\/\d{4}-(spring|autumn)$/)
  await page.locator('[data-test=compliance]', { hasText: '5+2 达标' }).waitFor()
  await page.locator('[data-test=compliance]', { hasText: /2\+3 达到/ }).waitFor()
  await page.locator('[data-test=items] .el-table__row', { hasText: '作业辅导' }).waitFor()
  assert.equal(await page.locator('[data-test=days] .el-table__row').count(), 5)
  await page.screenshot({ path: join(shots, 'plans-school-plan-county.png'), fullPage: true })
  await assertFast(t, page, page.locator('[data-test=items] .el-table__row').first(), 'a school\'s plan (county)')

  // The county may edit it: an item without a name is refused beside the field, and what was typed stays.
  await page.getByRole('button', { name: '编辑方案' }).click()
  await page.getByRole('button', { name: '添加项目' }).click()
  const n = await page.locator('[data-test=plan-form] .el-card').nth(1).locator('.row').count()
  await page.getByRole('button', { name: '保存方案' }).click()
  await page.locator('.el-form-item', { hasText: `项目${n} 类别` }).locator('..').locator('.el-form-item__error').first().waitFor()
  await page.getByLabel(`项目${n} 名称`).fill('科学实验')
  await page.getByRole('button', { name: '保存方案' }).click()
  await page.locator('[data-test=items] .el-table__row', { hasText: '科学实验' }).waitFor()
  await page.close()
})

test('a school creates and publishes a course selection, parents rank courses, and the draw shows its proof', async (t) => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
  await signIn(page, 'school-dh1')
  await page.getByRole('menuitem', { name: '选课与摇号' }).click()
  await page.waitForURL(/\/console\/selections$/)
  await assertFast(t, page, page.getByRole('button', { name: '新建选课' }), 'selections list (school)')
  await page.getByRole('button', { name: '新建选课' }).click()

  // Sent without a name first: the API's error appears beside the field.
  const closes = new Date(Date.now() + 45_000)
  const form = page.locator('[data-test=selection-form]')
  const closesInput = form.locator('.el-form-item', { hasText: '截止选课' }).locator('input')
  await closesInput.fill(beijing(closes))
  await closesInput.press('Enter')
  await page.getByRole('button', { name: '创建草稿' }).click()
  await form.locator('.el-form-item', { hasText: /^名称/ }).locator('.el-form-item__error').waitFor()
  await page.getByLabel('名称', { exact: true }).fill('三年级社团选课')
  await page.getByLabel('课程1 名称').fill('陶艺')
  await pick(page, '课程1 年级', '3年级')
  await page.keyboard.press('Escape')
  await page.getByLabel('课程1 名额').fill('2')
  await page.getByRole('button', { name: '添加课程' }).click()
  await page.getByLabel('课程2 名称').fill('围棋')
  await pick(page, '课程2 类别', '社团及其他')
  await pick(page, '课程2 年级', '3年级')
  await page.keyboard.press('Escape')
  await page.getByLabel('课程2 名额').fill('10')
  await page.getByRole('button', { name: '创建草稿' }).click()
  await page.waitForURL(/\/console\/selections\/\w+$/)
  await page.locator('[data-test=status]', { hasText: '草稿' }).waitFor()
  const id = page.url().split('/').pop()
  const commitment = (await page.locator('[data-test=commitment]').textContent()).trim()
  assert.match(commitment, /^[0-9a-f]{64}$/)

  await page.getByRole('button', { name: '发布选课' }).click()
  await page.getByRole('button', { name: '确认发布' }).click()
  await page.locator('[data-test=status]', { hasText: '选课中' }).waitFor()
  await page.getByText(/截止后才能摇号/).waitFor()

  // Four parents of third-graders rank 陶艺 (2 places) first and 围棋 second.
  const staff = await login('/api/v1/admin/login', { username: 'school-dh1', password: 'kehou-demo-2026' })
  const me = await apiCall('GET', '/api/v1/admin/me', staff)
  const parents = await bindParents(staff, me.school_id, '3', 'sel', 4)
  const sel = await apiCall('GET', `/api/v1/admin/selections/${id}`, staff)
  const [clay, weiqi] = sel.courses.map((c) => c.id)
  for (const p of parents) {
    await apiCall('PUT', `/api/v1/mp/selections/${id}/requests`, p.token, { child_id: p.child, choices: [clay, weiqi] })
  }
  await page.reload()
  await page.locator('[data-test=courses] .el-table__row', { hasText: '陶艺' }).getByText('需摇号').waitFor()
  await page.screenshot({ path: join(shots, 'plans-selection-open.png'), fullPage: true })

  // The window closes by the real clock; then the draw.
  await new Promise((r) => setTimeout(r, Math.max(0, closes.getTime() - Date.now() + 1500)))
  await page.getByRole('button', { name: '公开摇号' }).click()
  await page.locator('[data-test=status]', { hasText: '已摇号' }).waitFor()
  await page.locator('[data-test=seed]').waitFor()
  await page.locator('[data-test=check]', { hasText: '随机种子的 SHA-256 与承诺值一致' }).waitFor()
  await page.locator('[data-test=how-to-verify]', { hasText: '任何人都可以核验摇号结果' }).waitFor()
  await page.locator('[data-test=sha-command]', { hasText: "printf '%s' 'kehou-draw-v1:" }).waitFor()
  const command = await page.locator('[data-test=verify-command]').textContent()
  assert.match(command, new RegExp(`^kehou verify-draw http://\\S+/api/v1/public/draws/${id}$`))
  const clayRow = page.locator('[data-test=courses] .el-table__row', { hasText: '陶艺' })
  assert.deepEqual((await clayRow.locator('td').allTextContents()).slice(-4).map((s) => s.trim()), ['2', '4需摇号', '2', '0'])
  await page.screenshot({ path: join(shots, 'plans-selection-drawn.png'), fullPage: true })
  await assertFast(t, page, page.locator('[data-test=seed]'), 'a drawn selection with its proof (school)')

  // What the page tells anyone to run does verify the draw.
  const out = execFileSync(join(root, 'bin', 'kehou'), command.trim().split(' ').slice(1), { encoding: 'utf8' })
  assert.match(out, /verified: 4 requests/)

  // On a phone the proof reads in one column.
  await page.setViewportSize({ width: 390, height: 844 })
  await page.screenshot({ path: join(shots, 'plans-selection-drawn-phone.png'), fullPage: true })
  await page.close()
})

test('a county opens last month\'s report, sees its schools and downloads the XLSX', async (t) => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, acceptDownloads: true })
  await signIn(page, 'county-dh')
  await page.getByRole('menuitem', { name: '月报' }).click()
  const month = lastMonth()
  await page.waitForURL(new RegExp(`/console/reports\\?month=${month}$`))
  const table = page.locator('[data-test=levels-below]')
  await table.locator('.el-table__row', { hasText: '东湖区实验小学' }).waitFor()
  await page.getByText('东湖区各学校：5+2、2+N、城区2+3 与目标').waitFor()
  await page.locator('[data-test=rates] [data-key=five_plus_two] .value', { hasText: /%$/ }).waitFor()
  await page.locator('.chart canvas').first().waitFor() // the chart is drawn
  await page.screenshot({ path: join(shots, 'reports-county.png'), fullPage: true })
  await assertFast(t, page, table.locator('.el-table__row').first(), 'monthly report (county)')

  const [file] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: '下载 XLSX' }).click()])
  assert.equal(file.suggestedFilename(), `课后服务月报-${month}.xlsx`)
  const path = await file.path()
  const { readFileSync } = await import('node:fs')
  assert.equal(readFileSync(path).subarray(0, 2).toString(), 'PK', 'an XLSX (zip) file')

  // The month not yet ended has no report: said in Chinese.
  const now = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit' }).format(new Date()).slice(0, 7)
  await page.goto(`${kehou.base}/console/reports?month=${now}`)
  await page.locator('[data-test=not-ready]', { hasText: '尚未结束，月报在次月1日生成' }).waitFor()
  await page.close()

  // The city sees its counties and drills down to one county's schools.
  const city = await browser.newPage({ viewport: { width: 1280, height: 900 } })
  await signIn_(kehou.base, city, 'admin', 'kehou-admin-2026')
  await city.waitForURL(/\/console\/dashboard/)
  await city.goto(`${kehou.base}/console/reports`)
  const levels = city.locator('[data-test=levels-below]')
  await levels.locator('.el-table__row', { hasText: '西山县' }).waitFor()
  await levels.getByRole('button', { name: '东湖区' }).click()
  await levels.locator('.el-table__row', { hasText: '东湖区实验小学' }).waitFor()
  await city.getByText('东湖区各学校：5+2、2+N、城区2+3 与目标').waitFor()
  assert.equal(await levels.locator('.el-table__row', { hasText: '西山县' }).count(), 0)
  await city.screenshot({ path: join(shots, 'reports-city-drilldown.png'), fullPage: true })
  await city.getByRole('button', { name: '← 返回各区县' }).click()
  await levels.locator('.el-table__row', { hasText: '西山县' }).waitFor()
  await city.close()
})

test('a county registers an institution and suspends it; a school may only read the registry', async (t) => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
  await signIn(page, 'county-dh')
  await page.getByRole('menuitem', { name: '机构名录' }).click()
  const rows = page.locator('[data-test=institutions] .el-table__row')
  await rows.filter({ hasText: '东湖青少年科技中心' }).waitFor()
  await page.screenshot({ path: join(shots, 'plans-institutions-county.png'), fullPage: true })
  await assertFast(t, page, rows.first(), 'institutions (county)')

  // Without a name the API's error appears beside the field.
  await page.getByRole('button', { name: '登记机构' }).click()
  await page.getByLabel('许可证号').fill('DH-2026-101')
  await page.getByRole('button', { name: '登记', exact: true }).click()
  await page.locator('.el-dialog .el-form-item', { hasText: '机构名称' }).locator('.el-form-item__error').waitFor()
  await page.getByLabel('机构名称').fill('东湖围棋俱乐部')
  await pick(page, '服务类别', '社团及其他')
  await page.keyboard.press('Escape')
  await page.getByRole('button', { name: '登记', exact: true }).click()
  await page.getByRole('status').getByText('已登记“东湖围棋俱乐部”').waitFor()
  const row = rows.filter({ hasText: '东湖围棋俱乐部' })
  await row.getByText('已准入').waitFor()

  // Searching finds it; suspending it is shown at once.
  await page.getByLabel('查找机构').fill('围棋')
  assert.equal(await rows.count(), 1)
  await row.getByRole('button', { name: '编辑' }).click()
  await pick(page, '状态', '已暂停')
  await page.getByRole('button', { name: '保存', exact: true }).click()
  await row.getByText('已暂停').waitFor()
  await page.close()

  // A school reads the registry but registers and edits nothing.
  const school = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true })
  await signIn(school, 'school-dh1')
  await school.goto(`${kehou.base}/console/institutions`)
  await school.locator('[data-test=institutions] .el-table__row', { hasText: '东湖围棋俱乐部' }).waitFor()
  assert.equal(await school.getByRole('button', { name: '登记机构' }).count(), 0)
  assert.equal(await school.getByRole('button', { name: '编辑' }).count(), 0)
  await school.screenshot({ path: join(shots, 'plans-institutions-school-phone.png'), fullPage: true })
  await school.close()
})
