package models

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Answer is the answer to one question; which fields apply depends on the question's type.
type Answer struct {
	Choice  string   `bson:"choice,omitempty" json:"choice,omitempty"`   // single
	Choices []string `bson:"choices,omitempty" json:"choices,omitempty"` // multiple
	Other   string   `bson:"other,omitempty" json:"other,omitempty"`     // text of the "other" option
	Score   *int     `bson:"score,omitempty" json:"score,omitempty"`     // rating 1–5, nps 0–10
	Text    string   `bson:"text,omitempty" json:"text,omitempty"`       // text, textarea
	Rows    []int    `bson:"rows,omitempty" json:"rows,omitempty"`       // matrix: 1–5 per row, 0 = not answered
}

// Answers maps question ids to answers.
type Answers map[string]Answer

// Response is one family's stored answer to a survey, for one child. For an anonymous survey
// it carries no member or child: Respondent is a keyed hash that only the server can compute,
// and the time is kept to the day.
type Response struct {
	ID          string    `bson:"_id" json:"receipt"`
	SurveyID    string    `bson:"survey_id" json:"survey_id"`
	Respondent  string    `bson:"respondent" json:"-"` // unique per survey
	CountyID    string    `bson:"county_id" json:"county_id"`
	SchoolID    string    `bson:"school_id" json:"school_id"`
	Grade       int       `bson:"grade" json:"grade"`
	MemberID    string    `bson:"member_id,omitempty" json:"-"` // named surveys only
	ChildID     string    `bson:"child_id,omitempty" json:"-"`  // named surveys only
	Class       string    `bson:"class,omitempty" json:"-"`     // named surveys only
	Answers     Answers   `bson:"answers" json:"answers"`
	SubmittedAt time.Time `bson:"submitted_at" json:"submitted_at,omitzero"`
}

// CheckAnswers validates answers against the definition and returns them without the answers to
// questions that the answers themselves hide (a parent who changes an earlier choice should not
// be refused for a follow-up they no longer see). With draft set, required questions may be
// missing and partly answered matrices pass; everything present must still be well formed.
func (s Survey) CheckAnswers(in Answers, draft bool) (Answers, error) {
	f := FieldErrors{}
	for id := range in {
		if s.Question(id) == nil {
			f.Add("answers."+id, "问卷中没有这道题")
		}
	}
	out := Answers{}
	for _, q := range s.Questions {
		p := "answers." + q.ID
		if !visible(q, out) {
			continue
		}
		a, given := in[q.ID]
		if !given || a.empty() {
			if q.Required && !draft {
				f.Add(p, "此题必答")
			}
			continue
		}
		if msg := q.checkAnswer(&a, draft); msg != "" {
			f.Add(p, msg)
			continue
		}
		out[q.ID] = a
	}
	return out, f.Err()
}

// visible applies a question's show-if condition to the answers accepted so far (conditions
// point backwards, so those are the ones that count).
func visible(q Question, got Answers) bool {
	if q.ShowIf == nil {
		return true
	}
	a, ok := got[q.ShowIf.Question]
	if !ok {
		return false
	}
	for _, want := range q.ShowIf.Options {
		if a.Choice == want || contains(a.Choices, want) {
			return true
		}
	}
	return false
}

func (a Answer) empty() bool {
	rated := false
	for _, v := range a.Rows {
		rated = rated || v != 0
	}
	return a.Choice == "" && len(a.Choices) == 0 && a.Score == nil && strings.TrimSpace(a.Text) == "" && !rated
}

// checkAnswer returns what is wrong with a, in words for the parent, and trims its text.
func (q Question) checkAnswer(a *Answer, draft bool) string {
	wrongKind := "答案类型与题型不符"
	switch q.Type {
	case QSingle:
		if len(a.Choices) > 0 || a.Score != nil || a.Text != "" || len(a.Rows) > 0 {
			return wrongKind
		}
		return q.checkPicked([]string{a.Choice}, a, draft)
	case QMultiple:
		if a.Choice != "" || a.Score != nil || a.Text != "" || len(a.Rows) > 0 {
			return wrongKind
		}
		seen := map[string]bool{}
		for _, c := range a.Choices {
			if seen[c] {
				return "选项重复：" + c
			}
			seen[c] = true
		}
		if len(a.Choices) < q.MinPicks || len(a.Choices) > q.MaxPicks {
			return fmt.Sprintf("请选择%d–%d项", q.MinPicks, q.MaxPicks)
		}
		return q.checkPicked(a.Choices, a, draft)
	case QRating, QNPS:
		if a.Score == nil || a.Choice != "" || len(a.Choices) > 0 || a.Text != "" || len(a.Rows) > 0 || a.Other != "" {
			return wrongKind
		}
		lo, hi := 1, 5
		if q.Type == QNPS {
			lo, hi = 0, 10
		}
		if *a.Score < lo || *a.Score > hi {
			return fmt.Sprintf("评分应为%d–%d", lo, hi)
		}
	case QText, QLongText:
		if a.Choice != "" || len(a.Choices) > 0 || a.Score != nil || len(a.Rows) > 0 || a.Other != "" {
			return wrongKind
		}
		a.Text = strings.TrimSpace(a.Text)
		if n := utf8.RuneCountInString(a.Text); n > q.MaxLength {
			return fmt.Sprintf("最多%d字（现为%d字）", q.MaxLength, n)
		}
	case QMatrix:
		if a.Choice != "" || len(a.Choices) > 0 || a.Score != nil || a.Text != "" || a.Other != "" {
			return wrongKind
		}
		if len(a.Rows) != len(q.Rows) {
			return fmt.Sprintf("应对%d行分别评分", len(q.Rows))
		}
		for i, v := range a.Rows {
			if v < 0 || v > 5 || (v == 0 && q.Required && !draft) {
				return fmt.Sprintf("第%d行（%s）应评1–5分", i+1, q.Rows[i])
			}
		}
	}
	return ""
}

// checkPicked requires picked options to exist and the "other" text to go with the other option.
func (q Question) checkPicked(picked []string, a *Answer, draft bool) string {
	other := false
	for _, id := range picked {
		o := q.option(id)
		if o == nil {
			return "没有这个选项：" + id
		}
		other = other || o.Other
	}
	a.Other = strings.TrimSpace(a.Other)
	switch {
	case a.Other != "" && !other:
		return "只有选择“其他”时才能填写说明"
	case other && a.Other == "" && !draft:
		return "请填写“其他”的具体内容"
	case utf8.RuneCountInString(a.Other) > MaxShortText:
		return fmt.Sprintf("“其他”说明最多%d字", MaxShortText)
	}
	return ""
}
