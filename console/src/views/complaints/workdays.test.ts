import { describe, expect, it } from 'vitest'
import { beijingDay, dueText, workingDaysLeft } from './workdays'

describe('workingDaysLeft', () => {
  // Thursday 2026-12-03, 10:00 in Beijing.
  const now = new Date('2026-12-03T02:00:00Z')
  const cal = { 2026: { holidays: ['2026-12-07'], workdays: ['2026-12-06'] } }

  it('counts Monday to Friday after today up to the deadline day', () => {
    // Friday 4th, (Sat 5th), (Sun 6th), Mon 7th, Tue 8th: deadline end of Tuesday.
    expect(workingDaysLeft('2026-12-08T15:59:59Z', now, {})).toBe(3)
  })
  it('follows the entered holidays and worked weekend days', () => {
    // Fri 4th, Sun 6th worked, Mon 7th a holiday, Tue 8th.
    expect(workingDaysLeft('2026-12-08T15:59:59Z', now, cal)).toBe(3)
    expect(workingDaysLeft('2026-12-07T15:59:59Z', now, cal)).toBe(2)
  })
  it('is 0 on the day it falls due, in Beijing time', () => {
    expect(workingDaysLeft('2026-12-03T15:59:59Z', now, {})).toBe(0)
    expect(beijingDay(new Date('2026-12-03T16:30:00Z'))).toBe('2026-12-04')
  })
  it('is negative once passed', () => {
    expect(workingDaysLeft('2026-12-01T15:59:59Z', now, {})).toBe(-2)
    expect(dueText(-2)).toBe('已逾期')
    expect(dueText(0)).toBe('今日到期')
    expect(dueText(3)).toBe('剩3个工作日')
  })
})
