// The surveys screens' rules that are not drawing: a question as the builder edits it, the
// show-if rule as the mini-program applies it (models.visible), which question the headline
// satisfaction rate is of (models.Survey.SatisfactionQuestion), who may manage a survey
// (models.Scope.AllowsOwner) and Beijing wall-clock times for the date pickers.
import type { Schemas } from '../../api/client'
import type { StaffMember } from '../../session'

export type Survey = Schemas['Survey']
export type Question = Schemas['Question']
export type QuestionType = Question['type']
export type Option = Schemas['Option']

/** Answer is one answer as the mini-program sends it (models.Answer). */
export interface Answer {
  choice?: string
  choices?: string[]
  other?: string
  score?: number
  text?: string
  rows?: number[]
}
export type Answers = Record<string, Answer>

export const ratingDefaults = ['非常不满意', '不满意', '一般', '满意', '非常满意']

export const isChoice = (t: string | undefined) => t === 'single' || t === 'multiple'

/** optionID gives positional option ids as the server does (A, B, … then O27…). */
export function optionID(i: number): string {
  return i < 26 ? String.fromCharCode(65 + i) : `O${i + 1}`
}

/** freshID is a question id not yet used: q1, q2, … */
export function freshID(qs: { id: string }[], prefix = 'q'): string {
  const used = new Set(qs.map((q) => q.id))
  for (let i = qs.length + 1; ; i++) if (!used.has(`${prefix}${i}`)) return `${prefix}${i}`
}

/** freshOptionID is an option id not yet used by the question. */
export function freshOptionID(opts: { id: string }[]): string {
  const used = new Set(opts.map((o) => o.id))
  for (let i = opts.length; ; i++) if (!used.has(optionID(i))) return optionID(i)
}

/** blankQuestion is a new question of type t with what that type needs filled in. */
export function blankQuestion(t: QuestionType, qs: { id: string }[]): Question {
  const q: Question = { id: freshID(qs), type: t, title: '', required: true }
  return shapeFor(q, t)
}

/**
 * shapeFor changes q to type t, keeping what still applies: options for choices, labels for
 * ratings and matrices, a length limit for texts.
 */
export function shapeFor(q: Question, t: QuestionType): Question {
  const out: Question = { id: q.id, type: t, title: q.title, required: q.required, show_if: q.show_if }
  if (isChoice(t)) {
    out.options = q.options?.length ? q.options : [{ id: 'A', label: '' }, { id: 'B', label: '' }]
    if (t === 'multiple') {
      out.min_picks = q.min_picks ?? 0
      out.max_picks = q.max_picks || out.options.length
    }
  }
  if (t === 'rating' || t === 'matrix') out.labels = q.labels?.length === 5 ? q.labels : [...ratingDefaults]
  if (t === 'matrix') out.rows = q.rows?.length ? q.rows : ['']
  if (t === 'text') out.max_length = q.max_length && q.max_length <= 200 ? q.max_length : 100
  if (t === 'textarea') out.max_length = q.max_length || 500
  return out
}

/** move swaps question i with its neighbour (dir −1 up, +1 down); returns the new order. */
export function move<T>(list: T[], i: number, dir: -1 | 1): T[] {
  const j = i + dir
  if (j < 0 || j >= list.length) return list
  const out = [...list]
  ;[out[i], out[j]] = [out[j], out[i]]
  return out
}

/**
 * removeQuestion drops question i and the show-if conditions that pointed at it (the follow-up
 * would otherwise refer to nothing, and the server would refuse the survey).
 */
export function removeQuestion(qs: Question[], i: number): Question[] {
  const gone = qs[i].id
  return qs.filter((_, k) => k !== i).map((q) => (q.show_if?.question === gone ? { ...q, show_if: undefined } : q))
}

/** conditionTargets are the questions a show-if of question i may name: earlier choice questions. */
export function conditionTargets(qs: Question[], i: number): Question[] {
  return qs.slice(0, i).filter((q) => isChoice(q.type))
}

/**
 * showIfProblem says what is wrong with question i's condition in the current order (after a
 * move), or '' when it is fine: the builder warns before the server refuses.
 */
export function showIfProblem(qs: Question[], i: number): string {
  const c = qs[i].show_if
  if (!c) return ''
  const target = qs.slice(0, i).find((q) => q.id === c.question)
  if (!target) return '显示条件只能引用前面的题目'
  if (!isChoice(target.type)) return '显示条件只能引用选择题'
  if (!c.options?.length) return '请选择触发显示的选项'
  return ''
}

/** visibleQuestions applies show-if in order, as the server checks answers (models.visible). */
export function visibleQuestions(qs: Question[], answers: Answers): Question[] {
  const shown: Question[] = []
  const got: Answers = {}
  for (const q of qs) {
    if (q.show_if) {
      const a = got[q.show_if.question]
      if (!a || !q.show_if.options.some((o) => a.choice === o || (a.choices ?? []).includes(o))) continue
    }
    shown.push(q)
    const a = answers[q.id]
    if (a && !empty(a)) got[q.id] = a
  }
  return shown
}

function empty(a: Answer): boolean {
  return !a.choice && !(a.choices?.length) && a.score == null && !(a.text ?? '').trim() && !(a.rows ?? []).some((v) => v)
}

/** satisfactionQuestion is the overall question of the headline rate: the first 1–5 rating, else the first single choice with a satisfied option. */
export function satisfactionQuestion(qs: Question[]): Question | undefined {
  return qs.find((q) => q.type === 'rating') ?? qs.find((q) => q.type === 'single' && (q.options ?? []).some((o) => o.satisfied))
}

/** canManage mirrors the server's ownership rule: city staff manage all, others what their own scope sent. */
export function canManage(sv: Pick<Survey, 'county_id' | 'school_id'>, st: StaffMember | null | undefined): boolean {
  if (!st) return false
  if (st.role === 'city') return true
  if (sv.school_id) return st.role === 'school' ? sv.school_id === st.school_id : sv.county_id === st.county_id
  if (sv.county_id) return st.role === 'county' && sv.county_id === st.county_id
  return false
}

/** What may be done to a survey in its state (the handlers' and the store's rules). */
export function actions(sv: Pick<Survey, 'status' | 'answered'>) {
  return {
    edit: !sv.answered && (sv.status === 'draft' || sv.status === 'published'),
    publish: sv.status === 'draft',
    close: sv.status === 'published',
    archive: sv.status === 'draft' || sv.status === 'closed',
  }
}

/** beijingInput turns an instant into the pickers' Beijing wall-clock "YYYY-MM-DD HH:mm". */
export function beijingInput(iso: string | undefined): string {
  if (!iso) return ''
  const d = new Date(new Date(iso).getTime() + 8 * 3600_000)
  return d.toISOString().slice(0, 16).replace('T', ' ')
}

/** fromBeijingInput turns a picker's Beijing "YYYY-MM-DD HH:mm" into an instant (RFC 3339), or undefined. */
export function fromBeijingInput(v: string | undefined): string | undefined {
  if (!v) return undefined
  const d = new Date(`${v.replace(' ', 'T')}:00+08:00`)
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString()
}

/** pct reads a rate (0.667) as "66.7%", and a missing one as "—". */
export function pct(v: number | null | undefined): string {
  return v == null ? '—' : `${(v * 100).toFixed(1)}%`
}

/** toInput is a question as the API takes it back: empty extras and an empty condition left out. */
export function toInput(q: Question): Schemas['QuestionInput'] {
  const out: Schemas['QuestionInput'] = { ...q }
  if (!q.show_if?.question) delete out.show_if
  if (out.rows) out.rows = out.rows.map((r) => r.trim())
  return out
}

/** fieldPlace says where an API field path points, in words: questions[2].options[0].label → 第3题 第1个选项. */
export function fieldPlace(path: string): string {
  const names: Record<string, string> = {
    title: '标题', description: '说明', kind: '问卷类型', audience: '调查对象', opens_at: '开始时间', closes_at: '截止时间',
    questions: '题目', options: '选项', labels: '评分标签', rows: '矩阵行', max_picks: '选择数', min_picks: '选择数',
    max_length: '字数上限', show_if: '显示条件', question: '引用题目', type: '题型', id: '编号', label: '文字',
    school_ids: '学校', grades: '年级', classes: '班级',
  }
  return path
    .split('.')
    .map((part) => {
      const m = /^(\w+)\[(\d+)\]$/.exec(part)
      if (!m) return names[part] ?? part
      const n = Number(m[2]) + 1
      return m[1] === 'questions' ? `第${n}题` : `${names[m[1]] ?? m[1]}${n}`
    })
    .join(' ')
}
