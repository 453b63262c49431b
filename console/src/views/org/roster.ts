// Reading a roster file in the browser, only to show each error beside the line it is about:
// the server reads the file itself and is the one that decides.

/** decodeText reads UTF-8 (with or without BOM), else GB18030 as Chinese Excel saves CSV. */
export function decodeText(b: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(b)
  } catch {
    return new TextDecoder('gb18030').decode(b)
  }
}

/**
 * linesOf splits a CSV into its physical lines as the server numbers them (the header is line
 * 1, blank lines count); a record with a quoted line break is shown on the line it starts on.
 */
export function linesOf(text: string): string[] {
  const out: string[] = []
  let start = -1 // where the record being read is put
  let cur = ''
  let quoted = false
  for (let i = 0; i < text.length; i++) {
    if (start < 0) {
      start = out.length
      out.push('')
    }
    const ch = text[i]
    if (ch === '"') quoted = !quoted
    if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++
      if (quoted) {
        cur += ' '
        out.push('') // the record goes on: this line starts none of its own
        continue
      }
      out[start] = cur
      cur = ''
      start = -1
      continue
    }
    cur += ch
  }
  if (start >= 0) out[start] = cur
  return out
}
