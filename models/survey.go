package models

import (
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"
)

// Survey kinds. Satisfaction (满意度) and awareness (知晓率) feed the bureau's headline figures.
const (
	SurveyOpinion      = "opinion"
	SurveySatisfaction = "satisfaction"
	SurveyAwareness    = "awareness"
	SurveyOther        = "other"
)

// SurveyKindEnum labels the survey kinds.
var SurveyKindEnum = NewEnum("survey_kind", "SurveyKind", "A survey's kind; satisfaction and awareness feed the headline figures.",
	L(SurveyOpinion, "意见征集"), L(SurveySatisfaction, "满意度调查"), L(SurveyAwareness, "知晓率调查"), L(SurveyOther, "其他"))

// Survey statuses. Whether a published survey takes answers also depends on its open and close
// times (Survey.Open).
const (
	SurveyDraft     = "draft"
	SurveyPublished = "published"
	SurveyClosed    = "closed"
	SurveyArchived  = "archived"
)

// SurveyStatusEnum labels the survey statuses as staff see them.
var SurveyStatusEnum = NewEnum("survey_status", "SurveyStatus", "Where a survey is, as staff see it.",
	L(SurveyDraft, "草稿"), L(SurveyPublished, "已发布"), L(SurveyClosed, "已结束"), L(SurveyArchived, "已归档"))

// A survey's status as a parent sees it, per child.
const (
	MemberSurveyNotStarted = "not_started"
	MemberSurveyDraft      = "draft"
	MemberSurveySubmitted  = "submitted"
)

// MemberSurveyStatusEnum labels a survey's status for one child, as the parent sees it.
var MemberSurveyStatusEnum = NewEnum("member_survey_status", "MemberSurveyStatus", "A survey's status for one child, as the parent sees it.",
	L(MemberSurveyNotStarted, "未填写"), L(MemberSurveyDraft, "已暂存"), L(MemberSurveySubmitted, "已提交"))

// Question types.
const (
	QSingle   = "single"   // one option
	QMultiple = "multiple" // MinPicks–MaxPicks options
	QRating   = "rating"   // 1–5 with labels
	QNPS      = "nps"      // 0–10: would you recommend it
	QText     = "text"     // short text
	QLongText = "textarea" // long text
	QMatrix   = "matrix"   // rows × rating 1–5
)

// What the answer to a submission says became of it.
const (
	ReceiptQueued    = "queued"    // accepted; a worker stores it shortly
	ReceiptSubmitted = "submitted" // a repeat: the first answer stands
	ReceiptStored    = "stored"    // written straight to the database
)

// ReceiptStatusEnum labels the submission outcomes.
var ReceiptStatusEnum = NewEnum("receipt_status", "ReceiptStatus", "What became of a submitted survey answer.",
	L(ReceiptQueued, "已提交"), L(ReceiptSubmitted, "已提交（以首次提交为准）"), L(ReceiptStored, "已提交"))

// QuestionTypeEnum labels the question types.
var QuestionTypeEnum = NewEnum("question_type", "QuestionType", "A survey question's type.",
	L(QSingle, "单选题"), L(QMultiple, "多选题"), L(QRating, "评分题"), L(QNPS, "推荐度（0–10分）"),
	L(QText, "填空题"), L(QLongText, "简答题"), L(QMatrix, "矩阵评分题"))

// Limits of a survey definition.
const (
	MaxSurveyTitle     = 60
	MaxSurveyDesc      = 2000
	MaxQuestions       = 100
	MaxOptions         = 50
	MaxMatrixRows      = 30
	MaxShortText       = 200
	MaxLongText        = 2000
	DefaultShortText   = 100
	DefaultLongText    = 500
	MaxSurveyDuration  = 366 * 24 * time.Hour
	MinGroupForResults = 5 // smaller groups are shown as "too few to show"
)

// DefaultRatingLabels are the 1–5 labels when a question gives none.
var DefaultRatingLabels = []string{"非常不满意", "不满意", "一般", "满意", "非常满意"}

// Option is one choice of a single or multiple choice question.
type Option struct {
	ID        string `bson:"id" json:"id"`
	Label     string `bson:"label" json:"label"`
	Other     bool   `bson:"other,omitempty" json:"other,omitempty"`         // "other, please say": asks for text
	Satisfied bool   `bson:"satisfied,omitempty" json:"satisfied,omitempty"` // a satisfied answer, when this is the overall question (Survey.SatisfactionQuestion)
	Aware     bool   `bson:"aware,omitempty" json:"aware,omitempty"`         // counts toward the awareness rate
}

// ShowIf shows a question only when an earlier choice question's answer includes one of Options.
type ShowIf struct {
	Question string   `bson:"question" json:"question"`
	Options  []string `bson:"options" json:"options"`
}

// Question is one question of a survey.
type Question struct {
	ID        string   `bson:"id" json:"id"`
	Type      string   `bson:"type" json:"type"`
	Title     string   `bson:"title" json:"title"`
	Required  bool     `bson:"required" json:"required"`
	Options   []Option `bson:"options,omitempty" json:"options,omitempty"`
	MinPicks  int      `bson:"min_picks,omitempty" json:"min_picks,omitempty"`
	MaxPicks  int      `bson:"max_picks,omitempty" json:"max_picks,omitempty"`
	Labels    []string `bson:"labels,omitempty" json:"labels,omitempty"` // rating and matrix: five labels for 1–5
	MaxLength int      `bson:"max_length,omitempty" json:"max_length,omitempty"`
	Rows      []string `bson:"rows,omitempty" json:"rows,omitempty"` // matrix
	ShowIf    *ShowIf  `bson:"show_if,omitempty" json:"show_if,omitempty"`
}

// Survey is an opinion, satisfaction or awareness survey sent to families. A family answers it
// once per child: the answer concerns that child's school, so a family with children in two
// schools rates each school, and both parents of one child share one answer.
type Survey struct {
	ID          string     `bson:"_id" json:"id"`
	CountyID    string     `bson:"county_id,omitempty" json:"county_id,omitempty"`
	SchoolID    string     `bson:"school_id,omitempty" json:"school_id,omitempty"`
	Sender      string     `bson:"sender" json:"sender"`
	AuthorID    string     `bson:"author_id" json:"author_id"`
	Kind        string     `bson:"kind" json:"kind"`
	Title       string     `bson:"title" json:"title"`
	Description string     `bson:"description" json:"description"`
	Audience    Audience   `bson:"audience" json:"audience"`
	OpensAt     time.Time  `bson:"opens_at" json:"opens_at,omitzero"`
	ClosesAt    time.Time  `bson:"closes_at" json:"closes_at,omitzero"`
	Anonymous   bool       `bson:"anonymous" json:"anonymous"`
	Questions   []Question `bson:"questions" json:"questions"`
	Status      string     `bson:"status" json:"status"`
	Template    string     `bson:"template,omitempty" json:"template,omitempty"`
	NoticeID    string     `bson:"notice_id,omitempty" json:"notice_id,omitempty"` // the invitation
	Channels    []string   `bson:"channels,omitempty" json:"channels,omitempty"`   // of the invitation and the reminder
	RemindAt    time.Time  `bson:"remind_at,omitempty" json:"remind_at,omitzero"`
	Reminded    bool       `bson:"reminded" json:"reminded"`
	Answered    bool       `bson:"answered" json:"answered"` // set before the first answer is accepted; the questions are fixed from then on
	PublishedAt time.Time  `bson:"published_at,omitempty" json:"published_at,omitzero"`
	CreatedAt   time.Time  `bson:"created_at" json:"created_at,omitzero"`
	UpdatedAt   time.Time  `bson:"updated_at" json:"updated_at,omitzero"`
}

// Open reports whether the survey takes answers at t.
func (s Survey) Open(t time.Time) bool {
	return s.Status == SurveyPublished && !t.Before(s.OpensAt) && t.Before(s.ClosesAt)
}

// Reaches reports whether a pupil of schoolID/countyID in grade and class is in the survey's
// audience: inside the sender's scope, and matching the audience.
func (s Survey) Reaches(schoolID, countyID string, grade int, class string) bool {
	if (s.SchoolID != "" && s.SchoolID != schoolID) || (s.CountyID != "" && s.CountyID != countyID) {
		return false
	}
	a := s.Audience
	switch a.Kind {
	case AudienceScope:
		return true
	case AudienceSchools:
		return contains(a.SchoolIDs, schoolID)
	case AudienceGrades:
		if len(a.SchoolIDs) > 0 && !contains(a.SchoolIDs, schoolID) {
			return false
		}
		for _, g := range a.Grades {
			if g == grade {
				return true
			}
		}
	case AudienceClasses:
		for _, c := range a.Classes {
			if c.SchoolID == schoolID && c.Grade == grade && c.Class == class {
				return true
			}
		}
	}
	return false
}

// VisibleTo reports whether staff of scope may see the survey: their own, and those sent from
// above them (a county admin sees the city's surveys, restricted to the county's answers).
func (s Survey) VisibleTo(sc Scope) bool {
	switch {
	case sc.AllowsOwner(s.SchoolID, s.CountyID):
		return true
	case s.SchoolID != "":
		return false
	case s.CountyID == "":
		return true
	}
	return s.CountyID == sc.CountyID
}

// Normalize trims text and gives questions and options without ids positional ones (q1, q2…;
// A, B…), and rating questions the default labels, so that staff may send a bare definition.
func (s *Survey) Normalize() {
	s.Title, s.Description = strings.TrimSpace(s.Title), strings.TrimSpace(s.Description)
	if s.Kind == "" {
		s.Kind = SurveyOther
	}
	for i := range s.Questions {
		q := &s.Questions[i]
		q.Title = strings.TrimSpace(q.Title)
		if q.ID == "" {
			q.ID = fmt.Sprintf("q%d", i+1)
		}
		for j := range q.Options {
			o := &q.Options[j]
			o.Label = strings.TrimSpace(o.Label)
			if o.ID == "" {
				o.ID = optionID(j)
			}
		}
		if (q.Type == QRating || q.Type == QMatrix) && len(q.Labels) == 0 {
			q.Labels = append([]string{}, DefaultRatingLabels...)
		}
		if q.Type == QMultiple && q.MaxPicks == 0 {
			q.MaxPicks = len(q.Options)
		}
		if q.Type == QText && q.MaxLength == 0 {
			q.MaxLength = DefaultShortText
		}
		if q.Type == QLongText && q.MaxLength == 0 {
			q.MaxLength = DefaultLongText
		}
	}
}

func optionID(i int) string {
	if i < 26 {
		return string(rune('A' + i))
	}
	return fmt.Sprintf("O%d", i+1)
}

var idPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,20}$`)

// Validate checks a survey definition; field names are JSON paths such as
// questions[2].options[0].label, so the console can point at the offending input.
func (s Survey) Validate() error {
	f := FieldErrors{}
	f.CheckText("title", s.Title, MaxSurveyTitle)
	f.CheckOptionalText("description", s.Description, MaxSurveyDesc)
	f.CheckEnum("kind", s.Kind, SurveyKindEnum)
	s.Audience.check(f, AudienceScope, AudienceSchools, AudienceGrades, AudienceClasses)
	switch {
	case s.OpensAt.IsZero():
		f.Add("opens_at", MsgRequired)
	case s.ClosesAt.IsZero():
		f.Add("closes_at", MsgRequired)
	case !s.ClosesAt.After(s.OpensAt):
		f.Add("closes_at", "截止时间应晚于开始时间")
	case s.ClosesAt.Sub(s.OpensAt) > MaxSurveyDuration:
		f.Add("closes_at", "问卷开放时间不能超过一年")
	}
	f.CheckDate("opens_at", s.OpensAt)
	f.CheckDate("closes_at", s.ClosesAt)
	if len(s.Questions) == 0 {
		f.Add("questions", "至少需要一道题目")
	}
	if len(s.Questions) > MaxQuestions {
		f.Add("questions", fmt.Sprintf("最多%d道题目", MaxQuestions))
	}
	seen := map[string]int{}
	for i, q := range s.Questions {
		p := fmt.Sprintf("questions[%d]", i)
		if !idPattern.MatchString(q.ID) {
			f.Add(p+".id", "题目编号应为1–20个字母、数字、下划线或连字符")
		} else if _, dup := seen[q.ID]; dup {
			f.Add(p+".id", "题目编号重复："+q.ID)
		}
		seen[q.ID] = i
		q.check(f, p)
		if q.ShowIf != nil {
			checkShowIf(f, p+".show_if", *q.ShowIf, s.Questions, i)
		}
	}
	return f.Err()
}

func (q Question) check(f FieldErrors, p string) {
	f.CheckText(p+".title", q.Title, 200)
	f.CheckEnum(p+".type", q.Type, QuestionTypeEnum)
	switch q.Type {
	case QSingle, QMultiple:
		checkOptions(f, p, q.Options)
		if q.Type == QMultiple && (q.MinPicks < 0 || q.MaxPicks < 1 || q.MinPicks > q.MaxPicks || q.MaxPicks > len(q.Options)) {
			f.Add(p+".max_picks", "最少/最多选择数应满足 0 ≤ 最少 ≤ 最多 ≤ 选项数")
		}
	case QRating:
		checkLabels(f, p, q.Labels)
	case QNPS:
	case QText, QLongText:
		limit := MaxShortText
		if q.Type == QLongText {
			limit = MaxLongText
		}
		if q.MaxLength < 1 || q.MaxLength > limit {
			f.Add(p+".max_length", fmt.Sprintf("字数上限应为1–%d", limit))
		}
	case QMatrix:
		checkLabels(f, p, q.Labels)
		if len(q.Rows) == 0 || len(q.Rows) > MaxMatrixRows {
			f.Add(p+".rows", fmt.Sprintf("矩阵题应有1–%d行", MaxMatrixRows))
		}
		for j, r := range q.Rows {
			f.CheckText(fmt.Sprintf("%s.rows[%d]", p, j), r, 50)
		}
	}
	if q.Type != QSingle && q.Type != QMultiple && len(q.Options) > 0 {
		f.Add(p+".options", "只有选择题可以设置选项")
	}
}

func checkOptions(f FieldErrors, p string, opts []Option) {
	if len(opts) < 2 || len(opts) > MaxOptions {
		f.Add(p+".options", fmt.Sprintf("选择题应有2–%d个选项", MaxOptions))
	}
	ids, labels, others := map[string]bool{}, map[string]bool{}, 0
	for j, o := range opts {
		op := fmt.Sprintf("%s.options[%d]", p, j)
		f.CheckText(op+".label", o.Label, 100)
		if labels[o.Label] && o.Label != "" {
			f.Add(op+".label", "选项重复："+o.Label)
		}
		labels[o.Label] = true
		if !idPattern.MatchString(o.ID) || ids[o.ID] {
			f.Add(op+".id", "选项编号应唯一，且为1–20个字母或数字")
		}
		ids[o.ID] = true
		if o.Other {
			others++
		}
	}
	if others > 1 {
		f.Add(p+".options", "只能有一个“其他”选项")
	}
}

func checkLabels(f FieldErrors, p string, labels []string) {
	if len(labels) != 5 {
		f.Add(p+".labels", "评分标签应为5个（对应1–5分）")
		return
	}
	for j, l := range labels {
		if strings.TrimSpace(l) == "" || utf8.RuneCountInString(l) > 10 {
			f.Add(fmt.Sprintf("%s.labels[%d]", p, j), "标签应为1–10个字")
		}
	}
}

// checkShowIf requires the condition to point backwards, at a choice question, and at its options.
func checkShowIf(f FieldErrors, p string, c ShowIf, qs []Question, at int) {
	target := -1
	for j := 0; j < at; j++ {
		if qs[j].ID == c.Question {
			target = j
			break
		}
	}
	if target < 0 {
		f.Add(p+".question", "显示条件只能引用前面的题目")
		return
	}
	t := qs[target]
	if t.Type != QSingle && t.Type != QMultiple {
		f.Add(p+".question", "显示条件只能引用选择题")
		return
	}
	if len(c.Options) == 0 {
		f.Add(p+".options", MsgRequired)
	}
	for _, id := range c.Options {
		if t.option(id) == nil {
			f.Add(p+".options", "引用的题目没有选项："+id)
		}
	}
}

func (q Question) option(id string) *Option {
	for i := range q.Options {
		if q.Options[i].ID == id {
			return &q.Options[i]
		}
	}
	return nil
}

// Question returns the question with id, or nil.
func (s Survey) Question(id string) *Question {
	for i := range s.Questions {
		if s.Questions[i].ID == id {
			return &s.Questions[i]
		}
	}
	return nil
}
