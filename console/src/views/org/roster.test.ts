import { describe, expect, it } from 'vitest'
import { decodeText, linesOf } from './roster'
import { lettersFrom, parseCSV, gradeName } from './util'

describe('linesOf', () => {
  it('numbers lines as an editor does, blank lines included', () => {
    expect(linesOf('学号,姓名\r\nA1,张三\r\n\r\nA2,李四\r\n')).toEqual(['学号,姓名', 'A1,张三', '', 'A2,李四'])
  })
  it('keeps a quoted line break in the record, on the line it starts', () => {
    expect(linesOf('h\n"a\nb",1\nc,2')).toEqual(['h', '"a b",1', '', 'c,2'])
  })
})

describe('decodeText', () => {
  it('reads UTF-8, and GB18030 when the bytes are not UTF-8', () => {
    expect(decodeText(new TextEncoder().encode('张三'))).toBe('张三')
    expect(decodeText(new Uint8Array([0xd5, 0xc5, 0xc8, 0xfd]))).toBe('张三')
  })
})

describe('the letter list', () => {
  it('reads the binding-code CSV, quotes, BOM and the injection guard', () => {
    const csv = '\ufeff学号,姓名,年级,班级,绑定码\r\nA1,"张,三",3,1班,ABCD2345\r\nA2,\'=李四,3,2班,EFGH6789\r\n'
    expect(parseCSV(csv)[1]).toEqual(['A1', '张,三', '3', '1班', 'ABCD2345'])
    expect(lettersFrom(csv)).toEqual([
      { studentNo: 'A1', name: '张,三', grade: '3', className: '1班', code: 'ABCD2345' },
      { studentNo: 'A2', name: '=李四', grade: '3', className: '2班', code: 'EFGH6789' },
    ])
  })
  it('says grades as schools do', () => {
    expect([1, 6, 7, 9].map(gradeName)).toEqual(['一年级', '六年级', '初一', '初三'])
  })
})
