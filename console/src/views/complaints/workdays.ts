// Deadlines are counted in working days (models.Calendars): Monday to Friday, less the holidays
// the bureau entered for the year, plus the weekend days worked in exchange. The ledger says how
// many are left with the same rule, from the year's calendar (GET /admin/calendar/{year}).

export interface YearCalendar {
  holidays: string[]
  workdays: string[]
}

/** beijingDay is the Beijing calendar day of an instant, "2026-12-04". */
export function beijingDay(t: Date): string {
  return new Date(t.getTime() + 8 * 3600_000).toISOString().slice(0, 10)
}

function isWorkingDay(day: string, cal: YearCalendar | undefined): boolean {
  if (cal?.workdays.includes(day)) return true
  if (cal?.holidays.includes(day)) return false
  const wd = new Date(day + 'T00:00:00Z').getUTCDay()
  return wd !== 0 && wd !== 6
}

/**
 * workingDaysLeft counts the working days after today up to the deadline's day (a deadline is the
 * end of a working day): 0 when it falls due today, negative when it has passed. calendars are by
 * year; a year not entered counts weekends only.
 */
export function workingDaysLeft(deadline: string, now: Date, calendars: Record<number, YearCalendar>): number {
  const today = beijingDay(now)
  const due = beijingDay(new Date(deadline))
  if (due === today) return 0
  const [from, to, sign] = due > today ? [today, due, 1] : [due, today, -1]
  let n = 0
  for (let d = next(from); d <= to; d = next(d)) {
    if (isWorkingDay(d, calendars[Number(d.slice(0, 4))])) n++
  }
  return sign * n
}

function next(day: string): string {
  return new Date(Date.parse(day + 'T00:00:00Z') + 86400_000).toISOString().slice(0, 10)
}

/** dueText says how a deadline stands, as the ledger shows it beside the date. */
export function dueText(left: number): string {
  if (left > 0) return `剩${left}个工作日`
  if (left === 0) return '今日到期'
  return '已逾期'
}
