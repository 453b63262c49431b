// Pure helpers of the notices screens: how an audience reads, how a report's counts become
// table rows, whether a report is still moving (and so worth refreshing).
import type { Schemas } from '../../api/client'
import { label } from '../../labels'

type Audience = Schemas['Audience']
type Report = Schemas['NoticeReport']

/** The delivery statuses in the order the report shows them. */
export const deliveryStatuses = ['queued', 'sent', 'failed', 'skipped', 'unknown'] as const

/** audienceText says who a notice goes to, in words; schoolName names a school id when known. */
export function audienceText(a: Audience, schoolName: (id: string) => string = (id) => id, scope?: string): string {
  const kind = label('audience_kind', a.kind)
  switch (a.kind) {
    case 'scope':
      return scope ?? kind
    case 'schools':
      return `${kind}：${(a.school_ids ?? []).map(schoolName).join('、')}`
    case 'grades': {
      const grades = (a.grades ?? []).map((g) => `${g}年级`).join('、')
      const schools = a.school_ids?.length ? `（${a.school_ids.map(schoolName).join('、')}）` : ''
      return `${kind}：${grades}${schools}`
    }
    case 'classes':
      return `${kind}：${(a.classes ?? []).map((c) => `${c.grade}年级${c.class}`).join('、')}`
    case 'remind':
      return a.unconfirmed ? '未回执的收件人' : '未读的收件人'
    default:
      return kind
  }
}

/** scopeAudience says "everyone in my scope" as the role sees it. */
export function scopeAudience(role: string | undefined): string {
  return role === 'school' ? '本校全部家长' : role === 'county' ? '本区（县）全部家长' : '全市全部家长'
}

export interface ChannelRow {
  channel: string
  total: number
  counts: Record<string, number>
}

/** channelRows turns the report's channel → status → count into one row per channel, in order. */
export function channelRows(r: Report | undefined, order: string[] = []): ChannelRow[] {
  const channels = r?.channels ?? {}
  const keys = Object.keys(channels).sort((a, b) => rank(order, a) - rank(order, b) || a.localeCompare(b))
  return keys.map((channel) => {
    const counts = channels[channel] ?? {}
    return { channel, counts, total: Object.values(counts).reduce((s, n) => s + n, 0) }
  })
}

function rank(order: string[], ch: string): number {
  const i = order.indexOf(ch)
  return i < 0 ? order.length : i
}

/** queuedCount is how many deliveries are still waiting to be sent. */
export function queuedCount(r: Report | undefined): number {
  return Object.values(r?.channels ?? {}).reduce((s, byStatus) => s + (byStatus.queued ?? 0), 0)
}

/**
 * live says whether a notice's report is still changing: it is going out, or has gone out with
 * deliveries still queued, or is due and about to go out. A notice scheduled for later waits for
 * its time (it is not refreshed every few seconds), a cancelled one never moves.
 */
export function live(status: string, r: Report | undefined, sendAt?: string, now = Date.now()): boolean {
  if (status === 'scheduled') return !!sendAt && Date.parse(sendAt) <= now // due: the fan-out starts any moment
  return status === 'sending' || (status === 'sent' && queuedCount(r) > 0)
}

/** moveItem moves the item at i by delta (−1 up, +1 down) in a copy of list. */
export function moveItem<T>(list: T[], i: number, delta: number): T[] {
  const j = i + delta
  if (j < 0 || j >= list.length) return list.slice()
  const out = list.slice()
  ;[out[i], out[j]] = [out[j], out[i]]
  return out
}

/** gradesOf lists the grades a school of this stage teaches. */
export function gradesOf(stage: string | undefined): number[] {
  if (stage === 'primary') return [1, 2, 3, 4, 5, 6]
  if (stage === 'junior') return [7, 8, 9]
  return [1, 2, 3, 4, 5, 6, 7, 8, 9]
}

/** recipientText names a delivery's recipient as staff may see them: a robot, or a masked number. */
export function recipientText(memberId: string, phone: string | undefined, robotName: (id: string) => string | undefined): string {
  if (memberId.startsWith('robot:')) return `群机器人 ${robotName(memberId.slice(6)) ?? ''}`.trim()
  return phone ? `家长 ${phone}` : `家长（未授权手机号）`
}

// Why a delivery was not sent, in words. The API gives these as short machine codes (jobs and
// bots) and has no label enum for them yet; an unknown code is shown as it is.
const reasons: Record<string, string> = {
  no_consent: '家长未订阅（无订阅消息次数）',
  no_phone: '没有手机号',
  same_number: '同一号码已发过',
  no_template: '未配置消息模板',
  channel_unavailable: '渠道不可用',
  too_many_attempts: '重试次数已用完',
  interrupted: '发送中断，结果未知',
  retrying: '等待重试',
  fallback_failed: '备用渠道也未发出',
  cancelled: '通知已撤回',
  prepare_failed: '准备发送失败',
  invalid_recipient: '收件人无效',
  template_mismatch: '模板内容不符',
  rate_limited: '超出发送频率，稍后重试',
  provider_error: '服务商返回错误',
  network: '网络错误',
  error: '未知错误',
}

/** reasonText says a delivery's reason code in Chinese. */
export function reasonText(code: string | undefined): string {
  if (!code) return '—'
  return reasons[code] ?? code
}
