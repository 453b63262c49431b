import { describe, expect, it } from 'vitest'
import { failedCheckin, manualEntry, scannedToken, sessionFields, sessionTime, toInstant, toWall } from './util'

describe('open-day helpers', () => {
  it('reads picker values as Beijing time and back', () => {
    expect(toInstant('2026-12-10T09:00:00')).toBe('2026-12-10T09:00:00+08:00')
    expect(toInstant('')).toBeUndefined()
    expect(toWall('2026-12-10T01:00:00Z')).toBe('2026-12-10T09:00:00')
    expect(toWall(toInstant('2026-12-31T23:30:00'))).toBe('2026-12-31T23:30:00')
  })
  it('shows a session span', () => {
    expect(sessionTime('2026-12-10T09:00:00+08:00', '2026-12-10T11:30:00+08:00')).toBe('2026-12-10 09:00–11:30')
    expect(sessionTime('2026-12-10T09:00:00+08:00', '2026-12-11T11:30:00+08:00')).toBe('2026-12-10 09:00 至 2026-12-11 11:30')
  })
  it('picks one session’s field errors', () => {
    expect(sessionFields({ 'sessions[1].capacity': '名额应为1–5000', title: 'x', 'sessions[0].label': 'y' }, 1)).toEqual({ capacity: '名额应为1–5000' })
  })
  it('says what a refused check-in means', () => {
    expect(failedCheckin('already_checked_in', '…').kind).toBe('duplicate')
    expect(failedCheckin('checkin_other_event', '这不是本活动的入场码')).toMatchObject({ kind: 'wrong', title: '不是本活动的入场码' })
    expect(failedCheckin('checkin_too_early', '签到尚未开始：上午场于12月4日 09:00开始').detail).toContain('09:00')
    expect(failedCheckin('offline', '网络连接中断').kind).toBe('error')
  })
  it('finds the token in what was scanned', () => {
    expect(scannedToken('  v1.a.b.c.1.sig \n')).toBe('v1.a.b.c.1.sig')
    expect(scannedToken('https://x/checkin?token=v1.a.b.c.1.sig&x=1')).toBe('v1.a.b.c.1.sig')
  })
  it('tells a typed short code from a token', () => {
    expect(manualEntry('4821 0934')).toEqual({ code: '48210934' })
    expect(manualEntry(' 4821-0934 ')).toEqual({ code: '48210934' })
    expect(manualEntry('４８２１０９３４')).toEqual({ code: '48210934' })
    expect(manualEntry('482109')).toEqual({ error: '签到码应为8位数字，请核对' })
    expect(manualEntry('  ')).toEqual({ error: '请输入签到码' })
    expect(manualEntry(' v1.a.b.c.1.sig ')).toEqual({ token: 'v1.a.b.c.1.sig' })
    expect(failedCheckin('checkin_invalid', '本活动没有这个签到码，请核对后重新输入', true)).toMatchObject({ title: '签到码不对', detail: '本活动没有这个签到码，请核对后重新输入' })
    expect(failedCheckin('already_checked_in', '…', true).detail).toBe('该签到码已签到，不能重复使用')
  })
})
