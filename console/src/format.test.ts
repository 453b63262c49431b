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
