// How a figure reads, by the unit the API gives it: a rate as a percentage, a count or hours as
// a number.
export type Unit = 'rate' | 'count' | 'hours'

export function figure(unit: Unit, value: number | null | undefined): string {
  if (value == null) return '—'
  if (unit === 'rate') return `${(value * 100).toFixed(1)}%`
  return Number.isInteger(value) ? String(value) : value.toFixed(1)
}
