// Months of the monthly report, in Beijing time.

/** thisMonth is the current month in Beijing, "2026-12". */
export function thisMonth(now = new Date()): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit' }).format(now).slice(0, 7)
}

/** lastCompleteMonth is the month before the current one: the newest month with a report. */
export function lastCompleteMonth(now = new Date()): string {
  const [y, m] = thisMonth(now).split('-').map(Number)
  return m === 1 ? `${y - 1}-12` : `${y}-${String(m - 1).padStart(2, '0')}`
}

/** monthLabel: "2026-11" → "2026年11月". */
export function monthLabel(month: string): string {
  const m = /^(\d{4})-(\d{2})$/.exec(month)
  return m ? `${m[1]}年${Number(m[2])}月` : month
}
