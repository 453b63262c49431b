package jobs

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"kehou/models"
)

// TestAnswerPayloadJSON: the hand-written payload is byte for byte what json.Marshal writes,
// and decodes back to the same answer, for every field and for awkward text.
func TestAnswerPayloadJSON(t *testing.T) {
	score, zero := 4, 0
	texts := []string{"", "希望增加体育活动", `say "hi" \ there`, "line\nbreak\ttab\r\b\f", "\x00\x01\x1f", "<b>&amp;</b>",
		"\u2028\u2029", "emoji 😀", "bad \xff\xfe utf-8", "\xe4\xb8", "é"}
	at := time.Date(2026, 12, 1, 10, 7, 4, 123456789, time.UTC)
	var cases []answerPayload
	for i, s := range texts {
		cases = append(cases, answerPayload{ID: "r" + s, SurveyID: "sv", Respondent: s, CountyID: "c", SchoolID: "s", Grade: i,
			MemberID: s, ChildID: s, Class: s, SubmittedAt: at.Add(time.Duration(i) * time.Hour),
			Answers: models.Answers{"q1": {Choice: "A", Other: s}, "q2": {Choices: []string{"A", s}}, "q10": {Text: s},
				"q3": {Score: &score}, "q4": {Rows: []int{5, 0, 3}}, "q5": {Score: &zero}, s: {}}})
	}
	cases = append(cases, answerPayload{}, answerPayload{Answers: models.Answers{}, SubmittedAt: models.Day(at)},
		answerPayload{Grade: -3, SubmittedAt: at.In(time.FixedZone("CST", 8*3600))})
	for i, p := range cases {
		want, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		got := appendAnswerPayload(nil, p)
		if !bytes.Equal(got, want) {
			t.Fatalf("case %d:\n got %s\nwant %s", i, got, want)
		}
		var back answerPayload
		if err := json.Unmarshal(got, &back); err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		var viaStd answerPayload
		_ = json.Unmarshal(want, &viaStd)
		if !reflect.DeepEqual(back, viaStd) {
			t.Fatalf("case %d decodes to %+v, want %+v", i, back, viaStd)
		}
	}
}
