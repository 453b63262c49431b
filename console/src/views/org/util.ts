// What the organisation screens need beyond the shared client: the roster upload (a multipart
// body whose refusal carries line-by-line errors, which ApiError does not keep), the binding-code
// CSV read as text (for the printable letter), and a small CSV reader for it.
import { session } from '../../session'
import { fromResponse, offline, ApiError } from '../../api/errors'

export interface LineError {
  line: number
  field?: string
  message: string
}

export interface RosterResult {
  created: number
  updated: number
  unchanged: number
  renamed: number
}

/** RosterRefusal is an upload the API refused: its message, and each bad line when it named them. */
export class RosterRefusal extends Error {
  constructor(message: string, public readonly lines: LineError[], public readonly fields: Record<string, string>) {
    super(message)
  }
}

function authHeaders(): Record<string, string> {
  return session.token ? { Authorization: `Bearer ${session.token}` } : {}
}

/** uploadRoster sends a roster file; it throws a RosterRefusal (4xx with a body) or an ApiError. */
export async function uploadRoster(schoolId: string, file: File): Promise<RosterResult> {
  const body = new FormData()
  body.append('file', file, file.name)
  let r: Response
  try {
    r = await fetch(`/api/v1/admin/schools/${encodeURIComponent(schoolId)}/roster`, { method: 'POST', headers: authHeaders(), body })
  } catch {
    throw offline()
  }
  const json = await r.json().catch(() => undefined)
  if (r.ok) return json as RosterResult
  if (r.status === 401) session.expired()
  const err = fromResponse(r.status, json)
  if (r.status === 422 || r.status === 415 || r.status === 413) {
    const e = (json as { error?: { lines?: LineError[] } } | undefined)?.error
    let message = err.message
    if (r.status === 415) message = '只能上传CSV或Excel（.xlsx）文件'
    if (r.status === 413) message = '文件太大，请分批上传'
    throw new RosterRefusal(message, e?.lines ?? [], err.fields)
  }
  throw err
}

/** fetchText GETs a staff file (a CSV export) as text, with the session's token. */
export async function fetchText(path: string): Promise<string> {
  let r: Response
  try {
    r = await fetch(path, { headers: authHeaders() })
  } catch {
    throw offline()
  }
  if (!r.ok) {
    const body = await r.json().catch(() => undefined)
    if (r.status === 401) session.expired()
    throw fromResponse(r.status, body)
  }
  return r.text()
}

/** parseCSV reads RFC 4180 CSV (quoted cells, doubled quotes, CRLF), dropping a BOM. */
export function parseCSV(text: string): string[][] {
  const rows: string[][] = []
  let row: string[] = []
  let cell = ''
  let quoted = false
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0
  for (; i < text.length; i++) {
    const ch = text[i]
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"'
        i++
      } else if (ch === '"') quoted = false
      else cell += ch
    } else if (ch === '"') quoted = true
    else if (ch === ',') {
      row.push(cell)
      cell = ''
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++
      row.push(cell)
      rows.push(row)
      row = []
      cell = ''
    } else cell += ch
  }
  if (cell !== '' || row.length) {
    row.push(cell)
    rows.push(row)
  }
  return rows
}

/**
 * unsafeCell undoes the export's CSV-injection guard for display: a cell the server prefixed
 * with a single quote (because it began with =, +, -, @) is shown as it was written.
 */
export function shownCell(v: string): string {
  return /^'[=+\-@\t\r]/.test(v) ? v.slice(1) : v
}

export interface Letter {
  studentNo: string
  name: string
  grade: string
  className: string
  code: string
}

/** lettersFrom turns the binding-code CSV (学号,姓名,年级,班级,绑定码) into one letter per pupil. */
export function lettersFrom(csv: string): Letter[] {
  const rows = parseCSV(csv)
  if (!rows.length) return []
  const head = rows[0].map((h) => h.trim())
  const at = (name: string) => head.indexOf(name)
  const [no, nm, gr, cl, cd] = ['学号', '姓名', '年级', '班级', '绑定码'].map(at)
  return rows
    .slice(1)
    .filter((r) => r.some((c) => c.trim() !== ''))
    .map((r) => ({ studentNo: shownCell(r[no] ?? ''), name: shownCell(r[nm] ?? ''), grade: r[gr] ?? '', className: shownCell(r[cl] ?? ''), code: r[cd] ?? '' }))
}

/** gradeName says a grade as schools do: 1–6 一年级…六年级, 7–9 初一…初三. */
export function gradeName(g: number | string): string {
  const n = Number(g)
  const primary = ['一', '二', '三', '四', '五', '六']
  if (n >= 1 && n <= 6) return `${primary[n - 1]}年级`
  if (n >= 7 && n <= 9) return `初${primary[n - 7]}`
  return String(g)
}

export { ApiError }
