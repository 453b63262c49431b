import { describe, expect, it } from 'vitest'
import {
  actions, beijingInput, blankQuestion, canManage, fromBeijingInput, move, pct, removeQuestion,
  satisfactionQuestion, shapeFor, showIfProblem, visibleQuestions, type Question,
} from './util'

const joined: Question = { id: 'joined', type: 'single', title: '参加了吗', required: true, options: [{ id: 'A', label: '参加' }, { id: 'B', label: '未参加' }] }
const why: Question = { id: 'why', type: 'multiple', title: '原因', required: false, options: [{ id: 'A', label: '远' }, { id: 'B', label: '贵' }], show_if: { question: 'joined', options: ['B'] } }
const more: Question = { id: 'more', type: 'text', title: '还有吗', required: false, show_if: { question: 'why', options: ['B'] } }
const overall: Question = { id: 'overall', type: 'rating', title: '总体', required: true, labels: ['1', '2', '3', '4', '5'] }

describe('visibleQuestions', () => {
  it('hides a follow-up until its choice is picked, and chains', () => {
    const qs = [joined, why, more]
    expect(visibleQuestions(qs, {}).map((q) => q.id)).toEqual(['joined'])
    expect(visibleQuestions(qs, { joined: { choice: 'A' } }).map((q) => q.id)).toEqual(['joined'])
    expect(visibleQuestions(qs, { joined: { choice: 'B' } }).map((q) => q.id)).toEqual(['joined', 'why'])
    expect(visibleQuestions(qs, { joined: { choice: 'B' }, why: { choices: ['B'] } }).map((q) => q.id)).toEqual(['joined', 'why', 'more'])
  })
  it('ignores answers to a hidden question, as the server does', () => {
    expect(visibleQuestions([joined, why, more], { joined: { choice: 'A' }, why: { choices: ['B'] } }).map((q) => q.id)).toEqual(['joined'])
  })
})

describe('satisfactionQuestion', () => {
  it('is the first rating question', () => {
    expect(satisfactionQuestion([joined, overall])?.id).toBe('overall')
  })
  it('else the first single choice with a satisfied option', () => {
    const sat: Question = { ...joined, id: 's', options: [{ id: 'A', label: '满意', satisfied: true }, { id: 'B', label: '不满意' }] }
    expect(satisfactionQuestion([joined, sat])?.id).toBe('s')
    expect(satisfactionQuestion([joined])).toBeUndefined()
  })
})

describe('builder edits', () => {
  it('moves a question and warns when a condition then points forward', () => {
    const qs = move([joined, why], 1, -1)
    expect(qs.map((q) => q.id)).toEqual(['why', 'joined'])
    expect(showIfProblem(qs, 0)).toBe('显示条件只能引用前面的题目')
    expect(showIfProblem([joined, why], 1)).toBe('')
    expect(move([joined, why], 0, -1).map((q) => q.id)).toEqual(['joined', 'why'])
  })
  it('drops the conditions that named a removed question', () => {
    const qs = removeQuestion([joined, why, overall], 0)
    expect(qs.map((q) => q.id)).toEqual(['why', 'overall'])
    expect(qs[0].show_if).toBeUndefined()
  })
  it('gives a new question a free id and what its type needs', () => {
    const q = blankQuestion('matrix', [{ id: 'q1' }, { id: 'q3' }])
    expect(q.id).toBe('q4')
    expect(q.labels).toHaveLength(5)
    expect(q.rows).toEqual([''])
    expect(shapeFor(joined, 'multiple').max_picks).toBe(2)
    expect(shapeFor(joined, 'nps').options).toBeUndefined()
  })
})

describe('who may do what', () => {
  const county = { id: '1', username: 'c', name: 'c', role: 'county' as const, county_id: 'dh' }
  it('follows the owner rule', () => {
    expect(canManage({ county_id: 'dh' }, county)).toBe(true)
    expect(canManage({ county_id: 'dh', school_id: 's1' }, county)).toBe(true)
    expect(canManage({}, county)).toBe(false) // the city's survey: the county only reads it
    expect(canManage({ county_id: 'xs' }, county)).toBe(false)
    expect(canManage({ county_id: 'dh', school_id: 's1' }, { ...county, role: 'school', school_id: 's2' })).toBe(false)
  })
  it('by state', () => {
    expect(actions({ status: 'draft', answered: false })).toEqual({ edit: true, publish: true, close: false, archive: true })
    expect(actions({ status: 'published', answered: true })).toEqual({ edit: false, publish: false, close: true, archive: false })
  })
})

describe('times and figures', () => {
  it('reads and writes Beijing wall-clock time', () => {
    expect(beijingInput('2026-12-03T16:30:00Z')).toBe('2026-12-04 00:30')
    expect(fromBeijingInput('2026-12-04 00:30')).toBe('2026-12-03T16:30:00.000Z')
    expect(fromBeijingInput('')).toBeUndefined()
  })
  it('shows rates to one place', () => {
    expect(pct(0.6667)).toBe('66.7%')
    expect(pct(null)).toBe('—')
  })
})

describe('charts', () => {
  it('draws a rating by score with its labels, and nothing for a group too small', async () => {
    const { questionOption, groupsOption } = await import('./charts')
    const o = questionOption({ id: 'overall', type: 'rating', title: '总体', answered: 6, counts: [1, 1, 0, 2, 2] }, ['差', '较差', '一般', '好', '很好']) as { xAxis: { data: string[] }; series: { data: { value: number }[] }[] }
    expect(o.xAxis.data[0]).toBe('1 差')
    expect(o.series[0].data.map((d) => d.value)).toEqual([1, 1, 0, 2, 2])
    expect(questionOption({ id: 'x', type: 'rating', title: 'x', answered: 2, too_few: true })).toBeUndefined()
    const g = groupsOption([{ level: 'school', name: '一小', targeted: 6, responses: 6, response_rate: 1, too_few: false, satisfaction_rate: 0.6667, awareness_rate: null, nps: null }]) as { series: { data: (number | null)[] }[] }
    expect(g.series[0].data).toEqual([66.7])
    expect(g.series[2].data).toEqual([null])
  })
})
