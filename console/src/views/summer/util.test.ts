import { describe, expect, test } from 'vitest'
import { beijingInstant, clockRange, dayRange, expiry, hours, thisYear, timeRange, wallClock } from './util'

describe('beijingInstant', () => {
  test.each([
    ['a picker value', '2026-07-06 08:30', '2026-07-06T08:30:00+08:00'],
    ['with seconds', '2026-07-06 08:30:15', '2026-07-06T08:30:00+08:00'],
    ['ISO-like', '2026-07-06T23:05', '2026-07-06T23:05:00+08:00'],
    ['empty', '', undefined],
    ['null', null, undefined],
    ['garbage', '明天', undefined],
  ])('%s', (_, wall, want) => expect(beijingInstant(wall)).toBe(want))

  test('round-trips through wallClock', () => {
    expect(wallClock(beijingInstant('2026-07-06 08:30'))).toBe('2026-07-06 08:30')
    expect(wallClock('2026-07-06T00:30:00Z')).toBe('2026-07-06 08:30')
    expect(wallClock(undefined)).toBe('')
  })
})

test.each([
  [undefined, '—'],
  [0, '0'],
  [120, '2'],
  [150, '2.5'],
  [185, '3.1'],
])('hours(%s) = %s', (m, want) => expect(hours(m)).toBe(want))

describe('expiry', () => {
  const today = '2026-07-01'
  test.each([
    ['yesterday', '2026-06-30', 'expired'],
    ['today is still valid', '2026-07-01', 'soon'],
    ['within 30 days', '2026-07-31', 'soon'],
    ['beyond 30 days', '2026-08-01', 'valid'],
    ['none given', undefined, 'valid'],
  ])('%s', (_, exp, want) => expect(expiry(exp, today)).toBe(want))
})

test('thisYear is Beijing’s year at new year', () => {
  expect(thisYear(new Date('2026-12-31T17:00:00Z'))).toBe(2027)
  expect(thisYear(new Date('2026-12-31T15:00:00Z'))).toBe(2026)
})

test('ranges', () => {
  expect(dayRange('2026-07-06', '2026-07-10')).toBe('2026-07-06 至 2026-07-10')
  expect(dayRange('2026-07-06', '2026-07-06')).toBe('2026-07-06')
  expect(timeRange('2026-07-06T00:30:00Z', '2026-07-06T04:30:00Z')).toBe('2026-07-06 08:30–12:30')
  expect(timeRange('2026-07-06T00:30:00Z', '2026-07-07T04:30:00Z')).toBe('2026-07-06 08:30 – 2026-07-07 12:30')
  expect(clockRange('2026-07-06T00:30:00Z', '2026-07-06T04:30:00Z')).toBe('08:30–12:30')
  expect(clockRange('2026-07-06T14:30:00Z', '2026-07-06T17:30:00Z')).toBe('22:30 – 2026-07-07 01:30')
})
