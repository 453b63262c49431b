package models

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Complaints and suggestions (投诉台账): intake from parents and from the 12345 hotline, phone,
// e-mail or visits; a workflow from receipt to closing with every step recorded; escalation
// when a school misses its deadline; and a look-back six months after closing.

// Complaint sources.
const (
	SourceMiniProgram = "mp"
	Source12345       = "12345"
	SourcePhone       = "phone"
	SourceEmail       = "email"
	SourceVisit       = "visit"
)

// ComplaintSourceEnum labels the sources; SourceNames are what the ledger shows.
var (
	ComplaintSourceEnum = NewEnum("complaint_source", "ComplaintSource", "Where a complaint came from.",
		L(SourceMiniProgram, "小程序"), L(Source12345, "12345热线"), L(SourcePhone, "举报电话"), L(SourceEmail, "举报邮箱"), L(SourceVisit, "来访"))
	ComplaintSources = ComplaintSourceEnum.Codes()
	SourceNames      = ComplaintSourceEnum.Map()
)

// Complaint categories.
var (
	ComplaintCategoryEnum = NewEnum("complaint_category", "ComplaintCategory", "What a complaint is about.",
		L("fees", "收费"), L("safety", "安全"), L("quality", "服务质量"), L("staff", "教师行为"),
		L("food", "餐饮"), L("schedule", "时间安排"), L("other", "其他"))
	ComplaintCategories    = ComplaintCategoryEnum.Codes()
	ComplaintCategoryNames = ComplaintCategoryEnum.Map()
)

// Complaint statuses, in workflow order.
const (
	ComplaintReceived   = "received"
	ComplaintAssigned   = "assigned"
	ComplaintInProgress = "in_progress"
	ComplaintRectified  = "rectified"
	ComplaintVerified   = "verified"
	ComplaintClosed     = "closed"
	ComplaintDismissed  = "dismissed"
)

// ComplaintStatusEnum labels the statuses as the ledger shows them.
var (
	ComplaintStatusEnum = NewEnum("complaint_status", "ComplaintStatus", "Where a complaint is in its workflow, in workflow order.",
		L(ComplaintReceived, "已受理"), L(ComplaintAssigned, "已交办"), L(ComplaintInProgress, "办理中"),
		L(ComplaintRectified, "已整改"), L(ComplaintVerified, "已核查"), L(ComplaintClosed, "已办结"), L(ComplaintDismissed, "不予受理"))
	ComplaintStatusNames = ComplaintStatusEnum.Map()
)

// HistoryEscalated is the history entry the deadline check writes when an assigned complaint
// passes its deadline unclosed; the complaint's own status stays.
const HistoryEscalated = "escalated"

// ComplaintHistoryEnum labels the status of a history entry: a status the complaint reached, or
// the escalation.
var ComplaintHistoryEnum = NewEnum("complaint_history_status", "ComplaintHistoryStatus",
	"The status one entry of a complaint's history records: a ComplaintStatus it reached, or escalated when its deadline passed unclosed (its own status stays).",
	append(slices.Clone(ComplaintStatusEnum.Labels), L(HistoryEscalated, "逾期升级督办"))...)

// Complaint steps: POST /admin/complaints/{id}/{step} takes one.
const (
	StepAssign  = "assign"
	StepStart   = "start"
	StepRectify = "rectify"
	StepVerify  = "verify"
	StepClose   = "close"
	StepDismiss = "dismiss"
)

// ComplaintStepEnum labels the steps (the console's buttons).
var ComplaintStepEnum = NewEnum("complaint_step", "ComplaintStep", "A step of the complaint workflow, as named in POST /admin/complaints/{id}/{step}.",
	L(StepAssign, "交办"), L(StepStart, "开始办理"), L(StepRectify, "提交整改"), L(StepVerify, "核查"), L(StepClose, "办结"), L(StepDismiss, "不予受理"))

// Who may move a complaint: the county (or city) that keeps the ledger, or the school it was
// assigned to.
const (
	ActorCounty = "county"
	ActorSchool = "school"
)

// transitions lists the allowed moves and who makes them.
var transitions = map[string]map[string]string{
	ComplaintReceived:   {ComplaintAssigned: ActorCounty, ComplaintDismissed: ActorCounty},
	ComplaintAssigned:   {ComplaintInProgress: ActorSchool, ComplaintRectified: ActorSchool, ComplaintDismissed: ActorCounty, ComplaintAssigned: ActorCounty},
	ComplaintInProgress: {ComplaintRectified: ActorSchool, ComplaintDismissed: ActorCounty},
	ComplaintRectified:  {ComplaintVerified: ActorCounty, ComplaintInProgress: ActorCounty}, // back when the rectification falls short
	ComplaintVerified:   {ComplaintClosed: ActorCounty},
}

// CanMove says why actor may not move a complaint from one status to another ("" when it may).
func CanMove(from, to, actor string) string {
	who, ok := transitions[from][to]
	switch {
	case !ok:
		return fmt.Sprintf("“%s”的件不能改为“%s”", ComplaintStatusNames[from], ComplaintStatusNames[to])
	case who != actor:
		if who == ActorSchool {
			return "这一步由承办学校办理"
		}
		return "这一步由区县教育局办理"
	}
	return ""
}

// ComplaintStep is one recorded step: who, when, what.
type ComplaintStep struct {
	At     time.Time `bson:"at" json:"at,omitzero"`
	By     string    `bson:"by" json:"by"` // staff id, "parent" or "system"
	Status string    `bson:"status" json:"status"`
	Note   string    `bson:"note,omitempty" json:"note,omitempty"`
}

// LookBack is the half-yearly look-back (回头看) of a closed complaint.
type LookBack struct {
	OpenedAt   time.Time `bson:"opened_at" json:"opened_at,omitzero"`
	Recurred   *bool     `bson:"recurred,omitempty" json:"recurred,omitempty"` // nil until the county records it
	Note       string    `bson:"note,omitempty" json:"note,omitempty"`
	RecordedAt time.Time `bson:"recorded_at,omitempty" json:"recorded_at,omitzero"`
	RecordedBy string    `bson:"recorded_by,omitempty" json:"-"`
}

// Complaint is one entry of the ledger.
type Complaint struct {
	ID         string          `bson:"_id" json:"id"`
	Source     string          `bson:"source" json:"source"`
	SourceRef  string          `bson:"source_ref,omitempty" json:"source_ref,omitempty"` // e.g. the 12345 ticket number
	SourceKey  string          `bson:"source_key" json:"-"`                              // source:ref, or the id when there is no ref: unique
	ReceivedOn Day             `bson:"received_on" json:"received_on"`                   // the day it came in
	CountyID   string          `bson:"county_id" json:"county_id"`
	SchoolID   string          `bson:"school_id,omitempty" json:"school_id,omitempty"`
	Category   string          `bson:"category" json:"category"`
	Text       string          `bson:"text" json:"text"`
	Anonymous  bool            `bson:"anonymous" json:"anonymous"`
	MemberID   string          `bson:"member_id,omitempty" json:"-"` // the parent, to be told of progress; never shown
	Status     string          `bson:"status" json:"status"`
	Deadline   time.Time       `bson:"deadline,omitempty" json:"deadline,omitzero"`
	Escalated  bool            `bson:"escalated" json:"escalated"`
	IsOverdue  bool            `bson:"-" json:"overdue"`                           // Overdue at the time of the answer (staff views; server.withOverdue)
	Outcome    string          `bson:"outcome,omitempty" json:"outcome,omitempty"` // what was done (rectified), or why dismissed
	Evidence   []string        `bson:"evidence,omitempty" json:"evidence,omitempty"`
	ClosedAt   time.Time       `bson:"closed_at,omitempty" json:"closed_at,omitzero"`
	Steps      []ComplaintStep `bson:"steps" json:"steps"`
	Rating     int             `bson:"rating,omitempty" json:"rating,omitempty"` // the parent's 1–5 on the handling
	RatingNote string          `bson:"rating_note,omitempty" json:"rating_note,omitempty"`
	LookBack   *LookBack       `bson:"look_back,omitempty" json:"look_back,omitempty"`
	CreatedAt  time.Time       `bson:"created_at" json:"created_at,omitzero"`
	UpdatedAt  time.Time       `bson:"updated_at" json:"updated_at,omitzero"`
}

// Open reports whether the complaint is still being handled.
func (c Complaint) Open() bool {
	return c.Status != ComplaintClosed && c.Status != ComplaintDismissed
}

// Overdue reports whether the assigned school has missed the deadline.
func (c Complaint) Overdue(now time.Time) bool {
	return (c.Status == ComplaintAssigned || c.Status == ComplaintInProgress) && !c.Deadline.IsZero() && now.After(c.Deadline)
}

// Summary is the first 50 characters, for the ledger's 内容摘要 column.
func (c Complaint) Summary() string {
	s := strings.Join(strings.Fields(c.Text), " ")
	if utf8.RuneCountInString(s) > 50 {
		return string([]rune(s)[:50]) + "…"
	}
	return s
}

// Validate checks an intake.
func (c Complaint) Validate() error {
	f := FieldErrors{}
	f.CheckEnum("source", c.Source, ComplaintSourceEnum)
	f.CheckEnum("category", c.Category, ComplaintCategoryEnum)
	f.CheckText("text", c.Text, 2000)
	f.CheckOptionalText("source_ref", c.SourceRef, 40)
	if c.Source == Source12345 && strings.TrimSpace(c.SourceRef) == "" {
		f.Add("source_ref", "12345来件请填写工单编号")
	}
	if c.ReceivedOn.IsZero() {
		f.Add("received_on", MsgRequired)
	}
	f.CheckDate("received_on", c.ReceivedOn.Time)
	return f.Err()
}

// AddWorkingDays is the end of the n-th working day after from (Shanghai), counting Monday
// to Friday only; Calendars.AddWorkingDays also knows the year's holidays.
func AddWorkingDays(from time.Time, n int) time.Time { return Calendars(nil).AddWorkingDays(from, n) }

// LookBackAfter is how long after closing a complaint is looked back at.
const LookBackAfter = 6 * 30 * 24 * time.Hour

// DefaultDeadlineDays is the working days a school has by default.
const DefaultDeadlineDays = 5

// ValidRating checks a parent's rating of the handling.
func ValidRating(r int) bool { return r >= 1 && r <= 5 }

// StartOfDay is 00:00 Shanghai of the day t falls on.
func StartOfDay(t time.Time) time.Time {
	l := t.In(Shanghai)
	return time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, Shanghai).UTC()
}
