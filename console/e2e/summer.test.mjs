// Summer care in the console: a county officer sets up a programme with a period and a volunteer
// shift; a teacher volunteers through the mini-program's API; the officer approves, records the
// attendance, corrects the hours with a reason and sees the corrected total in the year's hours.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { startKehou, launchBrowser, shots, signIn, assertFast } from './kehou.mjs'

let kehou, browser

before(async () => {
  kehou = await startKehou()
  browser = await launchBrowser()
})

after(async () => {
  await browser?.close()
  await kehou?.stop()
})

/** api calls kehou as a client would, failing the test on an unexpected status. */
async function api(method, path, token, body, want = [200, 201]) {
  const r = await fetch(kehou.base + path, {
    method,
    headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const out = await r.json().catch(() => ({}))
  if (!want.includes(r.status)) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(out)}`)
  return out
}

// Beijing wall-clock strings, as the console's pickers take them.
const bj = new Intl.DateTimeFormat('sv-SE', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })
const wall = (d) => bj.format(d).replace('T', ' ') // "2026-12-03 18:05"
const day = (offsetDays) => wall(new Date(Date.now() + offsetDays * 86_400_000)).slice(0, 10)

/**
 * bindParents signs in n sandbox parents and binds each to a pupil of the school, through the
 * binding codes the school downloads (as cmd/kehou's care journey does).
 */
async function bindParents(staffToken, schoolId, n) {
  const r = await fetch(`${kehou.base}/api/v1/admin/schools/${schoolId}/binding-codes`, { headers: { Authorization: `Bearer ${staffToken}` } })
  assert.equal(r.status, 200)
  const rows = (await r.text()).replace(/^\ufeff/, '').trim().split(/\r?\n/).slice(1).map((l) => l.split(','))
  const out = []
  for (const [i, row] of rows.slice(0, n).entries()) {
    const { token } = await api('POST', '/api/v1/mp/login', '', { code: `dev:summer-parent${i}` })
    const bound = await api('POST', '/api/v1/mp/children', token, { school_id: schoolId, student_no: row[0], name: row[1] })
    out.push({ token, child: bound.child_id, name: row[1] })
  }
  return out
}

/** typeInto types a value into the picker or input of the form item labelled itemLabel, within scope. */
async function typeInto(scope, itemLabel, value) {
  const input = scope.locator('.el-form-item', { hasText: itemLabel }).locator('input').first()
  await input.click()
  await input.fill(value)
  await input.press('Enter')
}

test('a county officer runs a summer programme and its volunteer shift, and corrects a teacher’s hours', async (t) => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
  const shot = (name) => page.screenshot({ path: join(shots, `summer-${name}.png`), fullPage: true })
  await signIn(kehou.base, page, 'county-dh')
  await page.waitForURL(/\/console\/dashboard/)

  // The programme, first without an enrolment deadline: the API's error shows beside the field.
  await page.getByRole('menuitem', { name: '托管项目' }).click()
  await page.waitForURL(/\/console\/programmes$/)
  await page.getByRole('button', { name: '新建托管项目' }).click()
  const dlg = page.getByRole('dialog', { name: '新建托管项目' })
  await dlg.locator('.el-form-item', { hasText: '举办学校' }).locator('.el-select').click()
  await page.locator('.el-select-dropdown__item:visible', { hasText: '东湖区实验小学' }).first().click()
  await dlg.getByLabel('项目名称').fill('东湖实验小学暑期托管')
  await dlg.getByLabel('名额', { exact: true }).fill('2')
  await typeInto(dlg, '开始日期', day(-1))
  await typeInto(dlg, '结束日期', day(10))
  await dlg.getByRole('button', { name: '保存草稿' }).click()
  await dlg.locator('.el-form-item', { hasText: '报名截止' }).locator('.el-form-item__error').waitFor()
  await shot('programme-field-error')
  await typeInto(dlg, '报名截止', wall(new Date(Date.now() + 7 * 86_400_000)))
  await dlg.getByRole('button', { name: '保存草稿' }).click()
  await page.waitForURL(/\/console\/programmes\/\w+$/)
  const programmeUrl = page.url()
  await page.locator('[data-test=status]', { hasText: '草稿' }).waitFor()
  const period = page.locator('[data-test=periods] .el-table__row', { hasText: '第一期' })
  await period.locator('td').nth(3).filter({ hasText: /^2$/ }).waitFor()

  // The first reloads after sign-in compile the console's shared bundle afresh (the browser
  // keeps compiled code only from the second load on); that cost is the dashboard journey's
  // measure. One reload first, so this one measures the screen.
  await page.reload()
  await page.locator('[data-test=periods]').waitFor()
  await assertFast(t, page, page.locator('[data-test=periods]'), 'programme')

  // Published without announcing it: a notice to the school's families is the notices screens'
  // journey, and its fan-out would compete with the screens measured here.
  await page.getByRole('button', { name: '发布', exact: true }).click()
  const pdlg = page.getByRole('dialog', { name: '发布托管项目' })
  await pdlg.getByText('小程序订阅消息').click()
  await pdlg.getByRole('button', { name: '发布', exact: true }).click()
  await page.locator('[data-test=status]', { hasText: '已发布' }).waitFor()
  await page.locator('.el-message__content', { hasText: /^已发布$/ }).waitFor()

  // Three families enrol for two places: the third waits; raising the places promotes it.
  const school = await api('POST', '/api/v1/admin/login', '', { username: 'school-dh1', password: 'kehou-demo-2026' })
  const me = await api('GET', '/api/v1/admin/me', school.token)
  const programmeId = programmeUrl.split('/').pop()
  const detail = await api('GET', `/api/v1/admin/programmes/${programmeId}`, school.token)
  const names = []
  for (const p of await bindParents(school.token, me.school_id, 3)) {
    names.push(p.name)
    await api('POST', `/api/v1/mp/programmes/${programmeId}/enrolments`, p.token, { child_id: p.child, period_id: detail.periods[0].id })
  }
  await page.reload()
  await period.locator('td').nth(4).filter({ hasText: /^2$/ }).waitFor() // confirmed
  await period.locator('td').nth(5).filter({ hasText: /^1$/ }).waitFor() // waiting
  await page.getByRole('tab', { name: '报名名单' }).click()
  const roster = page.locator('[data-test=enrolments] .el-table__row')
  await roster.nth(2).waitFor()
  const shown = await page.locator('[data-test=enrolments]').innerText()
  for (const n of names) assert.ok(!shown.includes(n), `the roster shows ${n} unmasked`)
  await page.getByText('候补名单', { exact: true }).click()
  await page.locator('[data-test=enrolments] .el-table__row', { hasText: '候补中' }).waitFor()
  assert.equal(await roster.count(), 1)
  await shot('waiting-list')
  const [roll] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: '导出名单' }).click()])
  assert.equal(roll.suggestedFilename(), '东湖实验小学暑期托管-托管名单.xlsx')

  await page.getByRole('tab', { name: '期次与名额' }).click()
  await period.getByRole('button', { name: '调整名额' }).click()
  const cdlg = page.getByRole('dialog', { name: /调整名额/ })
  await cdlg.getByLabel('新的名额').fill('3')
  await cdlg.getByRole('button', { name: '保存' }).click()
  await period.locator('td').nth(4).filter({ hasText: /^3$/ }).waitFor()
  await period.locator('td').nth(5).filter({ hasText: /^0$/ }).waitFor()
  await page.getByRole('tab', { name: '报名名单' }).click()
  await page.getByText('候补名单为空').waitFor()
  await shot('programme-published')

  // A shift that began three hours ago and takes volunteers until it ends.
  const start = new Date(Math.floor((Date.now() - 3 * 3_600_000) / 60_000) * 60_000)
  const end = new Date(start.getTime() + 4 * 3_600_000)
  await page.getByRole('tab', { name: '志愿服务班次' }).click()
  await page.getByRole('button', { name: '发布班次' }).click()
  const sdlg = page.getByRole('dialog', { name: '发布志愿服务班次' })
  await sdlg.getByLabel('岗位', { exact: true }).fill('作业辅导')
  await typeInto(sdlg, '开始时间', wall(start))
  await typeInto(sdlg, '结束时间', wall(end))
  await typeInto(sdlg, '报名截止', wall(end))
  await sdlg.getByRole('button', { name: '发布', exact: true }).click()
  const shiftRow = page.locator('[data-test=shifts] .el-table__row', { hasText: '作业辅导' })
  await shiftRow.locator('text=0 / 2').waitFor()
  await shiftRow.locator('text=招募中').waitFor()
  await shot('shifts')
  await shiftRow.getByRole('link', { name: '作业辅导' }).click()
  await page.waitForURL(/\/shifts\/\w+$/)
  const shiftId = page.url().split('/').pop()

  // A teacher of the school volunteers through the mini-program.
  const vol = await api('POST', '/api/v1/mp/login', '', { code: 'dev:summer-teacher' })
  await api('PUT', '/api/v1/mp/volunteer', vol.token, {
    name: '周老师', phone: '13700002222', type: 'teacher', organisation: '东湖区实验小学', school_id: me.school_id, county_id: me.county_id,
    credentials: [{ kind: 'teacher_qualification', number: 'JS2020-0042', expires: day(400) }],
  })
  const applied = await api('POST', `/api/v1/mp/shifts/${shiftId}/applications`, vol.token)
  assert.equal(applied.status, 'pending')

  await page.reload()
  const row = page.locator('[data-test=applications] .el-table__row', { hasText: '周老师' })
  await row.locator('text=待审核').waitFor()
  await assertFast(t, page, row, 'shift applications')
  await row.getByRole('button', { name: '录用', exact: true }).click()
  await row.locator('text=已录用').waitFor()
  await page.locator('[data-test=approved]', { hasText: '1 / 2' }).waitFor()

  // Checked in on the teacher's behalf when the shift began...
  await row.getByRole('button', { name: '签到', exact: true }).click()
  const adlg = page.getByRole('dialog', { name: /代为签到/ })
  await typeInto(adlg, '签到时间', wall(start))
  await adlg.getByRole('button', { name: '签到', exact: true }).click()
  await row.locator('text=' + wall(start)).waitFor()

  // ...and out now by the code in the mini-program, at the attendance screen.
  const mine = await api('GET', '/api/v1/mp/applications', vol.token)
  const code = mine.items.find((a) => a.shift_id === shiftId).checkin_token
  await page.getByRole('menuitem', { name: '志愿者签到' }).click()
  await page.waitForURL(/\/console\/attendance$/)
  await assertFast(t, page, page.getByLabel('签到码'), 'attendance')
  await page.getByLabel('签到码').fill(code)
  await page.getByRole('radio', { name: '签退' }).check({ force: true })
  await page.getByRole('button', { name: '签退', exact: true }).click()
  await page.locator('[data-test=attendance-log]', { hasText: '周老师' }).locator('text=已签退').waitFor()
  await shot('attendance')

  // Three hours by the record; the officer corrects it to 2.5, a reason required.
  await page.goto(`${programmeUrl}/shifts/${shiftId}`)
  await row.locator('[data-test=hours]', { hasText: /^3(\.\d)?$/ }).waitFor()
  await row.getByRole('button', { name: '更正时长' }).click()
  const hdlg = page.getByRole('dialog', { name: /更正服务时长/ })
  await hdlg.getByLabel('核定服务时长（小时）').fill('2.5')
  await hdlg.getByRole('button', { name: '保存更正' }).click()
  await hdlg.locator('.el-form-item', { hasText: '更正理由' }).locator('.el-form-item__error').waitFor()
  await hdlg.getByLabel('更正理由').fill('提前半小时离岗，按实际在岗时间核定')
  await hdlg.getByRole('button', { name: '保存更正' }).click()
  await row.locator('[data-test=hours]', { hasText: /^2\.5$/ }).waitFor()
  await row.locator('.el-table__expand-icon').click()
  await page.getByText('提前半小时离岗').waitFor()
  await shot('shift-corrected')

  // The year's hours show the corrected total.
  await page.getByRole('menuitem', { name: '服务时长' }).click()
  await page.waitForURL(/\/console\/volunteer-hours$/)
  const hoursRow = page.locator('[data-test=hours] .el-table__row', { hasText: '周老师' })
  await hoursRow.locator('[data-test=row-hours]', { hasText: /^2\.5$/ }).waitFor()
  await page.locator('[data-test=total]', { hasText: /^2\.5$/ }).waitFor()
  await assertFast(t, page, hoursRow, 'volunteer hours')
  await shot('volunteer-hours')
  const [xlsx] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: '下载 Excel' }).click()])
  assert.match(xlsx.suggestedFilename(), /^志愿服务时长-\d{4}\.xlsx$/)

  // The volunteer's credential, reviewed; the year's record beside it.
  await page.getByRole('menuitem', { name: '志愿者', exact: true }).click()
  await page.waitForURL(/\/console\/volunteers$/)
  const vrow = page.locator('[data-test=volunteers] .el-table__row', { hasText: '周老师' })
  await vrow.locator('text=1 项待审核').waitFor()
  await vrow.locator('text=137****2222').waitFor()
  await assertFast(t, page, vrow, 'volunteers')
  await vrow.getByRole('link', { name: '周老师' }).click()
  await page.waitForURL(/\/console\/volunteers\/\w+$/)
  const cred = page.locator('[data-test=credentials] .el-table__row', { hasText: '教师资格证' })
  await cred.locator('text=待审核').waitFor()
  await page.locator('[data-test=year-hours]', { hasText: '2.5' }).waitFor()
  await assertFast(t, page, cred, 'volunteer')
  await cred.getByRole('button', { name: '认证通过' }).click()
  await cred.locator('text=已认证').waitFor()
  await shot('volunteer')
  // The printed certificate: only it, with the year's corrected total.
  await page.emulateMedia({ media: 'print' })
  await page.locator('[data-test=certificate]', { hasText: /累计服务 2\.5 小时/ }).waitFor()
  assert.equal(await page.locator('[data-test=credentials]').isVisible(), false)
  await shot('certificate-print')
  await page.emulateMedia({ media: 'screen' })

  // The teachers' hours for evaluation, for the school the officer picks.
  await page.getByRole('menuitem', { name: '教师时长（考核）' }).click()
  await page.waitForURL(/\/console\/teacher-hours$/)
  await assertFast(t, page, page.locator('[data-test=teacher-hours]'), 'teacher hours')
  await page.getByRole('button', { name: '下载 Excel' }).click()
  await page.locator('.el-form-item', { hasText: '学校' }).locator('.el-form-item__error', { hasText: '请选择学校' }).waitFor()
  await page.locator('.el-form-item', { hasText: '学校' }).locator('.el-select').click()
  await page.locator('.el-select-dropdown__item:visible', { hasText: '东湖区实验小学' }).first().click()
  const [teacherXlsx] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: '下载 Excel' }).click()])
  assert.match(teacherXlsx.suggestedFilename(), /^东湖区实验小学-\d{4}年教师志愿服务时长\.xlsx$/)

  // Back to the list of programmes, which now holds this one.
  await page.getByRole('menuitem', { name: '托管项目' }).click()
  const listed = page.locator('[data-test=programmes] .el-table__row', { hasText: '东湖实验小学暑期托管' })
  await listed.locator('text=已发布').waitFor()
  await assertFast(t, page, listed, 'programmes')
  await shot('programmes')
  await page.close()
})

test('a school officer on a phone sees the programme and checks a code at the attendance screen', async (t) => {
  const page = await (await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true })).newPage()
  await signIn(kehou.base, page, 'school-dh1')
  await page.waitForURL(/\/console\/dashboard/)
  await page.getByRole('button', { name: '菜单' }).click()
  await page.getByRole('menuitem', { name: '托管项目' }).last().click()
  await page.locator('[data-test=programmes] .el-table__row', { hasText: '东湖实验小学暑期托管' }).first().click()
  await page.locator('[data-test=status]', { hasText: '已发布' }).waitFor()
  await page.screenshot({ path: join(shots, 'summer-programme-phone.png'), fullPage: true })
  // The school sees the shift the county set up for it, and the teacher's corrected hours.
  await page.getByRole('tab', { name: '志愿服务班次' }).click()
  await page.locator('[data-test=shifts]').getByRole('link', { name: '作业辅导' }).click()
  const row = page.locator('[data-test=applications] .el-table__row', { hasText: '周老师' })
  await row.locator('[data-test=hours]', { hasText: /^2\.5$/ }).waitFor()
  await page.screenshot({ path: join(shots, 'summer-shift-phone.png'), fullPage: true })

  await page.goto(`${kehou.base}/console/attendance`)
  await page.getByLabel('签到码').fill('not-a-code')
  await page.getByRole('button', { name: '签到', exact: true }).click()
  await page.getByRole('alert').getByText('签到码无效').waitFor()
  await page.screenshot({ path: join(shots, 'summer-attendance-invalid-phone.png'), fullPage: true })
  await assertFast(t, page, page.getByLabel('签到码'), 'attendance (phone)')
})
