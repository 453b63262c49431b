// Organisation journeys: a school uploads a roster with one bad line and sees the error on that
// line, then the fixed file, its pupils and the letters to parents; the city and a county manage
// counties, schools, accounts, the audit log and the working-day calendar. Each screen is
// measured against the 1.5 s bar.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { startKehou, launchBrowser, shots, signIn as signIn_, assertFast as assertFast_, pick } from './kehou.mjs'

let kehou, browser

before(async () => {
  kehou = await startKehou()
  browser = await launchBrowser()
})

after(async () => {
  await browser?.close()
  await kehou?.stop()
})

// The machine is shared by several builds at once (load average above 20 on 2 cores): a screen
// gets up to three measured loads, each reported, and fails when none is within the bar.
// A slow screen is recorded and the journey goes on, so that what the page shows is checked
// either way; each test ends by asserting that no screen missed the bar (slowScreens).
const slow = []
async function assertFast(t, page, ready, name) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await assertFast_(t, page, ready, name)
    } catch (e) {
      if (!/bar 1500 ms/.test(e.message)) throw e
      if (attempt === 3) {
        slow.push(e.message)
        return
      }
    }
  }
}
function slowScreens() {
  assert.deepEqual(slow.splice(0), [], 'every screen loads within 1.5 s')
}

const signIn = (page, username, password) => signIn_(kehou.base, page, username, password)
const shot = (page, name) => page.screenshot({ path: join(shots, `org-${name}.png`), fullPage: true })

// Line 3 asks for grade 9 in a primary school; lines 2 and 4 are good.
const badRoster = '学号,姓名,年级,班级\r\n2026039901,陈一鸣,3,9班\r\n2026039902,林二妹,9,9班\r\n2026039903,黄三石,3,9班\r\n'
const goodRoster = badRoster.replace('林二妹,9,9班', '林二妹,3,9班')

async function upload(page, name, text) {
  await page.getByLabel('花名册文件').setInputFiles({ name, mimeType: 'text/csv', buffer: Buffer.from(text) })
  await page.getByRole('button', { name: '上传并导入' }).click()
}

test('a school uploads a roster with one bad line, sees the error on that line, then imports the fixed file and prints the letters', async (t) => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
  await signIn(page, 'school-dh1')
  await page.waitForURL(/\/console\/dashboard/)
  await page.getByRole('menuitem', { name: '本校学生与家长' }).click()
  await page.waitForURL(/\/console\/org\/schools\/\w+$/)
  const schoolUrl = page.url()
  await page.locator('[data-test=school-info]', { hasText: '湖滨路1号' }).waitFor()
  await assertFast(t, page, page.locator('[data-test=school-info]', { hasText: '湖滨路1号' }), 'school (info)')

  await page.getByRole('tab', { name: '花名册导入' }).click()
  await upload(page, '三年级9班.csv', badRoster)
  // The refusal, in the API's words and the page's: nothing was imported.
  const refused = page.locator('[data-test=roster-refused]')
  await refused.getByText('花名册有1行错误，未导入任何数据').waitFor()
  await refused.getByText('整份文件未导入：其余 2 行正确的数据也没有导入').waitFor()
  // The error sits in the row of line 3, beside that line's own content.
  const rows = page.locator('[data-test=roster-errors] .el-table__body tr')
  assert.equal(await rows.count(), 1)
  const row = rows.first()
  assert.match(await row.innerText(), /第 3 行\s+年级：年级应为1–6\s+2026039902,林二妹,9,9班/)
  await shot(page, 'roster-bad-line')

  // The good lines were not applied: the pupils list does not have them.
  await page.getByRole('tab', { name: '学生' }).click()
  await page.getByLabel('按班级筛选').fill('9班')
  await page.getByLabel('按班级筛选').press('Enter')
  await page.locator('[data-test=children] .el-table__empty-text', { hasText: '还没有学生' }).waitFor()
  assert.equal(await page.locator('[data-test=children]', { hasText: '2026039901' }).count(), 0, 'a refused file must import nothing')

  // The fixed file goes in whole.
  await page.getByRole('tab', { name: '花名册导入' }).click()
  await upload(page, '三年级9班.csv', goodRoster)
  await page.locator('[data-test=roster-result]', { hasText: '新增 3 人' }).waitFor()
  assert.equal(await page.locator('[data-test=roster-errors]').count(), 0)
  await shot(page, 'roster-imported')

  // Pupils appear with masked names.
  await page.getByRole('tab', { name: '学生' }).click()
  const pupil = page.locator('[data-test=children] .el-table__row', { hasText: '2026039902' })
  await pupil.waitFor()
  assert.match(await pupil.innerText(), /林\*妹|林\*\*/)
  assert.doesNotMatch(await page.locator('[data-test=children]').innerText(), /林二妹/)
  await page.goto(`${schoolUrl}?tab=children`)
  await assertFast(t, page, page.locator('[data-test=children] .el-table__row').first(), 'school (pupils)')
  await shot(page, 'children')

  await page.getByRole('tab', { name: '家长绑定' }).click()
  await page.locator('[data-test=guardians]').waitFor()
  await page.goto(`${schoolUrl}?tab=guardians`)
  await assertFast(t, page, page.locator('[data-test=guardians] .el-table__row, [data-test=guardians] .el-table__empty-text').first(), 'school (guardians)')

  // The letters: one per pupil, with the full name (the letter goes to that family) and a code.
  await page.goto(`${schoolUrl}?tab=codes`)
  await page.getByRole('link', { name: '打印致家长的一封信' }).click()
  await page.waitForURL(/\/letters$/)
  const letter = page.locator('[data-test=letter]', { hasText: '林二妹' })
  await letter.waitFor()
  assert.match(await letter.locator('[data-test=code]').innerText(), /^[A-Z0-9]{6,16}$/)
  assert.match(await letter.innerText(), /三年级9班，学号 2026039902/)
  await assertFast(t, page, page.locator('[data-test=letter]').first(), 'letters to parents')
  await page.locator('.el-select', { has: page.getByRole('combobox', { name: '只打印一个班' }) }).click()
  await page.locator('.el-select-dropdown__item:visible', { hasText: '三年级9班' }).click()
  await page.locator('[data-test=letter-count]', { hasText: '共 3 封' }).waitFor()
  // Printed, each letter is a page of its own and the console's frame is left off.
  await page.emulateMedia({ media: 'print' })
  assert.equal(await page.locator('.el-aside').isVisible(), false)
  assert.equal(await page.locator('[data-test=letter]').first().evaluate((el) => getComputedStyle(el).breakAfter), 'page')
  const pdf = await page.pdf({ format: 'A4' })
  const pages = (pdf.toString('latin1').match(/\/Type\s*\/Page[^s]/g) ?? []).length
  assert.equal(pages, 3, 'one printed page per letter')
  await page.emulateMedia({ media: 'screen' })
  await shot(page, 'letters')
  await page.close()
  slowScreens()
})

test('the roster screen on a phone shows the bad line too', async () => {
  const page = await (await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true })).newPage()
  await signIn(page, 'school-dh1')
  await page.waitForURL(/\/console\/dashboard/)
  await page.getByRole('button', { name: '菜单' }).click()
  await page.getByRole('menuitem', { name: '本校学生与家长' }).last().click()
  await page.waitForURL(/\/console\/org\/schools\/\w+$/)
  await page.getByRole('tab', { name: '花名册导入' }).click()
  await upload(page, 'bad.csv', badRoster.replace('2026039902', '2026 039902'))
  await page.locator('[data-test=roster-errors] .el-table__body tr', { hasText: '学号应为1–32位字母或数字' }).getByText('第 3 行').waitFor()
  await shot(page, 'roster-bad-line-phone')
  await page.close()
})

test('the city manages counties, schools, accounts and the calendar; the audit log shows what was done', async (t) => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
  await signIn(page, 'admin', 'kehou-admin-2026')
  await page.waitForURL(/\/console\/dashboard/)

  await page.getByRole('menuitem', { name: '区县' }).click()
  await page.locator('[data-test=counties] .el-table__row', { hasText: '东湖区' }).waitFor()
  await assertFast(t, page, page.locator('[data-test=counties] .el-table__row').first(), 'counties')
  await page.getByRole('button', { name: '新建区县' }).click()
  await page.getByRole('button', { name: '保存' }).click()
  await page.locator('.el-form-item', { hasText: '区县名称' }).locator('.el-form-item__error').waitFor()
  await page.getByLabel('区县名称').fill('南湖新区')
  await page.getByRole('button', { name: '保存' }).click()
  await page.locator('[data-test=counties] .el-table__row', { hasText: '南湖新区' }).waitFor()
  await shot(page, 'counties')

  await page.getByRole('menuitem', { name: '学校' }).click()
  await page.locator('[data-test=schools] .el-table__row').first().waitFor()
  await assertFast(t, page, page.locator('[data-test=schools] .el-table__row').first(), 'schools')
  await page.getByLabel('按校名搜索').fill('实验')
  await page.locator('[data-test=schools] .el-table__row', { hasText: '东湖区第一初级中学' }).waitFor({ state: 'detached' })
  await page.locator('[data-test=schools] .el-table__row', { hasText: '东湖区实验小学' }).waitFor()
  for (const r of await page.locator('[data-test=schools] .el-table__row').allInnerTexts()) assert.match(r, /实验/)
  await page.getByRole('button', { name: '新建学校' }).click()
  await pick(page, '所属区县', '南湖新区')
  await page.getByLabel('校名', { exact: true }).fill('南湖新区第一小学')
  await page.getByLabel('联系人').fill('李老师')
  await page.getByRole('button', { name: '保存' }).click()
  await page.waitForURL(/\/console\/org\/schools\/\w+$/)
  await page.locator('[data-test=school-info]', { hasText: '南湖新区' }).getByText('李老师').waitFor()
  await shot(page, 'school-created')

  await page.getByRole('menuitem', { name: '账号管理' }).click()
  await page.locator('[data-test=staff] .el-table__row', { hasText: 'school-dh1' }).waitFor()
  await assertFast(t, page, page.locator('[data-test=staff] .el-table__row', { hasText: 'school-dh1' }), 'staff accounts')
  await page.getByRole('button', { name: '新建账号' }).click()
  await pick(page, '级别', '学校')
  await page.locator('.el-form-item', { hasText: '所属学校' }).locator('.el-select').click()
  await page.keyboard.type('南湖')
  await page.locator('.el-select-dropdown__item:visible', { hasText: '南湖新区第一小学' }).click()
  await page.getByRole('textbox', { name: '用户名', exact: true }).fill('school-nh1')
  await page.getByRole('textbox', { name: '姓名', exact: true }).fill('李老师')
  await page.getByLabel(/初始密码/).fill('short')
  await page.getByRole('button', { name: '创建' }).click()
  await page.locator('.el-form-item', { hasText: '初始密码' }).locator('.el-form-item__error').waitFor()
  await page.getByLabel(/初始密码/).fill('nanhu-school-2026')
  await page.getByRole('button', { name: '创建' }).click()
  const nh = page.locator('[data-test=staff] .el-table__row', { hasText: 'school-nh1' })
  await nh.getByText('南湖新区第一小学').waitFor()
  await nh.getByRole('button', { name: '停用' }).click()
  await page.getByRole('dialog').getByRole('button', { name: '确定' }).click()
  await nh.getByText('已停用').waitFor()
  await shot(page, 'staff')

  await page.getByRole('menuitem', { name: '工作日历' }).click()
  await page.locator('[data-test=calendar]').waitFor()
  await assertFast(t, page, page.getByRole('button', { name: /保存 \d+ 年日历/ }), 'calendar')
  // New Year's Day as a holiday, picked in the date panel (it opens on January of the year).
  await page.getByLabel('法定节假日').click()
  await page.locator('.el-picker-panel:visible td.available', { hasText: /^\s*1\s*$/ }).first().click()
  await page.keyboard.press('Escape')
  await page.getByRole('button', { name: /保存 \d+ 年日历/ }).click()
  await page.getByRole('status').getByText('已保存').waitFor()
  await page.reload()
  await page.locator('[data-test=holidays] .el-tag', { hasText: /^1月1日 周/ }).waitFor()
  await shot(page, 'calendar')

  await page.getByRole('menuitem', { name: '操作日志' }).click()
  await page.locator('[data-test=audit] .el-table__row').first().waitFor()
  await assertFast(t, page, page.locator('[data-test=audit] .el-table__row').first(), 'audit log')
  while (await page.getByRole('button', { name: '加载更多' }).isVisible()) {
    await page.getByRole('button', { name: '加载更多' }).click()
    await page.waitForLoadState('networkidle')
  }
  for (const what of ['新建区县', '新建学校', '新建账号', '修改账号', '修改工作日历']) {
    await page.locator('[data-test=audit] .el-table__row', { hasText: what }).first().waitFor()
  }
  await shot(page, 'audit')
  await page.close()
  slowScreens()
})

test('a county sees only its own schools and may create school accounts only', async (t) => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
  await signIn(page, 'county-xs')
  await page.waitForURL(/\/console\/dashboard/)
  assert.equal(await page.getByRole('menuitem', { name: '区县' }).count(), 0)
  await page.getByRole('menuitem', { name: '学校' }).click()
  await page.locator('[data-test=schools] .el-table__row').first().waitFor()
  await page.waitForLoadState('networkidle')
  const names = await page.locator('[data-test=schools] .el-table__row').allInnerTexts()
  assert.ok(names.length > 0 && names.every((n) => !n.includes('东湖')), `a county sees its own schools only: ${names}`)
  await page.getByRole('menuitem', { name: '账号管理' }).click()
  await page.getByRole('button', { name: '新建账号' }).click()
  await page.locator('.el-form-item', { hasText: '级别' }).locator('.el-select').click()
  await page.locator('.el-select-dropdown__item:visible').first().waitFor()
  const roles = await page.locator('.el-select-dropdown__item:visible').allInnerTexts()
  assert.deepEqual(roles, ['学校'])
  await page.keyboard.press('Escape')
  await page.getByRole('dialog').getByRole('button', { name: '取消' }).click()
  await page.getByRole('menuitem', { name: '工作日历' }).click()
  await page.locator('[data-test=calendar]').waitFor()
  assert.equal(await page.getByRole('button', { name: /保存 \d+ 年日历/ }).count(), 0, 'only the city edits the calendar')
  await assertFast(t, page, page.locator('[data-test=holidays]'), 'calendar (county)')
  await page.close()
  slowScreens()
})
