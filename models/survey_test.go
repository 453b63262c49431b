package models

import (
	"testing"
	"time"
)

var t0 = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)

func validSurvey() Survey {
	s := Survey{Kind: SurveyOpinion, Title: "课后服务菜单意见征求", Audience: Audience{Kind: AudienceScope},
		OpensAt: t0, ClosesAt: t0.Add(7 * 24 * time.Hour),
		Questions: []Question{
			{Type: QSingle, Title: "是否参加", Required: true, Options: []Option{{Label: "参加"}, {Label: "不参加"}, {Label: "其他", Other: true}}},
			{Type: QMultiple, Title: "希望增加的项目", MinPicks: 1, MaxPicks: 2, Options: []Option{{Label: "科普"}, {Label: "体育"}, {Label: "艺术"}},
				ShowIf: &ShowIf{Question: "q1", Options: []string{"A"}}},
			{Type: QRating, Title: "满意程度", Required: true},
			{Type: QNPS, Title: "推荐意愿"},
			{Type: QText, Title: "称呼"},
			{Type: QLongText, Title: "建议"},
			{Type: QMatrix, Title: "各项评分", Rows: []string{"作业辅导", "体育活动"}},
		}}
	s.Normalize()
	return s
}

func TestSurveyDefinitionRules(t *testing.T) {
	if err := validSurvey().Validate(); err != nil {
		t.Fatalf("valid survey refused: %v", err)
	}
	cases := []struct {
		name  string
		edit  func(s *Survey)
		field string
	}{
		{"no title", func(s *Survey) { s.Title = " " }, "title"},
		{"unknown kind", func(s *Survey) { s.Kind = "poll" }, "kind"},
		{"children audience", func(s *Survey) { s.Audience = Audience{Kind: AudienceChildren, ChildIDs: []string{"x"}} }, "audience.kind"},
		{"grades without grades", func(s *Survey) { s.Audience = Audience{Kind: AudienceGrades} }, "audience.grades"},
		{"closes before opens", func(s *Survey) { s.ClosesAt = s.OpensAt.Add(-time.Hour) }, "closes_at"},
		{"open over a year", func(s *Survey) { s.ClosesAt = s.OpensAt.Add(400 * 24 * time.Hour) }, "closes_at"},
		{"no questions", func(s *Survey) { s.Questions = nil }, "questions"},
		{"duplicate question id", func(s *Survey) { s.Questions[1].ID = "q1" }, "questions[1].id"},
		{"bad question id", func(s *Survey) { s.Questions[0].ID = "第一题" }, "questions[0].id"},
		{"unknown type", func(s *Survey) { s.Questions[2].Type = "slider" }, "questions[2].type"},
		{"empty option", func(s *Survey) { s.Questions[0].Options[1].Label = "" }, "questions[0].options[1].label"},
		{"duplicate option", func(s *Survey) { s.Questions[0].Options[1].Label = "参加" }, "questions[0].options[1].label"},
		{"one option", func(s *Survey) { s.Questions[0].Options = s.Questions[0].Options[:1] }, "questions[0].options"},
		{"two others", func(s *Survey) { s.Questions[0].Options[0].Other = true }, "questions[0].options"},
		{"max picks over options", func(s *Survey) { s.Questions[1].MaxPicks = 4 }, "questions[1].max_picks"},
		{"min over max", func(s *Survey) { s.Questions[1].MinPicks = 3 }, "questions[1].max_picks"},
		{"four rating labels", func(s *Survey) { s.Questions[2].Labels = []string{"1", "2", "3", "4"} }, "questions[2].labels"},
		{"text limit zero", func(s *Survey) { s.Questions[4].MaxLength = -1 }, "questions[4].max_length"},
		{"text limit over", func(s *Survey) { s.Questions[5].MaxLength = 5000 }, "questions[5].max_length"},
		{"matrix without rows", func(s *Survey) { s.Questions[6].Rows = nil }, "questions[6].rows"},
		{"options on a rating", func(s *Survey) { s.Questions[2].Options = []Option{{ID: "A", Label: "x"}} }, "questions[2].options"},
		{"logic pointing forward", func(s *Survey) { s.Questions[0].ShowIf = &ShowIf{Question: "q2", Options: []string{"A"}} }, "questions[0].show_if.question"},
		{"logic on itself", func(s *Survey) { s.Questions[1].ShowIf = &ShowIf{Question: "q2", Options: []string{"A"}} }, "questions[1].show_if.question"},
		{"logic on a rating", func(s *Survey) { s.Questions[3].ShowIf = &ShowIf{Question: "q3", Options: []string{"A"}} }, "questions[3].show_if.question"},
		{"logic on a missing option", func(s *Survey) { s.Questions[1].ShowIf.Options = []string{"Z"} }, "questions[1].show_if.options"},
		{"logic without options", func(s *Survey) { s.Questions[1].ShowIf.Options = nil }, "questions[1].show_if.options"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := validSurvey()
			c.edit(&s)
			err := s.Validate()
			fe, ok := err.(FieldErrors)
			if !ok || fe[c.field] == "" {
				t.Fatalf("want an error on %s, got %v", c.field, err)
			}
		})
	}
}

func TestTemplateIsValid(t *testing.T) {
	for name, tpl := range SurveyTemplates {
		s := Survey{Kind: tpl.Kind, Title: tpl.Title, Description: tpl.Description, Questions: tpl.Questions,
			Audience: Audience{Kind: AudienceScope}, OpensAt: t0, ClosesAt: t0.Add(time.Hour)}
		s.Normalize()
		if err := s.Validate(); err != nil {
			t.Errorf("template %s: %v", name, err)
		}
	}
}

func score(v int) *int { return &v }

func TestAnswerRules(t *testing.T) {
	s := validSurvey()
	full := func() Answers {
		return Answers{"q1": {Choice: "A"}, "q2": {Choices: []string{"A", "B"}}, "q3": {Score: score(4)}, "q4": {Score: score(10)},
			"q5": {Text: " 王女士 "}, "q6": {Text: "多开设科普"}, "q7": {Rows: []int{5, 4}}}
	}
	got, err := s.CheckAnswers(full(), false)
	if err != nil {
		t.Fatalf("valid answers refused: %v", err)
	}
	if got["q5"].Text != "王女士" {
		t.Errorf("text not trimmed: %q", got["q5"].Text)
	}
	cases := []struct {
		name  string
		edit  func(a Answers)
		field string
	}{
		{"unknown question", func(a Answers) { a["q99"] = Answer{Text: "x"} }, "answers.q99"},
		{"required missing", func(a Answers) { delete(a, "q3") }, "answers.q3"},
		{"required single missing", func(a Answers) { a["q1"] = Answer{} }, "answers.q1"},
		{"unknown option", func(a Answers) { a["q1"] = Answer{Choice: "Z"} }, "answers.q1"},
		{"single given choices", func(a Answers) { a["q1"] = Answer{Choices: []string{"A"}} }, "answers.q1"},
		{"other text without other", func(a Answers) { a["q1"] = Answer{Choice: "A", Other: "x"} }, "answers.q1"},
		{"other without text", func(a Answers) { a["q1"] = Answer{Choice: "C"} }, "answers.q1"},
		{"too many picks", func(a Answers) { a["q2"] = Answer{Choices: []string{"A", "B", "C"}} }, "answers.q2"},
		{"duplicate picks", func(a Answers) { a["q2"] = Answer{Choices: []string{"A", "A"}} }, "answers.q2"},
		{"rating 6", func(a Answers) { a["q3"] = Answer{Score: score(6)} }, "answers.q3"},
		{"rating 0", func(a Answers) { a["q3"] = Answer{Score: score(0)} }, "answers.q3"},
		{"rating as text", func(a Answers) { a["q3"] = Answer{Text: "好"} }, "answers.q3"},
		{"nps 11", func(a Answers) { a["q4"] = Answer{Score: score(11)} }, "answers.q4"},
		{"text too long", func(a Answers) { a["q5"] = Answer{Text: string(make([]rune, 101))} }, "answers.q5"},
		{"matrix short", func(a Answers) { a["q7"] = Answer{Rows: []int{5}} }, "answers.q7"},
		{"matrix 6", func(a Answers) { a["q7"] = Answer{Rows: []int{6, 1}} }, "answers.q7"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := full()
			c.edit(a)
			_, err := s.CheckAnswers(a, false)
			if fe, ok := err.(FieldErrors); !ok || fe[c.field] == "" {
				t.Fatalf("want an error on %s, got %v", c.field, err)
			}
		})
	}

	t.Run("hidden answers are dropped", func(t *testing.T) {
		a := full()
		a["q1"] = Answer{Choice: "B"} // q2 shows only for A
		got, err := s.CheckAnswers(a, false)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := got["q2"]; ok {
			t.Fatal("answer to a hidden question kept")
		}
	})
	t.Run("hidden required questions are not required", func(t *testing.T) {
		s := validSurvey()
		s.Questions[1].Required = true
		a := full()
		a["q1"] = Answer{Choice: "B"}
		delete(a, "q2")
		if _, err := s.CheckAnswers(a, false); err != nil {
			t.Fatal(err)
		}
		a["q1"] = Answer{Choice: "A"}
		if _, err := s.CheckAnswers(a, false); err == nil {
			t.Fatal("a shown required question may be skipped")
		}
	})
	t.Run("drafts may be partial but not malformed", func(t *testing.T) {
		if _, err := s.CheckAnswers(Answers{"q7": {Rows: []int{5, 0}}}, true); err != nil {
			t.Fatalf("partial draft refused: %v", err)
		}
		if _, err := s.CheckAnswers(Answers{"q3": {Score: score(9)}}, true); err == nil {
			t.Fatal("malformed draft accepted")
		}
	})
}

func TestSurveyReaches(t *testing.T) {
	s := Survey{CountyID: "c1", Audience: Audience{Kind: AudienceGrades, SchoolIDs: []string{"s1"}, Grades: []int{3}}}
	cases := []struct {
		school, county string
		grade          int
		want           bool
	}{{"s1", "c1", 3, true}, {"s1", "c1", 4, false}, {"s2", "c1", 3, false}, {"s1", "c2", 3, false}}
	for _, c := range cases {
		if got := s.Reaches(c.school, c.county, c.grade, "1"); got != c.want {
			t.Errorf("%+v: got %v", c, got)
		}
	}
	cls := Survey{SchoolID: "s1", Audience: Audience{Kind: AudienceClasses, Classes: []ClassRef{{SchoolID: "s1", Grade: 2, Class: "3"}}}}
	if !cls.Reaches("s1", "c1", 2, "3") || cls.Reaches("s1", "c1", 2, "4") {
		t.Error("class audience")
	}
}
