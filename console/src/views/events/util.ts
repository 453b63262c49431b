// Pure helpers of the open-day screens: Beijing wall-clock times in the forms, the session
// fields' errors, and what a check-in answer means to the person at the door.
import { shortTime } from '../../format'

/**
 * The date pickers give and take Beijing wall-clock time as "YYYY-MM-DDTHH:mm:ss" (no zone),
 * whatever the browser's zone; the API takes RFC 3339 instants.
 */
export const pickerFormat = 'YYYY-MM-DDTHH:mm:ss'

/** toInstant turns a picker's Beijing wall-clock value into an instant ('' stays unset). */
export function toInstant(wall: string | null | undefined): string | undefined {
  if (!wall) return undefined
  return wall.length === 16 ? `${wall}:00+08:00` : `${wall}+08:00`
}

/** toWall turns an instant into the picker's Beijing wall-clock value. */
export function toWall(iso: string | undefined): string {
  if (!iso) return ''
  return shortTime(iso).replace(' ', 'T') + ':00'
}

/** sessionTime shows a session's span: "2026-12-10 09:00–11:00" (the end's date when it differs). */
export function sessionTime(starts: string | undefined, ends: string | undefined): string {
  const a = shortTime(starts)
  const b = shortTime(ends)
  if (!starts || !ends) return a
  return a.slice(0, 10) === b.slice(0, 10) ? `${a}–${b.slice(11)}` : `${a} 至 ${b}`
}

/** sessionFields picks the errors of session i out of the API's fields ("sessions[0].capacity"). */
export function sessionFields(fields: Record<string, string>, i: number): Record<string, string> {
  const prefix = `sessions[${i}].`
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(fields)) if (k.startsWith(prefix)) out[k.slice(prefix.length)] = v
  return out
}

/** What a check-in attempt came to, as the door shows it. */
export interface CheckinOutcome {
  kind: 'success' | 'duplicate' | 'wrong' | 'error'
  title: string
  detail: string
}

// A refusal's headline, and what to do when the API's message would only repeat it; where
// the message says more (when a session starts or ends), it is shown instead.
const wrong: Record<string, [string, string?]> = {
  checkin_other_event: ['不是本活动的入场码', '请家长出示本活动的入场码，或在上方切换活动'],
  checkin_other_school: ['不是本校活动的入场码', '请家长出示本校活动的入场码'],
  checkin_invalid: ['入场码无效', '请核对入场码是否完整，或请家长在小程序中重新打开入场码'],
  checkin_expired: ['入场码已过期', '活动已结束，入场码不再有效'],
  checkin_not_confirmed: ['报名未确认或已取消', '候补或已取消的报名不能签到'],
  checkin_too_early: ['签到尚未开始'],
  checkin_session_over: ['场次已结束'],
}

/**
 * failedCheckin explains a refused check-in by the API's code; byCode when a short code was
 * typed (the API's message then says what was wrong with it).
 */
export function failedCheckin(code: string, message: string, byCode = false): CheckinOutcome {
  if (code === 'already_checked_in') return { kind: 'duplicate', title: '已签到过', detail: byCode ? '该签到码已签到，不能重复使用' : '该入场码已签到，不能重复使用' }
  if (byCode && code === 'checkin_invalid') return { kind: 'wrong', title: '签到码不对', detail: message }
  if (code in wrong) {
    const [title, hint] = wrong[code]
    return { kind: 'wrong', title, detail: hint ?? message }
  }
  return { kind: 'error', title: '签到没有成功', detail: message }
}

/**
 * scannedToken is the check-in code in what a QR code or a hand scanner gave: the token itself
 * ("v1.…"), trimmed; a link that carries it as ?token= is read too.
 */
export function scannedToken(text: string): string {
  const t = text.trim()
  const m = /[?&]token=([^&#\s]+)/.exec(t)
  return m ? decodeURIComponent(m[1]) : t
}

/** What the manual field holds: a family's short code (digits) or a scanned or pasted token. */
export type ManualEntry = { code: string } | { token: string } | { error: string }

/**
 * manualEntry reads the manual field: digits (spaces, dashes and full-width digits allowed, as
 * a code is read out in two groups) are a short check-in code, which has 8 digits; anything
 * else is a token ("v1.…").
 */
export function manualEntry(text: string): ManualEntry {
  const digits = text.replace(/[０-９]/g, (d) => String.fromCharCode(d.charCodeAt(0) - 0xfee0)).replace(/[\s\-]/g, '')
  if (!digits) return { error: '请输入签到码' }
  if (/^\d+$/.test(digits)) return digits.length === 8 ? { code: digits } : { error: '签到码应为8位数字，请核对' }
  return { token: scannedToken(text) }
}
