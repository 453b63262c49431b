// Open days in the console: a school checks families in at the door on a phone, and runs its
// events (sessions, sign-ups, the waiting list, capacity, export) at a desk. The families are
// parents of the demo city who sign up through the mini-program's API, as in
// cmd/kehou/event_e2e_test.go.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { startKehou, launchBrowser, shots, signIn as signIn_, pick, assertFast } from './kehou.mjs'

let kehou, browser, admin, school
let parents = []

before(async () => {
  kehou = await startKehou()
  browser = await launchBrowser()
  admin = (await api('POST', '/api/v1/admin/login', undefined, { username: 'school-dh1', password: 'kehou-demo-2026' })).token
  school = (await api('GET', '/api/v1/admin/me', admin)).school_id
  parents = await bindParents(3, 4)
})

after(async () => {
  await browser?.close()
  await kehou?.stop()
})

const signIn = (page, username) => signIn_(kehou.base, page, username)

/** api calls kehou as the mini-program or a staff script would, and fails on an error answer. */
async function api(method, path, token, body, expect = [200, 201]) {
  const r = await fetch(kehou.base + path, {
    method,
    headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const text = await r.text()
  if (!expect.includes(r.status)) throw new Error(`${method} ${path}: ${r.status} ${text}`)
  return text && r.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text
}

/** bindParents signs n parents in (sandbox codes) and binds each to a pupil of the grade. */
async function bindParents(grade, n) {
  const csv = await api('GET', `/api/v1/admin/schools/${school}/binding-codes`, admin)
  const rows = csv.replace(/^\ufeff/, '').trim().split(/\r?\n/).slice(1).map((l) => l.split(','))
  const out = []
  for (const [i, row] of rows.entries()) {
    if (row[2] !== String(grade) || out.length === n) continue
    const { token } = await api('POST', '/api/v1/mp/login', undefined, { code: `dev:events-e2e-${i}` })
    const child = await api('POST', '/api/v1/mp/children', token, { school_id: school, student_no: row[0], name: row[1] })
    out.push({ token, child: child.child_id })
  }
  assert.equal(out.length, n, `grade ${grade} has ${out.length} pupils`)
  return out
}

/**
 * openDay creates and publishes an event whose first session starts within the hour (check-in
 * opens 2 hours before a session starts) and returns it.
 */
async function openDay(title, capacity) {
  const start = new Date(Date.now() + 60 * 60_000)
  start.setSeconds(0, 0)
  const hours = (h) => new Date(start.getTime() + h * 3600_000).toISOString()
  const ev = await api('POST', '/api/v1/admin/events', admin, {
    title, place: '学校礼堂', audience: { kind: 'grades', grades: [3] }, signup_closes: new Date(Date.now() + 30 * 60_000).toISOString(),
    sessions: [
      { label: '上午场', starts_at: hours(0), ends_at: hours(2), capacity, max_companions: 1 },
      { label: '下午场', starts_at: hours(5), ends_at: hours(7), capacity: 30, max_companions: 1 },
    ],
  })
  await api('POST', `/api/v1/admin/events/${ev.id}/publish`, admin, { channels: [] })
  return ev
}

const signUp = (parent, ev, session = 0) =>
  api('POST', `/api/v1/mp/events/${ev.id}/signups`, parent.token, { child_id: parent.child, session_id: ev.sessions[session].id })

test('a school checks a family in at the door on a phone by typing its short code, once', async (t) => {
  const ev = await openDay('三年级家长开放日（签到）', 10)
  const other = await openDay('三年级读书节开放日', 10)
  const mine = await signUp(parents[0], ev)
  const elsewhere = await signUp(parents[1], other)
  assert.equal(mine.status, 'confirmed')
  assert.ok(mine.checkin_token && elsewhere.checkin_token)
  // The family's short code, as the mini-program shows it beside the QR code.
  const { items: myList } = await api('GET', '/api/v1/mp/signups', parents[0].token)
  const code = myList.find((s) => s.id === mine.id).checkin_code
  assert.match(code, /^\d{8}$/)
  assert.equal(code, mine.checkin_code)
  const spoken = `${code.slice(0, 4)} ${code.slice(4)}` // read out in two groups

  const page = await (await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true })).newPage()
  await signIn(page, 'school-dh1')
  await page.waitForURL(/\/console\/dashboard/)
  await page.getByRole('button', { name: '菜单' }).click()
  await page.getByRole('menuitem', { name: '入场签到' }).last().click()
  await page.waitForURL(/\/console\/events\/checkin/)
  await pick(page, '签到活动', ev.title)
  await page.waitForURL(new RegExp(`event=${ev.id}`))
  const result = page.locator('[data-test=checkin-result]')
  await assertFast(t, page, result.getByText('请扫描家长出示的入场二维码'), 'check-in (phone)')
  await page.screenshot({ path: join(shots, 'events-checkin-ready-phone.png'), fullPage: true })

  // The short code the parent reads out, typed on the phone.
  const field = page.getByLabel('签到码（家长报出的8位数字，或扫码枪）')
  assert.equal(await field.getAttribute('inputmode'), 'numeric', 'a number pad on the phone')
  await field.pressSequentially(spoken)
  await page.getByRole('button', { name: '签到', exact: true }).click()
  await result.getByText('签到成功').waitFor()
  await result.getByText(mine.child_name).waitFor()
  await result.getByText('上午场').waitFor()
  assert.equal(await field.inputValue(), '', 'the field is emptied for the next family')
  await page.locator('.recent', { hasText: mine.child_name }).waitFor()
  await page.screenshot({ path: join(shots, 'events-checkin-success-phone.png'), fullPage: true })

  // The same code again: already checked in, said plainly.
  await field.pressSequentially(spoken)
  await field.press('Enter')
  await result.getByText('已签到过').waitFor()
  await result.getByText('该签到码已签到，不能重复使用').waitFor()
  assert.equal(await field.inputValue(), spoken, 'what was entered is kept after a refusal')
  await page.screenshot({ path: join(shots, 'events-checkin-duplicate-phone.png'), fullPage: true })
  // And by its QR token, pasted (or sent by a hand scanner): the same answer.
  await field.fill(mine.checkin_token)
  await field.press('Enter')
  await result.getByText('该入场码已签到，不能重复使用').waitFor()

  // Another event's short code is unknown at this event's door, said beside the field; a short
  // one is caught before it is sent.
  await field.fill(elsewhere.checkin_code)
  await field.press('Enter')
  await result.getByText('签到码不对').waitFor()
  await page.locator('.manual .el-form-item__error', { hasText: '本活动没有这个签到码' }).waitFor()
  await page.screenshot({ path: join(shots, 'events-checkin-wrong-code-phone.png'), fullPage: true })
  await field.fill('4821 09')
  await field.press('Enter')
  await page.locator('.manual .el-form-item__error', { hasText: '签到码应为8位数字' }).waitFor()

  // Another event's QR token is refused at this event's door.
  await field.fill(elsewhere.checkin_token)
  await page.getByRole('button', { name: '签到', exact: true }).click()
  await result.getByText('不是本活动的入场码').waitFor()
  await page.screenshot({ path: join(shots, 'events-checkin-wrong-event-phone.png'), fullPage: true })

  // The touch targets are big enough for a thumb.
  const box = await page.getByRole('button', { name: '签到', exact: true }).boundingBox()
  assert.ok(box.height >= 48 && box.width >= 300, `check-in button ${box.width}×${box.height}`)

  // The camera: the QR image the mini-program shows the family, held up to a (stand-in) camera.
  // Debian's Chromium has no BarcodeDetector, so this reads it with jsQR.
  const scanned = await signUp(parents[2], ev)
  const qr = await fetch(`${kehou.base}/api/v1/mp/signups/${scanned.id}/qr.png`, { headers: { Authorization: `Bearer ${parents[2].token}` } })
  assert.equal(qr.status, 200)
  const png = `data:image/png;base64,${Buffer.from(await qr.arrayBuffer()).toString('base64')}`
  await page.evaluate((src) => {
    navigator.mediaDevices.getUserMedia = async () => {
      const img = new Image()
      img.src = src
      await img.decode()
      const c = Object.assign(document.createElement('canvas'), { width: 640, height: 480 })
      const g = c.getContext('2d')
      const draw = () => {
        g.fillStyle = '#888'
        g.fillRect(0, 0, 640, 480)
        g.drawImage(img, 170, 90, 300, 300)
      }
      draw()
      setInterval(draw, 100)
      return c.captureStream(10)
    }
  }, png)
  await page.getByRole('button', { name: '打开摄像头扫码' }).click()
  await result.getByText(scanned.child_name).waitFor()
  await result.getByText('签到成功').waitFor()
  await page.screenshot({ path: join(shots, 'events-checkin-camera-phone.png'), fullPage: true })
  await page.getByRole('button', { name: '关闭摄像头' }).click()

  // Both families show as checked in on the event's page, on the phone too.
  await page.goto(`${kehou.base}/console/events/${ev.id}`)
  for (const su of [mine, scanned]) {
    const row = page.locator('[data-test=signups] .el-table__row', { hasText: su.child_name })
    await row.waitFor()
    assert.doesNotMatch(await row.innerText(), /未签到/)
  }
  await page.locator('[data-test=sessions] .el-table__row', { hasText: '上午场' }).waitFor()
  await page.screenshot({ path: join(shots, 'events-detail-phone.png'), fullPage: true })
  const detail = await api('GET', `/api/v1/admin/events/${ev.id}`, admin)
  assert.equal(detail.counts[ev.sessions[0].id].checked_in, 2)
  await page.close()
})

test('a school creates an open day, publishes it, and runs its waiting list at a desk', async (t) => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, acceptDownloads: true })
  await signIn(page, 'school-dh1')
  await page.waitForURL(/\/console\/dashboard/)
  await page.getByRole('menuitem', { name: '开放日活动' }).click()
  await page.waitForURL(/\/console\/events$/)
  await assertFast(t, page, page.locator('[data-test=events] .el-table__row').first(), 'events list')
  await page.locator('[data-test=events] .el-table__row', { hasText: '三年级家长开放日（签到）' }).getByText('已发布').waitFor()
  await page.screenshot({ path: join(shots, 'events-list.png'), fullPage: true })

  // A create with nothing filled in: the API's errors appear beside their fields.
  await page.getByRole('button', { name: '新建活动' }).click()
  const dialog = page.getByRole('dialog', { name: '新建开放日活动' })
  await dialog.getByRole('button', { name: '创建草稿' }).click()
  await dialog.locator('.el-form-item', { hasText: '活动名称' }).locator('.el-form-item__error').waitFor()
  await page.screenshot({ path: join(shots, 'events-create-errors.png'), fullPage: true })
  await dialog.getByLabel('活动名称').fill('三年级家长开放日（桌面）')
  await dialog.getByLabel('地点', { exact: true }).fill('学校礼堂')
  const beijing = (ms) => new Date(Date.now() + ms + 8 * 3600_000).toISOString().slice(0, 16).replace('T', ' ')
  const setTime = async (name, value) => {
    const input = dialog.getByRole('combobox', { name }).or(dialog.getByLabel(name, { exact: true })).first()
    await input.fill(value)
    await input.press('Enter')
  }
  await setTime('报名截止', beijing(24 * 3600_000))
  await setTime('第1场开始时间', beijing(48 * 3600_000))
  await setTime('第1场结束时间', beijing(50 * 3600_000))
  await dialog.getByLabel('第1场名额').fill('1')
  await dialog.getByRole('button', { name: '创建草稿' }).click()
  await page.waitForURL(/\/console\/events\/\w+$/)
  await page.locator('[data-test=event-status]', { hasText: '草稿' }).waitFor()
  const id = page.url().split('/').pop()

  await page.getByRole('button', { name: '发布' }).click()
  await page.getByRole('dialog', { name: '发布活动' }).getByRole('button', { name: '发布' }).click()
  await page.locator('[data-test=event-status]', { hasText: '已发布' }).waitFor()

  // Two families sign up for one place: the second waits, first in line.
  const ev = await api('GET', `/api/v1/admin/events/${id}`, admin)
  const first = await signUp(parents[2], ev)
  const second = await signUp(parents[3], ev)
  assert.deepEqual([first.status, second.status], ['confirmed', 'waiting'])
  await assertFast(t, page, page.locator('[data-test=signups] .el-table__row').nth(1), 'event detail')
  const waitingRow = page.locator('[data-test=signups] .el-table__row', { hasText: second.child_name })
  await waitingRow.getByText('候补').waitFor()
  await waitingRow.getByText('第1位').waitFor()
  assert.match(await waitingRow.innerText(), /\d{3}\*{4}\d{4}|—/, 'the phone is masked')
  await page.screenshot({ path: join(shots, 'events-detail-waiting.png'), fullPage: true })

  // One more place: the waiting family is promoted.
  await page.locator('[data-test=sessions] .el-table__row', { hasText: '上午场' }).getByRole('button', { name: '调整名额' }).click()
  const cap = page.getByRole('dialog', { name: /调整名额/ })
  await cap.getByLabel('名额').fill('2')
  await cap.getByRole('button', { name: '保存' }).click()
  await waitingRow.getByText('报名成功').waitFor()
  await page.screenshot({ path: join(shots, 'events-detail-promoted.png'), fullPage: true })

  const [file] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: '导出名单（Excel）' }).click()])
  assert.match(file.suggestedFilename(), /报名名单\.xlsx$/)

  // Cancelling the afternoon-less event's only session asks first, then says so.
  await page.locator('[data-test=sessions] .el-table__row', { hasText: '上午场' }).getByRole('button', { name: '取消场次' }).click()
  await page.getByRole('button', { name: '确定取消' }).click()
  await page.locator('[data-test=sessions] .el-table__row', { hasText: '上午场' }).getByText('已取消').waitFor()
  await page.close()
})
