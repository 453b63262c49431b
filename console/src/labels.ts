// Every code's Chinese label, from GET /api/v1/meta/labels (cached by the browser with its ETag).
import { reactive } from 'vue'
import { api, call } from './api/client'

export const labels = reactive<{ all: Record<string, Record<string, string>> }>({ all: {} })

export async function loadLabels() {
  labels.all = (await call(api.GET('/api/v1/meta/labels'))) as Record<string, Record<string, string>>
}

export function label(enumName: string, code: string | undefined): string {
  if (!code) return ''
  return labels.all[enumName]?.[code] ?? code
}
