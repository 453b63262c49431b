// Small pure helpers of the plans and course-selection screens: terms, weekdays, Beijing
// date-times for pickers. (Candidates for shared code: termOf/termLabel and weekdayLabel.)

/** termOf is the term a day falls in, as models.TermOf: February–July spring, August–January autumn. */
export function termOf(now = new Date()): string {
  const [y, m] = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit' })
    .format(now).split('-').map(Number)
  if (m === 1) return `${y - 1}-autumn`
  return m <= 7 ? `${y}-spring` : `${y}-autumn`
}

/** termLabel reads a term in Chinese: 2026-autumn → 2026年秋季学期. */
export function termLabel(term: string): string {
  const m = /^(\d{4})-(spring|autumn)$/.exec(term)
  if (!m) return term
  return `${m[1]}年${m[2] === 'spring' ? '春季' : '秋季'}学期`
}

/** termsAround lists the term before, the current one and the next, newest first. */
export function termsAround(term: string): string[] {
  const m = /^(\d{4})-(spring|autumn)$/.exec(term)
  if (!m) return [term]
  const y = Number(m[1])
  return m[2] === 'autumn' ? [`${y + 1}-spring`, term, `${y}-spring`] : [`${y}-autumn`, term, `${y - 1}-autumn`]
}

const weekdays = ['', '星期一', '星期二', '星期三', '星期四', '星期五', '星期六', '星期日']

/** weekdayLabel: 1 → 星期一 … 7 → 星期日. */
export function weekdayLabel(d: number): string {
  return weekdays[d] ?? String(d)
}

export const weekdayOptions = [1, 2, 3, 4, 5, 6, 7].map((d) => ({ value: d, label: weekdays[d] }))

/** basic categories of 2+N; the rest are extended services. */
export const basicCategories = ['homework', 'sports']

/**
 * beijingInput formats an instant for an el-date-picker showing Beijing wall-clock time
 * ("2026-12-03 18:00:00"); fromBeijingInput reads it back as an RFC 3339 instant.
 */
export function beijingInput(d: Date): string {
  const p = Object.fromEntries(new Intl.DateTimeFormat('en-CA', {
    timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23',
  }).formatToParts(d).map((x) => [x.type, x.value]))
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}:${p.second}`
}

export function fromBeijingInput(s: string): string | undefined {
  const m = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}(:\d{2})?)$/.exec(s ?? '')
  if (!m) return undefined
  return `${m[1]}T${m[2].length === 5 ? m[2] + ':00' : m[2]}+08:00`
}

/** ratio as the API computes rates: n/d, null when there is nothing to divide by. */
export function ratio(n: number, d: number): number | null {
  return d > 0 ? n / d : null
}
