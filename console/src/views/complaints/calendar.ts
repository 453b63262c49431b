// The working-day calendars the ledger counts deadlines with: this year's and next year's (a
// deadline set in late December falls in January), fetched once per page.
import { reactive } from 'vue'
import { api, call } from '../../api/client'
import { beijingDay, workingDaysLeft, type YearCalendar } from './workdays'

export function useCalendars() {
  const calendars = reactive<Record<number, YearCalendar>>({})
  async function load() {
    const year = Number(beijingDay(new Date()).slice(0, 4))
    const got = await Promise.all([year, year + 1].map((y) =>
      call(api.GET('/api/v1/admin/calendar/{year}', { params: { path: { year: y } } })).catch(() => undefined)))
    got.forEach((c) => { if (c) calendars[c.year] = { holidays: c.holidays ?? [], workdays: c.workdays ?? [] } })
  }
  /** left is how many working days remain before deadline (negative once passed). */
  const left = (deadline: string) => workingDaysLeft(deadline, new Date(), calendars)
  return { calendars, load, left }
}
