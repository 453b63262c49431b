import { describe, expect, it } from 'vitest'
import { fromResponse, offline } from './errors'

describe('fromResponse', () => {
  it('keeps the field errors by their field', () => {
    const e = fromResponse(422, { error: { code: 'validation_failed', message: '请检查填写的内容', fields: { name: '必填' } } })
    expect(e.message).toBe('请检查填写的内容')
    expect(e.fields).toEqual({ name: '必填' })
    expect(e.code).toBe('validation_failed')
  })
  it('says an expired session plainly', () => {
    expect(fromResponse(401, { error: { code: 'unauthenticated', message: 'x' } }).message).toBe('登录已过期，请重新登录')
  })
  it('has a Chinese message when the body is not an envelope', () => {
    expect(fromResponse(502, 'Bad Gateway').message).toBe('服务器出错了，请稍后再试')
    expect(fromResponse(404, null).message).toBe('请求失败（404）')
  })
  it('says a lost connection keeps what was typed', () => {
    expect(offline().message).toContain('不会丢失')
  })
})

describe('formError', () => {
  it('puts named fields beside the fields and anything else above the buttons', async () => {
    const { formError } = await import('./errors')
    expect(formError(fromResponse(422, { error: { message: '请检查', fields: { text: '必填' } } }))).toEqual({ fields: { text: '必填' }, message: '' })
    expect(formError(fromResponse(409, { error: { message: '这一步由承办学校办理' } }))).toEqual({ fields: {}, message: '这一步由承办学校办理' })
    expect(formError(new TypeError('fetch failed')).message).toContain('网络连接中断')
  })
})
