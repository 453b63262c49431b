import { describe, expect, it } from 'vitest'
import { lastCompleteMonth, monthLabel, thisMonth } from './month'

describe('report months', () => {
  it('counts months in Beijing time', () => {
    expect(thisMonth(new Date('2026-11-30T16:30:00Z'))).toBe('2026-12') // 00:30 on 1 December in Beijing
    expect(lastCompleteMonth(new Date('2026-12-03T10:00:00Z'))).toBe('2026-11')
    expect(lastCompleteMonth(new Date('2027-01-05T10:00:00Z'))).toBe('2026-12')
    expect(monthLabel('2026-09')).toBe('2026年9月')
  })
})
