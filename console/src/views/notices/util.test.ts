import { describe, expect, it } from 'vitest'
import { channelRows, live, moveItem, queuedCount, audienceText, recipientText } from './util'
import { labels } from '../../labels'

describe('notices util', () => {
  it('puts channels in the notice order with totals', () => {
    const rows = channelRows({ targeted: 3, read: 0, confirmed: 0, reasons: {}, channels: { wecom: { sent: 1 }, sms: { sent: 1, failed: 1 }, wxsubscribe: { skipped: 2, sent: 1 } } }, ['wxsubscribe', 'sms'])
    expect(rows.map((r) => r.channel)).toEqual(['wxsubscribe', 'sms', 'wecom'])
    expect(rows[1].total).toBe(2)
  })
  it('is live while sending or while deliveries are queued', () => {
    const r = { targeted: 1, read: 0, confirmed: 0, reasons: {}, channels: { sms: { queued: 2, sent: 1 } } }
    expect(queuedCount(r)).toBe(2)
    expect(live('sent', r)).toBe(true)
    expect(live('sending', undefined)).toBe(true)
    expect(live('sent', { ...r, channels: { sms: { sent: 3 } } })).toBe(false)
    expect(live('scheduled', r)).toBe(false)
    expect(live('scheduled', r, '2026-12-04T09:00:00+08:00', Date.parse('2026-12-04T09:00:01+08:00'))).toBe(true)
    expect(live('scheduled', r, '2026-12-04T09:00:00+08:00', Date.parse('2026-12-04T08:00:00+08:00'))).toBe(false)
  })
  it('moves channels up and down, never out of the list', () => {
    expect(moveItem(['a', 'b', 'c'], 2, -1)).toEqual(['a', 'c', 'b'])
    expect(moveItem(['a', 'b'], 0, -1)).toEqual(['a', 'b'])
  })
  it('says who an audience is and who a recipient is', () => {
    labels.all = { audience_kind: { grades: '指定年级', scope: '管辖范围内全部家长' } }
    expect(audienceText({ kind: 'grades', grades: [3, 4] })).toBe('指定年级：3年级、4年级')
    expect(audienceText({ kind: 'scope' })).toBe('管辖范围内全部家长')
    expect(recipientText('robot:r1', undefined, () => '教师群')).toBe('群机器人 教师群')
    expect(recipientText('m1', '138****0003', () => undefined)).toBe('家长 138****0003')
  })
})
