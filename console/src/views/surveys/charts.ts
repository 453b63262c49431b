// The ECharts options of the survey results: one per question by its type, and the schools (or
// counties) side by side. Pure functions of the API's figures, so they are unit-tested.
import type { EChartsCoreOption } from 'echarts/core'
import type { Schemas } from '../../api/client'

type QuestionResult = Schemas['QuestionResult']
type GroupResult = Schemas['GroupResult']

const pct1 = (v: number | null | undefined) => (v == null ? null : Math.round(v * 1000) / 10)
const palette5 = ['#dc2626', '#f97316', '#a3a3a3', '#22c55e', '#15803d']

/** questionOption draws one question's answers; undefined when the type has nothing to chart. */
export function questionOption(q: QuestionResult, labels: string[] = []): EChartsCoreOption | undefined {
  if (q.too_few) return undefined
  if (q.options) {
    const opts = [...q.options].reverse() // the first option on top
    return {
      tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
      grid: { left: 8, right: 56, top: 8, bottom: 8, containLabel: true },
      xAxis: { type: 'value', minInterval: 1 },
      yAxis: { type: 'category', data: opts.map((o) => o.label), axisLabel: { width: 140, overflow: 'truncate' } },
      series: [{ type: 'bar', barMaxWidth: 28, name: '选择人数', data: opts.map((o) => o.count), label: { show: true, position: 'right', formatter: (p: { dataIndex: number }) => `${opts[p.dataIndex].count}（${pct1(opts[p.dataIndex].share)}%）` } }],
    }
  }
  if (q.rows) {
    return {
      tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
      legend: { top: 0, data: [1, 2, 3, 4, 5].map((s) => `${s} ${labels[s - 1] ?? ''}`.trim()) },
      grid: { left: 8, right: 16, top: 32, bottom: 8, containLabel: true },
      xAxis: { type: 'value', minInterval: 1 },
      yAxis: { type: 'category', data: [...q.rows].reverse().map((r) => `${r.label}（满意 ${pct1(r.satisfaction_rate) ?? '—'}%）`), axisLabel: { width: 200, overflow: 'truncate' } },
      series: [0, 1, 2, 3, 4].map((i) => ({
        type: 'bar', stack: 'scores', name: `${i + 1} ${labels[i] ?? ''}`.trim(), itemStyle: { color: palette5[i] },
        data: [...q.rows!].reverse().map((r) => r.counts[i] ?? 0),
      })),
    }
  }
  if (q.counts) {
    const nps = q.type === 'nps'
    const cats = q.counts.map((_, i) => (nps ? String(i) : `${i + 1} ${labels[i] ?? ''}`.trim()))
    const color = (i: number) => (nps ? (i >= 9 ? '#15803d' : i <= 6 ? '#dc2626' : '#a3a3a3') : palette5[i])
    return {
      tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
      grid: { left: 8, right: 16, top: 16, bottom: 8, containLabel: true },
      xAxis: { type: 'category', data: cats, axisLabel: { interval: 0 } },
      yAxis: { type: 'value', minInterval: 1 },
      series: [{ type: 'bar', barMaxWidth: 56, name: '人数', data: q.counts.map((c, i) => ({ value: c, itemStyle: { color: color(i) } })), label: { show: true, position: 'top' } }],
    }
  }
  return undefined
}

/** groupsOption compares groups: satisfaction and response rates in percent, a gap where a group is too small. */
export function groupsOption(groups: GroupResult[]): EChartsCoreOption {
  return {
    tooltip: { trigger: 'axis', valueFormatter: (v: unknown) => (v == null ? '—' : `${v}%`) },
    legend: { top: 0, data: ['满意度', '回收率', '知晓率'] },
    grid: { left: 8, right: 16, top: 36, bottom: 8, containLabel: true },
    xAxis: { type: 'category', data: groups.map((g) => g.name), axisLabel: { interval: 0, rotate: groups.length > 6 ? 30 : 0 } },
    yAxis: { type: 'value', max: 100, axisLabel: { formatter: '{value}%' } },
    series: [
      { name: '满意度', type: 'bar', barMaxWidth: 48, data: groups.map((g) => pct1(g.satisfaction_rate)), label: { show: true, position: 'top', formatter: '{c}%' } },
      { name: '回收率', type: 'bar', barMaxWidth: 48, data: groups.map((g) => pct1(g.response_rate)) },
      { name: '知晓率', type: 'bar', barMaxWidth: 48, data: groups.map((g) => pct1(g.awareness_rate)) },
    ],
  }
}
