import { describe, expect, it } from 'vitest'
import { figure } from './format'

describe('figure', () => {
  it('shows rates as percentages and counts as counts', () => {
    expect(figure('rate', 0.9123)).toBe('91.2%')
    expect(figure('rate', 1)).toBe('100.0%')
    expect(figure('count', 3)).toBe('3')
    expect(figure('hours', 2.5)).toBe('2.5')
    expect(figure('rate', null)).toBe('—')
  })
})

describe('Beijing time', () => {
  it('reads an instant as Beijing wall-clock time whatever the zone', async () => {
    const { shortTime, todayInBeijing } = await import('./format')
    expect(shortTime('2026-12-04T15:59:59Z')).toBe('2026-12-04 23:59')
    expect(shortTime('2026-12-04T23:59:59+08:00')).toBe('2026-12-04 23:59')
    expect(todayInBeijing(new Date('2026-12-03T17:00:00Z'))).toBe('2026-12-04')
  })
})
