// What the API's error envelope means to the person at the screen. Messages come from the API in
// Chinese; a lost connection or an expired session is said plainly, and field errors stay by
// the field they name.

export interface Envelope {
  error?: { code?: string; message?: string; fields?: Record<string, string>; request_id?: string }
}

export class ApiError extends Error {
  constructor(
    message: string,
    public readonly status: number,
    public readonly code: string,
    public readonly fields: Record<string, string> = {},
  ) {
    super(message)
  }
}

/** fromResponse turns a failed answer (status and parsed body, if any) into an ApiError. */
export function fromResponse(status: number, body: unknown): ApiError {
  const env = (body ?? {}) as Envelope
  const e = env.error ?? {}
  if (status === 401) return new ApiError('登录已过期，请重新登录', status, e.code ?? 'unauthenticated')
  if (status === 429) return new ApiError('操作太频繁，请稍后再试', status, e.code ?? 'rate_limited')
  const message = e.message || (status >= 500 ? '服务器出错了，请稍后再试' : `请求失败（${status}）`)
  return new ApiError(message, status, e.code ?? 'error', e.fields ?? {})
}

/** offline is the error for a request that never got an answer. */
export function offline(): ApiError {
  return new ApiError('网络连接中断，请检查网络后重试（已填写的内容不会丢失）', 0, 'offline')
}

/**
 * formError splits a failed submission for a form: the errors the API named by field go beside
 * their fields; anything else is one message above the buttons.
 */
export function formError(e: unknown): { fields: Record<string, string>; message: string } {
  const err = e instanceof ApiError ? e : offline()
  const fields = err.fields ?? {}
  return { fields, message: Object.keys(fields).length ? '' : err.message }
}
