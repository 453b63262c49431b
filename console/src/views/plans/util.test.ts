import { describe, expect, it } from 'vitest'
import { beijingInput, fromBeijingInput, ratio, termLabel, termOf, termsAround, weekdayLabel } from './util'

describe('plans util', () => {
  it('finds the term as the server does', () => {
    expect(termOf(new Date('2026-12-03T10:00:00Z'))).toBe('2026-autumn')
    expect(termOf(new Date('2027-01-15T10:00:00Z'))).toBe('2026-autumn')
    expect(termOf(new Date('2027-03-01T10:00:00Z'))).toBe('2027-spring')
    // 00:30 on 1 August in Beijing is the autumn term, though it is still July in UTC.
    expect(termOf(new Date('2026-07-31T16:30:00Z'))).toBe('2026-autumn')
  })
  it('reads terms in Chinese and lists neighbours', () => {
    expect(termLabel('2026-autumn')).toBe('2026年秋季学期')
    expect(termsAround('2026-autumn')).toEqual(['2027-spring', '2026-autumn', '2026-spring'])
    expect(termsAround('2027-spring')).toEqual(['2027-autumn', '2027-spring', '2026-autumn'])
  })
  it('round-trips Beijing wall-clock time', () => {
    const s = beijingInput(new Date('2026-12-03T10:00:05Z'))
    expect(s).toBe('2026-12-03 18:00:05')
    expect(new Date(fromBeijingInput(s)!).toISOString()).toBe('2026-12-03T10:00:05.000Z')
    expect(fromBeijingInput('')).toBeUndefined()
  })
  it('labels weekdays and divides safely', () => {
    expect(weekdayLabel(5)).toBe('星期五')
    expect(ratio(1, 0)).toBeNull()
    expect(ratio(1, 4)).toBe(0.25)
  })
})
