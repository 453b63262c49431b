package models

import "math"

// Result levels of a breakdown.
const (
	LevelAll    = "all"
	LevelCounty = "county"
	LevelSchool = "school"
)

// LevelEnum labels the result levels.
var LevelEnum = NewEnum("result_level", "ResultLevel", "The level of a survey results breakdown.",
	L(LevelAll, "全部"), L(LevelCounty, "县（区）"), L(LevelSchool, "学校"))

// TooFewNote is what a group with fewer than MinGroupForResults answers shows instead of figures.
const TooFewNote = "答卷少于5份，不予显示"

// OptionCount is how often one option was chosen, and its share of the question's answers.
type OptionCount struct {
	ID    string  `json:"id"`
	Label string  `json:"label"`
	Count int     `json:"count"`
	Share float64 `json:"share"`
}

// RowResult is one row of a matrix question.
type RowResult struct {
	Label            string   `json:"label"`
	Answered         int      `json:"answered"`
	Counts           []int    `json:"counts"` // of scores 1–5
	Mean             *float64 `json:"mean"`
	SatisfactionRate *float64 `json:"satisfaction_rate"`
}

// QuestionResult is one question's figures in one group.
type QuestionResult struct {
	ID               string        `json:"id"`
	Type             string        `json:"type"`
	Title            string        `json:"title"`
	Answered         int           `json:"answered"`
	Options          []OptionCount `json:"options,omitempty"`
	OtherTexts       int           `json:"other_texts,omitempty"`
	Counts           []int         `json:"counts,omitempty"` // rating: scores 1–5; nps: 0–10
	Mean             *float64      `json:"mean,omitempty"`
	SatisfactionRate *float64      `json:"satisfaction_rate,omitempty"`
	NPS              *float64      `json:"nps,omitempty"`
	Rows             []RowResult   `json:"rows,omitempty"`
	Texts            int           `json:"texts,omitempty"`
	TooFew           bool          `json:"too_few,omitempty"` // fewer than MinGroupForResults answered it: counts only
}

// GroupResult is the survey's figures for everyone in scope, one county or one school. Rates
// are fractions (0.857 is 85.7 %); NPS is −100…100. A group with fewer than
// MinGroupForResults answers shows its counts and nothing else.
type GroupResult struct {
	Level            string   `json:"level"`
	ID               string   `json:"id,omitempty"`
	Name             string   `json:"name"`
	Targeted         int      `json:"targeted"`
	Responses        int      `json:"responses"`
	ResponseRate     *float64 `json:"response_rate"`
	TooFew           bool     `json:"too_few"`
	Note             string   `json:"note,omitempty"`
	SatisfactionRate *float64 `json:"satisfaction_rate"` // see Survey.SatisfactionQuestion
	// SatisfactionQuestion is the id of the overall question the rate is of ("" when none).
	SatisfactionQuestion string           `json:"satisfaction_question,omitempty"`
	AwarenessRate        *float64         `json:"awareness_rate"`
	NPS                  *float64         `json:"nps"`
	Questions            []QuestionResult `json:"questions,omitempty"`
}

// SatisfactionQuestion is the survey's overall question, the one the headline satisfaction rate
// is of. The satisfaction rate has one definition, here, for survey results and the monthly
// report alike: the share of families (answers) rating the overall question 4 or 5 among those
// that answered it. The overall question is the survey's first 1–5 rating question (the
// template's "overall"); a survey without one may ask it as a single choice with options
// marked satisfied, and then its first such question is the overall one (satisfied: it picks a
// marked option). Matrix rows and other questions are never mixed in: each is reported apart
// with its own rate (QuestionResult, RowResult). nil when the survey has no such question.
func (s *Survey) SatisfactionQuestion() *Question {
	for i, q := range s.Questions {
		if q.Type == QRating {
			return &s.Questions[i]
		}
	}
	for i, q := range s.Questions {
		if q.Type != QSingle {
			continue
		}
		for _, o := range q.Options {
			if o.Satisfied {
				return &s.Questions[i]
			}
		}
	}
	return nil
}

// Tally accumulates responses of one group; memory depends on the definition, not on the
// number of responses.
type Tally struct {
	s                        *Survey
	overall                  string // the satisfaction question's id (Survey.SatisfactionQuestion)
	n                        int
	qs                       map[string]*qTally
	sat, satN, aware, awareN int
	npsPro, npsDet, npsN     int
}

type qTally struct {
	answered int
	opts     map[string]int
	others   int
	counts   []int
	rows     [][]int
	texts    int
}

// NewTally starts an empty tally for s.
func NewTally(s *Survey) *Tally {
	t := &Tally{s: s, qs: map[string]*qTally{}}
	if q := s.SatisfactionQuestion(); q != nil {
		t.overall = q.ID
	}
	for _, q := range s.Questions {
		qt := &qTally{opts: map[string]int{}}
		switch q.Type {
		case QRating:
			qt.counts = make([]int, 5)
		case QNPS:
			qt.counts = make([]int, 11)
		case QMatrix:
			qt.rows = make([][]int, len(q.Rows))
			for i := range qt.rows {
				qt.rows[i] = make([]int, 5)
			}
		}
		t.qs[q.ID] = qt
	}
	return t
}

// Add counts one response. Answers to questions the definition no longer has are ignored.
func (t *Tally) Add(answers Answers) {
	t.n++
	firstNPS := true
	for _, q := range t.s.Questions {
		a, ok := answers[q.ID]
		qt := t.qs[q.ID]
		if !ok {
			if q.Type == QNPS {
				firstNPS = false
			}
			continue
		}
		qt.answered++
		switch q.Type {
		case QSingle, QMultiple:
			picked := a.Choices
			if q.Type == QSingle {
				picked = []string{a.Choice}
			}
			sat, aware, satQ, awareQ := false, false, q.ID == t.overall, false
			for _, o := range q.Options {
				awareQ = awareQ || o.Aware
			}
			for _, id := range picked {
				qt.opts[id]++
				if o := q.option(id); o != nil {
					sat, aware = sat || o.Satisfied, aware || o.Aware
				}
			}
			if a.Other != "" {
				qt.others++
			}
			if satQ {
				t.satN++
				if sat {
					t.sat++
				}
			}
			if awareQ {
				t.awareN++
				if aware {
					t.aware++
				}
			}
		case QRating:
			if a.Score != nil && *a.Score >= 1 && *a.Score <= 5 {
				qt.counts[*a.Score-1]++
				if q.ID == t.overall {
					t.satN++
					if *a.Score >= 4 {
						t.sat++
					}
				}
			}
		case QNPS:
			if a.Score != nil && *a.Score >= 0 && *a.Score <= 10 {
				qt.counts[*a.Score]++
				if firstNPS { // the headline NPS is the first NPS question's
					t.npsN++
					switch {
					case *a.Score >= 9:
						t.npsPro++
					case *a.Score <= 6:
						t.npsDet++
					}
				}
			}
			firstNPS = false
		case QText, QLongText:
			qt.texts++
		case QMatrix:
			for i, v := range a.Rows {
				if i < len(qt.rows) && v >= 1 && v <= 5 {
					qt.rows[i][v-1]++ // reported per row, never in the headline rate
				}
			}
		}
	}
}

// Result gives the group's figures; targeted is the number of families the survey reached in
// the group (pupils with a bound parent), for the response rate.
func (t *Tally) Result(level, id, name string, targeted int) GroupResult {
	g := GroupResult{Level: level, ID: id, Name: name, Targeted: targeted, Responses: t.n, ResponseRate: ratio(t.n, targeted)}
	if t.n < MinGroupForResults {
		g.TooFew, g.Note = true, TooFewNote
		return g
	}
	g.SatisfactionRate, g.AwarenessRate = ratio(t.sat, t.satN), ratio(t.aware, t.awareN)
	g.SatisfactionQuestion = t.overall
	if t.npsN > 0 {
		g.NPS = round(float64(t.npsPro-t.npsDet)*100/float64(t.npsN), 1)
	}
	for _, q := range t.s.Questions {
		g.Questions = append(g.Questions, t.qs[q.ID].result(q))
	}
	return g
}

func (qt *qTally) result(q Question) QuestionResult {
	r := QuestionResult{ID: q.ID, Type: q.Type, Title: q.Title, Answered: qt.answered}
	if qt.answered < MinGroupForResults {
		// A follow-up that few answered would single them out even inside a larger group.
		r.TooFew = true
		return r
	}
	r.OtherTexts = qt.others
	switch q.Type {
	case QSingle, QMultiple:
		for _, o := range q.Options {
			c := qt.opts[o.ID]
			share := ratio(c, qt.answered)
			oc := OptionCount{ID: o.ID, Label: o.Label, Count: c}
			if share != nil {
				oc.Share = *share
			}
			r.Options = append(r.Options, oc)
		}
	case QRating:
		r.Counts = qt.counts
		r.Mean, r.SatisfactionRate = mean(qt.counts, 1), satisfied(qt.counts)
	case QNPS:
		r.Counts = qt.counts
		r.Mean = mean(qt.counts, 0)
		pro, det, n := 0, 0, 0
		for score, c := range qt.counts {
			n += c
			if score >= 9 {
				pro += c
			} else if score <= 6 {
				det += c
			}
		}
		if n > 0 {
			r.NPS = round(float64(pro-det)*100/float64(n), 1)
		}
	case QText, QLongText:
		r.Texts = qt.texts
	case QMatrix:
		for i, label := range q.Rows {
			counts := qt.rows[i]
			n := 0
			for _, c := range counts {
				n += c
			}
			r.Rows = append(r.Rows, RowResult{Label: label, Answered: n, Counts: counts, Mean: mean(counts, 1), SatisfactionRate: satisfied(counts)})
		}
	}
	return r
}

// mean of scores where counts[i] counts score base+i.
func mean(counts []int, base int) *float64 {
	sum, n := 0, 0
	for i, c := range counts {
		sum += (base + i) * c
		n += c
	}
	if n == 0 {
		return nil
	}
	return round(float64(sum)/float64(n), 2)
}

// satisfied is the share of 4s and 5s among 1–5 scores.
func satisfied(counts []int) *float64 {
	n := 0
	for _, c := range counts {
		n += c
	}
	return ratio(counts[3]+counts[4], n)
}

func ratio(a, b int) *float64 {
	if b <= 0 {
		return nil
	}
	return round(float64(a)/float64(b), 4)
}

func round(v float64, places int) *float64 {
	p := math.Pow(10, float64(places))
	r := math.Round(v*p) / p
	return &r
}

// SuppressedNote is shown for a group hidden so that a smaller sibling cannot be worked out.
const SuppressedNote = "为防止推算出答卷较少单位的结果，不予单独显示"

// Suppress protects small groups from subtraction: the figures of a parent group minus those of
// its shown children would give away the hidden ones. While the hidden siblings that have any
// answers hold fewer than MinGroupForResults between them, the smallest shown sibling is
// hidden too.
func Suppress(siblings []*GroupResult) {
	hidden, small := 0, false
	for _, g := range siblings {
		if g.TooFew && g.Responses > 0 {
			hidden += g.Responses
			small = true
		}
	}
	for small && hidden < MinGroupForResults {
		var smallest *GroupResult
		for _, g := range siblings {
			if !g.TooFew && (smallest == nil || g.Responses < smallest.Responses) {
				smallest = g
			}
		}
		if smallest == nil {
			return
		}
		*smallest = GroupResult{Level: smallest.Level, ID: smallest.ID, Name: smallest.Name, Targeted: smallest.Targeted,
			Responses: smallest.Responses, ResponseRate: smallest.ResponseRate, TooFew: true, Note: SuppressedNote}
		hidden += smallest.Responses
	}
}

// Counts are the tally's raw figures: answers, satisfied of rated (families that answered the
// overall question, Survey.SatisfactionQuestion), aware of asked.
func (t *Tally) Counts() (n, sat, rated, aware, asked int) {
	return t.n, t.sat, t.satN, t.aware, t.awareN
}
