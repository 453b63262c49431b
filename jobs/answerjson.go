package jobs

import (
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"kehou/models"
)

// appendAnswerPayload writes p as JSON, as json.Marshal would (keys in the same order, answers
// by question id), without reflection: the answer route builds one payload per submission and
// json.Marshal was about a twentieth of its CPU. TestAnswerPayloadJSON decodes what it writes
// back into the struct for every field and awkward strings, and compares it with json.Marshal.
func appendAnswerPayload(b []byte, p answerPayload) []byte {
	b = append(b, `{"id":`...)
	b = appendJSONString(b, p.ID)
	b = append(b, `,"survey_id":`...)
	b = appendJSONString(b, p.SurveyID)
	b = append(b, `,"respondent":`...)
	b = appendJSONString(b, p.Respondent)
	b = append(b, `,"county_id":`...)
	b = appendJSONString(b, p.CountyID)
	b = append(b, `,"school_id":`...)
	b = appendJSONString(b, p.SchoolID)
	b = append(b, `,"grade":`...)
	b = appendInt(b, p.Grade)
	for _, f := range [...]struct{ key, v string }{{`,"member_id":`, p.MemberID}, {`,"child_id":`, p.ChildID}, {`,"class":`, p.Class}} {
		if f.v != "" {
			b = append(b, f.key...)
			b = appendJSONString(b, f.v)
		}
	}
	b = append(b, `,"answers":`...)
	b = appendAnswers(b, p.Answers)
	b = append(b, `,"submitted_at":"`...)
	b = p.SubmittedAt.AppendFormat(b, time.RFC3339Nano)
	return append(b, `"}`...)
}

func appendAnswers(b []byte, as models.Answers) []byte {
	if as == nil {
		return append(b, "null"...)
	}
	ids := make([]string, 0, len(as))
	for id := range as {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	b = append(b, '{')
	for i, id := range ids {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, id)
		b = append(b, ':')
		b = appendAnswer(b, as[id])
	}
	return append(b, '}')
}

// appendAnswer writes one answer; its fields are all omitempty.
func appendAnswer(b []byte, a models.Answer) []byte {
	b = append(b, '{')
	key := func(k string) {
		if b[len(b)-1] != '{' {
			b = append(b, ',')
		}
		b = append(b, k...)
	}
	if a.Choice != "" {
		key(`"choice":`)
		b = appendJSONString(b, a.Choice)
	}
	if len(a.Choices) > 0 {
		key(`"choices":`)
		b = appendArray(b, a.Choices, appendJSONString)
	}
	if a.Other != "" {
		key(`"other":`)
		b = appendJSONString(b, a.Other)
	}
	if a.Score != nil {
		key(`"score":`)
		b = appendInt(b, *a.Score)
	}
	if a.Text != "" {
		key(`"text":`)
		b = appendJSONString(b, a.Text)
	}
	if len(a.Rows) > 0 {
		key(`"rows":`)
		b = appendArray(b, a.Rows, appendInt)
	}
	return append(b, '}')
}

func appendArray[T any](b []byte, xs []T, elem func([]byte, T) []byte) []byte {
	b = append(b, '[')
	for i, x := range xs {
		if i > 0 {
			b = append(b, ',')
		}
		b = elem(b, x)
	}
	return append(b, ']')
}

func appendInt(b []byte, n int) []byte { return strconv.AppendInt(b, int64(n), 10) }

// appendJSONString writes s as a JSON string the way encoding/json does: quotes, backslashes
// and control characters escaped, <, > and & as \u003c, \u003e and \u0026, U+2028 and U+2029
// escaped, and invalid UTF-8 replaced by U+FFFD.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
