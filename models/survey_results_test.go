package models

import (
	"encoding/json"
	"testing"
)

// TestResultsArithmetic checks the figures of a fixed set of six answers against values worked
// out by hand (see the comments).
func TestResultsArithmetic(t *testing.T) {
	s := Survey{Questions: []Question{
		{ID: "q1", Type: QSingle, Options: []Option{{ID: "A", Label: "满意", Satisfied: true}, {ID: "B", Label: "一般"}, {ID: "C", Label: "不满意"}}},
		{ID: "q2", Type: QRating},
		{ID: "q3", Type: QNPS},
		{ID: "q4", Type: QMatrix, Rows: []string{"作业辅导", "体育活动"}},
		{ID: "q5", Type: QSingle, Options: []Option{{ID: "A", Label: "知道", Aware: true}, {ID: "B", Label: "不知道"}}},
		{ID: "q6", Type: QLongText},
	}}
	rows := []struct {
		q1       string
		q2, q3   int
		q4       []int
		q5, text string
	}{
		{"A", 5, 10, []int{5, 3}, "A", "很好"},
		{"A", 4, 9, []int{4, 4}, "A", ""},
		{"B", 3, 8, []int{2, 5}, "B", "时间太晚"},
		{"C", 2, 5, []int{1, 1}, "A", ""},
		{"A", 5, 10, nil, "B", ""},
		{"B", 4, 0, []int{3, 4}, "A", ""},
	}
	tally := NewTally(&s)
	for _, r := range rows {
		a := Answers{"q1": {Choice: r.q1}, "q2": {Score: score(r.q2)}, "q3": {Score: score(r.q3)}, "q5": {Choice: r.q5}}
		if r.q4 != nil {
			a["q4"] = Answer{Rows: r.q4}
		}
		if r.text != "" {
			a["q6"] = Answer{Text: r.text}
		}
		tally.Add(a)
	}
	g := tally.Result(LevelAll, "", "全部", 10)
	f := func(p *float64) float64 {
		if p == nil {
			t.Fatal("missing figure")
		}
		return *p
	}
	checks := []struct {
		name      string
		got, want float64
	}{
		{"response rate 6/10", f(g.ResponseRate), 0.6},
		// the headline is the overall question's, q2 (the first rating): 4–5 ×4 of 6; neither
		// q1's satisfied choices nor the matrix's 4–5 cells are mixed in
		{"satisfaction 4/6", f(g.SatisfactionRate), 0.6667},
		{"awareness 4/6", f(g.AwarenessRate), 0.6667},
		// promoters 10,9,10 (3), detractors 5,0 (2), of 6 → 16.7
		{"nps", f(g.NPS), 16.7},
		{"q1 share of A", g.Questions[0].Options[0].Share, 0.5},
		{"q1 share of C", g.Questions[0].Options[2].Share, 0.1667},
		{"q2 mean 23/6", f(g.Questions[1].Mean), 3.83},
		{"q2 satisfied 4/6", f(g.Questions[1].SatisfactionRate), 0.6667},
		{"q3 mean 42/6", f(g.Questions[2].Mean), 7},
		{"q4 row 1 mean 15/5", f(g.Questions[3].Rows[0].Mean), 3},
		{"q4 row 2 mean 17/5", f(g.Questions[3].Rows[1].Mean), 3.4},
		{"q4 row 2 satisfied 3/5", f(g.Questions[3].Rows[1].SatisfactionRate), 0.6},
		{"q6 answered by 2", float64(g.Questions[5].Answered), 2},
		{"q4 row 1 answered", float64(g.Questions[3].Rows[0].Answered), 5},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: got %v, want %v", c.name, c.got, c.want)
		}
	}
	if g.SatisfactionQuestion != "q2" {
		t.Errorf("satisfaction question: %q", g.SatisfactionQuestion)
	}
	// Two texts in a group of six: too few to show even their number.
	if q6 := g.Questions[5]; !q6.TooFew || q6.Texts != 0 {
		t.Errorf("a question only two answered shows figures: %+v", q6)
	}
	if got, _ := json.Marshal(g.Questions[1].Counts); string(got) != "[0,1,1,2,2]" {
		t.Errorf("q2 counts %s", got)
	}

	small := NewTally(&s)
	for _, r := range rows[:4] {
		small.Add(Answers{"q1": {Choice: r.q1}, "q2": {Score: score(r.q2)}})
	}
	sg := small.Result(LevelSchool, "s1", "甲一小学", 4)
	if !sg.TooFew || sg.Note != TooFewNote || sg.Questions != nil || sg.SatisfactionRate != nil || sg.Responses != 4 {
		t.Errorf("a group of 4 shows figures: %+v", sg)
	}
}

func TestSuppressProtectsSmallGroupsFromSubtraction(t *testing.T) {
	group := func(n int) *GroupResult {
		g := GroupResult{Responses: n, TooFew: n < MinGroupForResults}
		if !g.TooFew {
			g.SatisfactionRate = ratio(n, n)
		}
		return &g
	}
	cases := []struct {
		name   string
		sizes  []int
		hidden []bool
	}{
		{"none small", []int{6, 9, 12}, []bool{false, false, false}},
		{"one small hides the next smallest", []int{3, 9, 6}, []bool{true, false, true}},
		{"two small that add up to five", []int{3, 2, 9}, []bool{true, true, false}},
		{"hidden ones short of five keep hiding", []int{1, 5, 6, 20}, []bool{true, true, false, false}},
		{"an empty group reveals nothing", []int{0, 9, 6}, []bool{true, false, false}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var gs []*GroupResult
			for _, n := range c.sizes {
				gs = append(gs, group(n))
			}
			Suppress(gs)
			for i, g := range gs {
				if g.TooFew != c.hidden[i] || (g.TooFew && g.SatisfactionRate != nil) {
					t.Fatalf("group %d (%d answers): hidden %v, want %v", i, c.sizes[i], g.TooFew, c.hidden[i])
				}
			}
		})
	}
}

// TestSatisfactionIsTheOverallQuestion: the headline rate is the share of answers rating the
// overall question 4 or 5, whatever the matrix says; a survey that asks it as a single choice
// counts the options marked satisfied; a survey with only a matrix has no headline rate, and its
// rows keep their own rates.
func TestSatisfactionIsTheOverallQuestion(t *testing.T) {
	tmpl := SurveyTemplates["after_school_satisfaction"]
	s := Survey{Questions: tmpl.Copy()}
	if q := s.SatisfactionQuestion(); q == nil || q.ID != "overall" {
		t.Fatalf("the template's overall question: %+v", q)
	}
	tally := NewTally(&s)
	// Five families: overall 5, 4, 3, 2, 1, each rating every service row 5: the rows would
	// lift a mixed rate to (2+25)/(5+25); the headline stays 2 of 5.
	for _, o := range []int{5, 4, 3, 2, 1} {
		tally.Add(Answers{"aware": {Choice: "A"}, "joined": {Choice: "A"}, "services": {Rows: []int{5, 5, 5, 5, 5}}, "overall": {Score: score(o)}})
	}
	g := tally.Result(LevelAll, "", "全部", 5)
	if g.SatisfactionRate == nil || *g.SatisfactionRate != 0.4 || g.SatisfactionQuestion != "overall" {
		t.Fatalf("headline: %v (%q)", g.SatisfactionRate, g.SatisfactionQuestion)
	}
	if n, sat, rated, _, _ := tally.Counts(); n != 5 || sat != 2 || rated != 5 {
		t.Fatalf("counts for the monthly report: %d answers, %d of %d satisfied", n, sat, rated)
	}
	for _, q := range g.Questions {
		if q.ID == "services" && (len(q.Rows) != 5 || q.Rows[0].SatisfactionRate == nil || *q.Rows[0].SatisfactionRate != 1) {
			t.Fatalf("matrix rows reported apart: %+v", q.Rows)
		}
	}

	choice := Survey{Questions: []Question{
		{ID: "m", Type: QMatrix, Rows: []string{"a"}},
		{ID: "sat", Type: QSingle, Options: []Option{{ID: "Y", Label: "满意", Satisfied: true}, {ID: "N", Label: "不满意"}}},
	}}
	ct := NewTally(&choice)
	for _, c := range []string{"Y", "Y", "N", "N", "N"} {
		ct.Add(Answers{"m": {Rows: []int{5}}, "sat": {Choice: c}})
	}
	if g := ct.Result(LevelAll, "", "", 5); g.SatisfactionRate == nil || *g.SatisfactionRate != 0.4 || g.SatisfactionQuestion != "sat" {
		t.Fatalf("a single-choice overall question: %v %q", g.SatisfactionRate, g.SatisfactionQuestion)
	}

	matrixOnly := Survey{Questions: []Question{{ID: "m", Type: QMatrix, Rows: []string{"a"}}}}
	mt := NewTally(&matrixOnly)
	for range 5 {
		mt.Add(Answers{"m": {Rows: []int{5}}})
	}
	if g := mt.Result(LevelAll, "", "", 5); g.SatisfactionRate != nil || g.SatisfactionQuestion != "" || *g.Questions[0].Rows[0].SatisfactionRate != 1 {
		t.Fatalf("a matrix alone makes no headline: %+v", g)
	}
}
