package models

import (
	"strings"
	"time"
	"unicode/utf8"
)

// Notice kinds; templates are configured per kind.
const (
	NoticeGeneral    = "general"
	NoticeOpenDay    = "open_day"
	NoticeLetter     = "letter" // 致家长的一封信
	NoticeSurvey     = "survey"
	NoticeSummerCare = "summer_care"
	NoticeReminder   = "reminder"
)

// NoticeKindEnum labels the notice kinds (reminder: sent by the system only).
var NoticeKindEnum = NewEnum("notice_kind", "NoticeKind", "A notice's kind; staff choose any but reminder, which the system sends.",
	L(NoticeGeneral, "通知"), L(NoticeOpenDay, "家长开放日"), L(NoticeLetter, "致家长的一封信"),
	L(NoticeSurvey, "问卷调查"), L(NoticeSummerCare, "暑期托管"), L(NoticeReminder, "提醒"))

// Notice statuses.
const (
	NoticeScheduled = "scheduled" // waiting for its send time
	NoticeSending   = "sending"   // recipients being resolved and deliveries queued
	NoticeSent      = "sent"      // every recipient has a delivery; deliveries finish on their own
	NoticeCancelled = "cancelled"
)

// NoticeStatusEnum labels the notice statuses.
var NoticeStatusEnum = NewEnum("notice_status", "NoticeStatus", "Where a notice is in its sending.",
	L(NoticeScheduled, "待发送"), L(NoticeSending, "发送中"), L(NoticeSent, "已发送"), L(NoticeCancelled, "已撤回"))

// Audience kinds.
const (
	AudienceScope    = "scope"    // every guardian in the sender's scope
	AudienceSchools  = "schools"  // guardians of these schools
	AudienceGrades   = "grades"   // guardians of these grades, in these schools (or the scope)
	AudienceClasses  = "classes"  // guardians of these classes
	AudienceChildren = "children" // guardians of these children
	AudienceRemind   = "remind"   // recipients of another notice who have not read (or confirmed) it
	AudienceSurvey   = "survey"   // families of a survey's audience who have not answered it
	// AudienceMembers is these members (a volunteer told of their application); set by the
	// system, never by staff.
	AudienceMembers = "members"
	// AudienceVolunteers is the approved volunteers of a summer-care programme.
	AudienceVolunteers = "volunteers"
)

// AudienceKindEnum labels the audience kinds.
var AudienceKindEnum = NewEnum("audience_kind", "AudienceKind", "Who receives a notice (or may sign up for an event); remind, survey and members are set by the system.",
	L(AudienceScope, "管辖范围内全部家长"), L(AudienceSchools, "指定学校"), L(AudienceGrades, "指定年级"), L(AudienceClasses, "指定班级"),
	L(AudienceChildren, "指定学生"), L(AudienceRemind, "未读提醒"), L(AudienceSurvey, "问卷未答提醒"), L(AudienceMembers, "指定用户"),
	L(AudienceVolunteers, "托管项目志愿者"))

// ClassRef names one class of one school.
type ClassRef struct {
	SchoolID string `bson:"school_id" json:"school_id"`
	Grade    int    `bson:"grade" json:"grade"`
	Class    string `bson:"class" json:"class"`
}

// Audience says who receives a notice. It is resolved in batches when the notice goes out, so a
// pupil who arrives before then is included.
type Audience struct {
	Kind        string     `bson:"kind" json:"kind"`
	SchoolIDs   []string   `bson:"school_ids,omitempty" json:"school_ids,omitempty"`
	Grades      []int      `bson:"grades,omitempty" json:"grades,omitempty"`
	Classes     []ClassRef `bson:"classes,omitempty" json:"classes,omitempty"`
	ChildIDs    []string   `bson:"child_ids,omitempty" json:"child_ids,omitempty"`
	NoticeID    string     `bson:"notice_id,omitempty" json:"notice_id,omitempty"`
	SurveyID    string     `bson:"survey_id,omitempty" json:"survey_id,omitempty"`
	MemberIDs   []string   `bson:"member_ids,omitempty" json:"-"`
	ProgrammeID string     `bson:"programme_id,omitempty" json:"programme_id,omitempty"`
	Unconfirmed bool       `bson:"unconfirmed,omitempty" json:"unconfirmed,omitempty"` // remind: not confirmed instead of not read
}

// Notice is a broadcast from a school, a county or the city to families.
type Notice struct {
	ID             string    `bson:"_id" json:"id"`
	CountyID       string    `bson:"county_id,omitempty" json:"county_id,omitempty"`
	SchoolID       string    `bson:"school_id,omitempty" json:"school_id,omitempty"`
	Sender         string    `bson:"sender" json:"sender"` // the school, county or city name shown to families
	AuthorID       string    `bson:"author_id" json:"author_id"`
	Kind           string    `bson:"kind" json:"kind"`
	Title          string    `bson:"title" json:"title"`
	Body           string    `bson:"body" json:"body"`
	Link           string    `bson:"link,omitempty" json:"link,omitempty"`
	Audience       Audience  `bson:"audience" json:"audience"`
	Channels       []string  `bson:"channels" json:"channels"`
	Robots         []string  `bson:"robots,omitempty" json:"robots,omitempty"` // group robots that also get it
	SendAt         time.Time `bson:"send_at" json:"send_at,omitzero"`
	Urgent         bool      `bson:"urgent" json:"urgent"`
	RequireConfirm bool      `bson:"require_confirm" json:"require_confirm"`
	Status         string    `bson:"status" json:"status"`
	// Fan-out progress, so a fan-out interrupted by a restart resumes where it stopped.
	FanoutCursor  string    `bson:"fanout_cursor" json:"-"`
	FanoutBatches int       `bson:"fanout_batches" json:"-"`
	Targeted      int       `bson:"targeted" json:"targeted"`
	CreatedAt     time.Time `bson:"created_at" json:"created_at,omitzero"`
	UpdatedAt     time.Time `bson:"updated_at" json:"updated_at,omitzero"`
}

// Limits of a notice's text.
const (
	MaxNoticeTitle = 60
	MaxNoticeBody  = 5000
)

// Validate checks a new notice. channels are the sending channels known to the system.
func (n Notice) Validate(channels ...string) error {
	f := FieldErrors{}
	f.CheckText("title", n.Title, MaxNoticeTitle)
	f.CheckText("body", n.Body, MaxNoticeBody)
	f.CheckOptionalText("link", n.Link, 200)
	if n.Link != "" && !strings.HasPrefix(n.Link, "/") && !strings.HasPrefix(n.Link, "pages/") {
		f.Add("link", "应为小程序页面路径，如 pages/survey/detail?id=…")
	}
	f.CheckEnum("kind", n.Kind, NoticeKindEnum, NoticeGeneral, NoticeOpenDay, NoticeLetter, NoticeSurvey, NoticeSummerCare)
	seen := map[string]bool{}
	for _, ch := range n.Channels {
		if !contains(channels, ch) || !ChannelEnum.Has(ch) {
			f.Add("channels", "不支持的渠道："+ch)
		} else if seen[ch] {
			f.Add("channels", "渠道重复："+ch)
		}
		seen[ch] = true
	}
	n.Audience.check(f, AudienceScope, AudienceSchools, AudienceGrades, AudienceClasses, AudienceChildren, AudienceVolunteers)
	f.CheckDate("send_at", n.SendAt)
	if len(n.Robots) > 20 {
		f.Add("robots", "最多20个群机器人")
	}
	return f.Err()
}

// check validates an audience whose kind must be one of kinds.
func (a Audience) check(f FieldErrors, kinds ...string) {
	if a.Kind != "" && (!contains(kinds, a.Kind) || !AudienceKindEnum.Has(a.Kind)) {
		f.Add("audience.kind", "取值应为 "+strings.Join(kinds, "/")+" 之一")
		return
	}
	switch a.Kind {
	case AudienceScope:
	case AudienceSchools:
		if len(a.SchoolIDs) == 0 {
			f.Add("audience.school_ids", MsgRequired)
		}
	case AudienceGrades:
		if len(a.Grades) == 0 {
			f.Add("audience.grades", MsgRequired)
		}
		for _, g := range a.Grades {
			if g < 1 || g > 9 {
				f.Add("audience.grades", "年级应为1–9")
			}
		}
	case AudienceClasses:
		if len(a.Classes) == 0 {
			f.Add("audience.classes", MsgRequired)
		}
		for _, c := range a.Classes {
			if c.SchoolID == "" || c.Grade < 1 || c.Grade > 9 || c.Class == "" {
				f.Add("audience.classes", "每个班级须有学校、年级和班级")
			}
		}
	case AudienceChildren:
		if len(a.ChildIDs) == 0 || len(a.ChildIDs) > 1000 {
			f.Add("audience.child_ids", "应为1–1000名学生")
		}
	case AudienceVolunteers:
		if a.ProgrammeID == "" {
			f.Add("audience.programme_id", MsgRequired)
		}
	case "":
		f.Add("audience.kind", MsgRequired)
	default:
		f.Add("audience.kind", "取值应为 scope/schools/grades/classes/children 之一")
	}
	if len(a.SchoolIDs) > 500 || len(a.Classes) > 500 {
		f.Add("audience", "范围过大，请改用 scope")
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Shanghai is the display zone; quiet hours are reckoned in it.
var Shanghai = time.FixedZone("CST", 8*3600)

// InQuietHours reports whether t lies in 21:30–07:30 Asia/Shanghai, when only urgent notices go
// out; it returns the end of the quiet period when it does.
func InQuietHours(t time.Time) (bool, time.Time) {
	l := t.In(Shanghai)
	minutes := l.Hour()*60 + l.Minute()
	const start, end = 21*60 + 30, 7*60 + 30
	if minutes >= end && minutes < start {
		return false, time.Time{}
	}
	day := time.Date(l.Year(), l.Month(), l.Day(), 7, 30, 0, 0, Shanghai)
	if minutes >= start {
		day = day.AddDate(0, 0, 1)
	}
	return true, day
}

// NoticeValue returns the value a template key asks for.
func (n Notice) NoticeValue(name string) string {
	switch name {
	case "title":
		return n.Title
	case "body":
		return firstLine(n.Body)
	case "school":
		return n.Sender
	case "date":
		return n.SendAt.In(Shanghai).Format("2006年01月02日 15:04")
	case "kind":
		return NoticeKindEnum.Text(n.Kind)
	}
	return ""
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if utf8.RuneCountInString(s) > 100 {
		s = string([]rune(s)[:100])
	}
	return s
}

// Truncate keeps the first n characters of s.
func Truncate(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n])
	}
	return s
}
