package models

import (
	"fmt"
	"slices"
	"time"
)

// Summer care (暑期托管): a school's programme runs in periods (usually weeks), each with its
// places for children of eligible grades. Enrolment is the places mechanism: a period is a Pool
// of kind PoolCarePeriod, and a child's enrolment is a SignUp of kind SignUpCare whose owner is
// the period (so a child may enrol in several periods, once in each).

// Pool kinds of summer care.
const (
	PoolCarePeriod = "care_period"
	PoolShift      = "shift"
	PoolCourse     = "course" // a course of a selection menu; sign-ups of kind SignUpCourse
)

// SignUpCourse marks a sign-up that is a place in a course (owner: the course; ProgrammeID:
// the selection).
const SignUpCourse = "course"

// SignUpCare marks a sign-up that is a summer-care enrolment (events leave Kind empty).
const SignUpCare = "care"

// PoolKindEnum and SignUpKindEnum label the kinds of places and of sign-ups (an event's
// sign-up has no kind).
var (
	PoolKindEnum = NewEnum("pool_kind", "PoolKind", "What a set of places belongs to.",
		L(PoolEventSession, "活动场次"), L(PoolCarePeriod, "托管时段"), L(PoolShift, "志愿班次"), L(PoolCourse, "课程"))
	SignUpKindEnum = NewEnum("signup_kind", "SignUpKind", "What a sign-up is for, when not an event session.",
		L(SignUpCare, "暑期托管"), L(SignUpCourse, "选课"))
)

// Offerings of a summer-care programme, as families read them.
var (
	OfferingEnum = NewEnum("care_offering", "CareOffering", "What a summer-care programme offers.",
		L("homework", "作业辅导"), L("sports", "体育运动"), L("reading", "阅读"), L("arts", "艺术"),
		L("science", "科技"), L("labour", "劳动实践"), L("other", "其他"))
	Offerings     = OfferingEnum.Codes()
	OfferingNames = OfferingEnum.Map()
)

// ProgrammePeriod is one period of a programme; its places are a Pool with the same id.
type ProgrammePeriod struct {
	ID       string   `bson:"id" json:"id"`
	Label    string   `bson:"label" json:"label"`
	StartsAt Day      `bson:"starts_at" json:"start_date"` // first day
	EndsAt   DayAfter `bson:"ends_at" json:"end_date"`     // the day after the last day (JSON: the last day)
	Capacity int      `bson:"capacity" json:"capacity"`    // when created; the pool has the current one
	Grades   []int    `bson:"grades" json:"grades"`        // eligible grades; empty: every grade
	Closed   bool     `bson:"-" json:"closed"`             // from the pool
}

// Programme is a school's summer-care programme.
type Programme struct {
	ID             string            `bson:"_id" json:"id"`
	CountyID       string            `bson:"county_id" json:"county_id"`
	SchoolID       string            `bson:"school_id" json:"school_id"`
	Sender         string            `bson:"sender" json:"sender"` // the school's name
	AuthorID       string            `bson:"author_id" json:"-"`
	Title          string            `bson:"title" json:"title"`
	Description    string            `bson:"description" json:"description"`
	DailyStart     string            `bson:"daily_start" json:"daily_start"` // "08:30"
	DailyEnd       string            `bson:"daily_end" json:"daily_end"`     // "17:00"
	FeeNote        string            `bson:"fee_note" json:"fee_note"`
	Offerings      []string          `bson:"offerings" json:"offerings"`
	EnrolOpens     time.Time         `bson:"enrol_opens" json:"enrol_opens,omitzero"`
	EnrolCloses    time.Time         `bson:"enrol_closes" json:"enrol_closes,omitzero"`
	CancelDeadline time.Time         `bson:"cancel_deadline,omitempty" json:"cancel_deadline,omitzero"`
	Periods        []ProgrammePeriod `bson:"periods" json:"periods"`
	Status         string            `bson:"status" json:"status"` // draft, published, cancelled (as events)
	NoticeID       string            `bson:"notice_id,omitempty" json:"notice_id,omitempty"`
	CreatedAt      time.Time         `bson:"created_at" json:"created_at,omitzero"`
	UpdatedAt      time.Time         `bson:"updated_at" json:"updated_at,omitzero"`
}

// MaxPeriods bounds a programme's periods (a summer is about eight weeks).
const MaxPeriods = 16

// ParseClock reads "HH:MM" into minutes after midnight.
func ParseClock(s string) (int, bool) {
	t, err := time.Parse("15:04", s)
	if err != nil || len(s) != 5 {
		return 0, false
	}
	return t.Hour()*60 + t.Minute(), true
}

// Validate checks a new or edited programme.
func (p Programme) Validate() error {
	f := FieldErrors{}
	f.CheckText("title", p.Title, 60)
	f.CheckOptionalText("description", p.Description, 2000)
	f.CheckOptionalText("fee_note", p.FeeNote, 200)
	start, okStart := ParseClock(p.DailyStart)
	end, okEnd := ParseClock(p.DailyEnd)
	switch {
	case !okStart:
		f.Add("daily_start", "应为 HH:MM，如 08:30")
	case !okEnd:
		f.Add("daily_end", "应为 HH:MM，如 17:00")
	case end <= start:
		f.Add("daily_end", "结束时间应晚于开始时间")
	}
	if len(p.Offerings) == 0 {
		f.Add("offerings", MsgRequired)
	}
	for _, o := range p.Offerings {
		if !OfferingEnum.Has(o) {
			f.Add("offerings", "不支持的服务内容："+o)
		}
	}
	switch {
	case p.EnrolOpens.IsZero():
		f.Add("enrol_opens", MsgRequired)
	case p.EnrolCloses.IsZero():
		f.Add("enrol_closes", MsgRequired)
	case !p.EnrolCloses.After(p.EnrolOpens):
		f.Add("enrol_closes", "报名截止时间应晚于开始时间")
	}
	f.CheckDate("enrol_opens", p.EnrolOpens)
	f.CheckDate("enrol_closes", p.EnrolCloses)
	f.CheckDate("cancel_deadline", p.CancelDeadline)
	if !p.CancelDeadline.IsZero() && p.CancelDeadline.Before(p.EnrolOpens) {
		f.Add("cancel_deadline", "取消截止时间不能早于报名开始")
	}
	if len(p.Periods) == 0 || len(p.Periods) > MaxPeriods {
		f.Add("periods", fmt.Sprintf("应有1–%d期", MaxPeriods))
	}
	for i, per := range p.Periods {
		k := fmt.Sprintf("periods[%d]", i)
		f.CheckText(k+".label", per.Label, 40)
		switch {
		case per.StartsAt.IsZero() || per.EndsAt.IsZero():
			f.Add(k+".start_date", "每期须有开始和结束日期")
		case !per.EndsAt.After(per.StartsAt.Time):
			f.Add(k+".end_date", "结束日期不能早于开始日期")
		case per.EndsAt.Sub(per.StartsAt.Time) > 62*24*time.Hour:
			f.Add(k+".end_date", "每期最长两个月")
		case !per.EndsAt.After(p.EnrolOpens) && !p.EnrolOpens.IsZero():
			// Enrolment may stay open while earlier periods run (rolling enrolment for later
			// weeks), but a period over before enrolment opens is a mistake.
			f.Add(k+".end_date", "这一期在报名开始前已结束")
		}
		f.CheckDate(k+".start_date", per.StartsAt.Time)
		f.CheckDate(k+".end_date", per.EndsAt.Time)
		if per.Capacity < 1 || per.Capacity > MaxCapacity {
			f.Add(k+".capacity", fmt.Sprintf("名额应为1–%d", MaxCapacity))
		}
		for _, g := range per.Grades {
			if g < 1 || g > 9 {
				f.Add(k+".grades", "年级应为1–9")
			}
		}
	}
	return f.Err()
}

// Period returns the period with id, or nil.
func (p Programme) Period(id string) *ProgrammePeriod {
	for i := range p.Periods {
		if p.Periods[i].ID == id {
			return &p.Periods[i]
		}
	}
	return nil
}

// Admits reports whether a pupil of the school and grade may enrol in the period.
func (per ProgrammePeriod) Admits(grade int) bool {
	return len(per.Grades) == 0 || slices.Contains(per.Grades, grade)
}

// CanEnrol says why a family cannot enrol now ("" when it can).
func (p Programme) CanEnrol(now time.Time, per *ProgrammePeriod, grade int) string {
	switch {
	case p.Status != EventPublished:
		return "托管项目未开放报名"
	case now.Before(p.EnrolOpens):
		return "报名尚未开始，开始时间：" + p.EnrolOpens.In(Shanghai).Format("1月2日 15:04")
	case !now.Before(p.EnrolCloses):
		return "报名已截止"
	case per == nil:
		return "没有这一期"
	case per.Closed:
		return "这一期已取消"
	case !now.Before(per.EndsAt.Time):
		return "这一期已结束"
	case !per.Admits(grade):
		return "这一期不面向该年级"
	}
	return ""
}

// CanCancel says why a family can no longer cancel an enrolment ("" when it can).
func (p Programme) CanCancel(now time.Time) string {
	return Event{CancelDeadline: p.CancelDeadline, SignupCloses: p.EnrolCloses}.CanCancel(now)
}

// Ends is when the last period ends.
func (p Programme) Ends() time.Time {
	var end time.Time
	for _, per := range p.Periods {
		if per.EndsAt.After(end) {
			end = per.EndsAt.Time
		}
	}
	return end
}

// ParseDay reads "2006-01-02" as midnight in Shanghai.
func ParseDay(s string) (time.Time, bool) {
	t, err := time.ParseInLocation("2006-01-02", s, Shanghai)
	if err != nil {
		return time.Time{}, false
	}
	return t.UTC(), true
}
