// The 12345 hotline import: the file goes up as it is (CSV or XLSX, the API reads both), and a
// refused file comes back with every bad line, which the screen lists (the shared call() keeps
// only the message, so this reads the error envelope itself).
import { api, type Schemas } from '../../api/client'
import { fromResponse, offline, type Envelope } from '../../api/errors'
import { session } from '../../session'

export type TicketImportResult = Schemas['TicketImportResult']
export type LineError = Schemas['LineError']

export interface ImportOutcome {
  result?: TicketImportResult
  /** The file's problems by line (422 rows_invalid); nothing was imported. */
  lines: LineError[]
  /** What went wrong otherwise (or the summary of the lines), in Chinese. */
  message: string
}

export async function importTickets(file: File): Promise<ImportOutcome> {
  const body = new FormData()
  body.append('file', file)
  let r: Awaited<ReturnType<typeof post>>
  try {
    r = await post(body)
  } catch {
    return { lines: [], message: offline().message }
  }
  if (r.response.ok && r.data) return { result: r.data, lines: [], message: '' }
  if (r.response.status === 401) session.expired()
  const env = r.error as Envelope & { error?: { lines?: LineError[] } }
  const err = fromResponse(r.response.status, env)
  const fieldMsg = Object.values(err.fields)[0]
  return { lines: env?.error?.lines ?? [], message: fieldMsg || err.message }
}

function post(body: FormData) {
  return api.POST('/api/v1/admin/complaints/import', { body: body as never })
}

/** The columns the API expects, in order (models.ParseTickets). */
export const ticketColumns = ['工单编号', '受理日期', '学校', '类别', '诉求内容'] as const

/** templateCSV is an empty file with the expected header and one example line. */
export function templateCSV(): Blob {
  const text = '\ufeff' + ticketColumns.join(',') + '\r\n' + 'GD20261201001,2026-12-01,东湖区实验小学,收费,课后服务收费标准未公示\r\n'
  return new Blob([text], { type: 'text/csv;charset=utf-8' })
}
