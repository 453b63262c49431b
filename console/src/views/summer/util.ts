// Small pure helpers of the summer-care screens: Beijing wall-clock times typed into pickers and
// sent as instants, minutes read as hours, and how near a credential is to its expiry.
import { shortTime, todayInBeijing } from '../../format'

/**
 * beijingInstant turns a wall-clock time typed in Beijing ("2026-07-06 08:30", as the pickers
 * give it) into an RFC 3339 instant with the +08:00 offset, whatever the browser's own zone.
 * An empty or malformed value gives undefined (the API names the missing field).
 */
export function beijingInstant(wall: string | undefined | null): string | undefined {
  const m = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}):(\d{2})/.exec(wall ?? '')
  return m ? `${m[1]}T${m[2]}:${m[3]}:00+08:00` : undefined
}

/** wallClock is an instant as the pickers take it back: Beijing "YYYY-MM-DD HH:mm". */
export function wallClock(iso: string | undefined): string {
  return iso ? shortTime(iso) : ''
}

/** hours reads minutes as hours with at most one decimal, as the API's "hours" fields do. */
export function hours(minutes: number | undefined): string {
  if (minutes == null) return '—'
  const h = Math.round((minutes / 60) * 10) / 10
  return Number.isInteger(h) ? String(h) : h.toFixed(1)
}

export type Expiry = 'expired' | 'soon' | 'valid'

/**
 * expiry says whether a credential that runs to expires (a calendar date, its last valid day)
 * has lapsed, lapses within soonDays, or is valid, as of today in Beijing.
 */
export function expiry(expires: string | undefined, today = todayInBeijing(), soonDays = 30): Expiry {
  if (!expires) return 'valid'
  if (expires < today) return 'expired'
  const limit = new Date(`${today}T00:00:00Z`)
  limit.setUTCDate(limit.getUTCDate() + soonDays)
  return expires <= limit.toISOString().slice(0, 10) ? 'soon' : 'valid'
}

/** thisYear is the current year in Beijing. */
export function thisYear(now = new Date()): number {
  return Number(todayInBeijing(now).slice(0, 4))
}

/** dayRange shows a period's dates, "2026-07-06 至 2026-07-10". */
export function dayRange(start: string, end: string): string {
  return start === end ? start : `${start} 至 ${end}`
}

/** timeRange shows a shift's span, the end without its date when it is the same day. */
export function timeRange(start: string, end: string): string {
  const a = shortTime(start)
  const b = shortTime(end)
  return a.slice(0, 10) === b.slice(0, 10) ? `${a}–${b.slice(11)}` : `${a} – ${b}`
}

/** clockRange shows a shift's hours beside its date: "08:30–12:30", the end's date when another day. */
export function clockRange(start: string, end: string): string {
  const a = shortTime(start)
  const b = shortTime(end)
  return a.slice(0, 10) === b.slice(0, 10) ? `${a.slice(11)}–${b.slice(11)}` : `${a.slice(11)} – ${b}`
}
