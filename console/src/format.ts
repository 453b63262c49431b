// How a figure reads, by the unit the API gives it: a rate as a percentage, a count or hours as
// a number.
export type Unit = 'rate' | 'count' | 'hours'

export function figure(unit: Unit, value: number | null | undefined): string {
  if (value == null) return '—'
  if (unit === 'rate') return `${(value * 100).toFixed(1)}%`
  return Number.isInteger(value) ? String(value) : value.toFixed(1)
}

const beijing = new Intl.DateTimeFormat('zh-CN', {
  timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
})

/** shortTime shows an instant as Beijing wall-clock time, "2026-12-04 23:59". */
export function shortTime(iso: string | undefined): string {
  if (!iso) return '—'
  const p = Object.fromEntries(beijing.formatToParts(new Date(iso)).map((x) => [x.type, x.value]))
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}`
}

/** todayInBeijing is today's date in Beijing, "2026-12-03", whatever the browser's zone. */
export function todayInBeijing(now = new Date()): string {
  return shortTime(now.toISOString()).slice(0, 10)
}
