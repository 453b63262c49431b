package models

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Event statuses.
const (
	EventDraft     = "draft"
	EventPublished = "published"
	EventCancelled = "cancelled"
)

// EventStatusEnum labels the event statuses; a summer-care programme has the same ones
// (ProgrammeStatusEnum).
var (
	EventStatusEnum = NewEnum("event_status", "EventStatus", "Where an event is: draft, published (families may sign up) or cancelled.",
		L(EventDraft, "草稿"), L(EventPublished, "已发布"), L(EventCancelled, "已取消"))
	ProgrammeStatusEnum = NewEnum("programme_status", "ProgrammeStatus", "Where a summer-care programme is: draft, published (families may enrol) or cancelled.",
		EventStatusEnum.Labels...)
)

// EventSession is one time slot of an event; its places are a Pool with the same id.
type EventSession struct {
	ID            string    `bson:"id" json:"id"`
	Label         string    `bson:"label" json:"label"`
	StartsAt      time.Time `bson:"starts_at" json:"starts_at,omitzero"`
	EndsAt        time.Time `bson:"ends_at" json:"ends_at,omitzero"`
	Capacity      int       `bson:"capacity" json:"capacity"` // when created; the pool has the current one
	MaxCompanions int       `bson:"max_companions" json:"max_companions"`
	Cancelled     bool      `bson:"-" json:"cancelled"` // from the session's pool (closed)
}

// Event is a school's (or a county's) open day or similar event with limited places.
type Event struct {
	ID             string         `bson:"_id" json:"id"`
	CountyID       string         `bson:"county_id,omitempty" json:"county_id,omitempty"`
	SchoolID       string         `bson:"school_id,omitempty" json:"school_id,omitempty"`
	Sender         string         `bson:"sender" json:"sender"`
	AuthorID       string         `bson:"author_id" json:"-"`
	Title          string         `bson:"title" json:"title"`
	Description    string         `bson:"description" json:"description"`
	Place          string         `bson:"place" json:"place"`
	Audience       Audience       `bson:"audience" json:"audience"`
	SignupOpens    time.Time      `bson:"signup_opens" json:"signup_opens,omitzero"`
	SignupCloses   time.Time      `bson:"signup_closes" json:"signup_closes,omitzero"`
	CancelDeadline time.Time      `bson:"cancel_deadline" json:"cancel_deadline,omitzero"`
	Sessions       []EventSession `bson:"sessions" json:"sessions"`
	Status         string         `bson:"status" json:"status"`
	NoticeID       string         `bson:"notice_id,omitempty" json:"notice_id,omitempty"`
	CreatedAt      time.Time      `bson:"created_at" json:"created_at,omitzero"`
	UpdatedAt      time.Time      `bson:"updated_at" json:"updated_at,omitzero"`
}

// Limits of an event.
const (
	MaxEventSessions = 20
	MaxCapacity      = 5000
	MaxCompanions    = 4
)

// Validate checks a new event.
func (e Event) Validate() error {
	f := FieldErrors{}
	f.CheckText("title", e.Title, 60)
	f.CheckOptionalText("description", e.Description, 2000)
	f.CheckText("place", e.Place, 100)
	e.Audience.check(f, AudienceScope, AudienceSchools, AudienceGrades, AudienceClasses)
	switch {
	case e.SignupOpens.IsZero():
		f.Add("signup_opens", MsgRequired)
	case e.SignupCloses.IsZero():
		f.Add("signup_closes", MsgRequired)
	case !e.SignupCloses.After(e.SignupOpens):
		f.Add("signup_closes", "报名截止时间应晚于开始时间")
	}
	f.CheckDate("signup_opens", e.SignupOpens)
	f.CheckDate("signup_closes", e.SignupCloses)
	f.CheckDate("cancel_deadline", e.CancelDeadline)
	if !e.CancelDeadline.IsZero() && e.CancelDeadline.Before(e.SignupOpens) {
		f.Add("cancel_deadline", "取消截止时间不能早于报名开始")
	}
	if len(e.Sessions) == 0 || len(e.Sessions) > MaxEventSessions {
		f.Add("sessions", fmt.Sprintf("应有1–%d个场次", MaxEventSessions))
	}
	for i, s := range e.Sessions {
		p := fmt.Sprintf("sessions[%d]", i)
		f.CheckText(p+".label", s.Label, 40)
		switch {
		case s.StartsAt.IsZero() || s.EndsAt.IsZero():
			f.Add(p+".starts_at", "场次须有开始和结束时间")
		case !s.EndsAt.After(s.StartsAt):
			f.Add(p+".ends_at", "结束时间应晚于开始时间")
		case s.StartsAt.Before(e.SignupCloses):
			f.Add(p+".starts_at", "场次应在报名截止之后开始")
		}
		f.CheckDate(p+".starts_at", s.StartsAt)
		f.CheckDate(p+".ends_at", s.EndsAt)
		if s.Capacity < 1 || s.Capacity > MaxCapacity {
			f.Add(p+".capacity", fmt.Sprintf("名额应为1–%d", MaxCapacity))
		}
		if s.MaxCompanions < 0 || s.MaxCompanions > MaxCompanions {
			f.Add(p+".max_companions", fmt.Sprintf("随行家长应为0–%d人", MaxCompanions))
		}
	}
	return f.Err()
}

// CheckinOpensBefore is how long before its session starts a family may check in.
const CheckinOpensBefore = 2 * time.Hour

// CheckinClosed says why a session does not take check-ins at now ("" when it does): from
// CheckinOpensBefore before it starts until it ends.
func (s EventSession) CheckinClosed(now time.Time) string {
	opens := s.StartsAt.Add(-CheckinOpensBefore)
	switch {
	case now.Before(opens):
		return "签到尚未开始：" + s.Label + "于" + s.StartsAt.In(Shanghai).Format("1月2日 15:04") + "开始，开始前2小时起可签到"
	case !now.Before(s.EndsAt):
		return s.Label + "已结束，不能再签到"
	}
	return ""
}

// Session returns the session with id, or nil.
func (e Event) Session(id string) *EventSession {
	for i := range e.Sessions {
		if e.Sessions[i].ID == id {
			return &e.Sessions[i]
		}
	}
	return nil
}

// Ends is when the last session ends; check-in codes expire after it.
func (e Event) Ends() time.Time {
	var end time.Time
	for _, s := range e.Sessions {
		if s.EndsAt.After(end) {
			end = s.EndsAt
		}
	}
	return end
}

// Reaches reports whether a pupil is in the event's audience (as for surveys).
func (e Event) Reaches(schoolID, countyID string, grade int, class string) bool {
	return Survey{SchoolID: e.SchoolID, CountyID: e.CountyID, Audience: e.Audience}.Reaches(schoolID, countyID, grade, class)
}

// CanSignUp says why a family cannot sign up now ("" when it can).
func (e Event) CanSignUp(now time.Time, s *EventSession, companions int) string {
	switch {
	case e.Status != EventPublished:
		return "活动未开放报名"
	case now.Before(e.SignupOpens):
		return "报名尚未开始，开始时间：" + e.SignupOpens.In(Shanghai).Format("1月2日 15:04")
	case !now.Before(e.SignupCloses):
		return "报名已截止"
	case s == nil:
		return "没有这个场次"
	case s.Cancelled:
		return "该场次已取消"
	case companions < 0 || companions > s.MaxCompanions:
		return fmt.Sprintf("该场次每个家庭最多可带%d位随行家长", s.MaxCompanions)
	}
	return ""
}

// CanCancel says why a family can no longer cancel ("" when it can).
func (e Event) CanCancel(now time.Time) string {
	deadline := e.CancelDeadline
	if deadline.IsZero() {
		deadline = e.SignupCloses
	}
	if !now.Before(deadline) {
		return "已过取消截止时间，如需取消请联系学校"
	}
	return ""
}

// Check-in tokens: "v1.<sign-up>.<event>.<school>.<expiry unix>.<signature>", signed with an
// HMAC-SHA256 key of their own; a token works once, for its own event and school, until expiry.
var (
	ErrTokenInvalid = errors.New("check-in code is not valid")
	ErrTokenExpired = errors.New("check-in code has expired")
)

// CheckinToken is the QR code content of a confirmed sign-up (an open day: EventID is the event)
// or of an approved volunteer application (Kind TokenShift: SignUpID is the application and
// EventID the shift). The two kinds carry different prefixes, so one is never taken for the other.
type CheckinToken struct {
	Kind                        string // "" for events, TokenShift
	SignUpID, EventID, SchoolID string
	Expires                     time.Time
}

// TokenShift is the kind of a volunteer's attendance code.
const TokenShift = "shift"

var tokenPrefixes = map[string]string{"": "v1", TokenShift: "s1"}

// Sign returns the token text.
func (t CheckinToken) Sign(key []byte) string {
	body := strings.Join([]string{tokenPrefixes[t.Kind], t.SignUpID, t.EventID, t.SchoolID, strconv.FormatInt(t.Expires.Unix(), 10)}, ".")
	return body + "." + tokenMAC(key, body)
}

func tokenMAC(key []byte, body string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(body))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// ParseCheckinToken verifies a token's signature and expiry.
func ParseCheckinToken(key []byte, token string, now time.Time) (CheckinToken, error) {
	parts := strings.Split(strings.TrimSpace(token), ".")
	kind := ""
	switch {
	case len(parts) != 6:
		return CheckinToken{}, ErrTokenInvalid
	case parts[0] == tokenPrefixes[TokenShift]:
		kind = TokenShift
	case parts[0] != tokenPrefixes[""]:
		return CheckinToken{}, ErrTokenInvalid
	}
	body := strings.Join(parts[:5], ".")
	if !hmac.Equal([]byte(parts[5]), []byte(tokenMAC(key, body))) {
		return CheckinToken{}, ErrTokenInvalid
	}
	exp, err := strconv.ParseInt(parts[4], 10, 64)
	if err != nil {
		return CheckinToken{}, ErrTokenInvalid
	}
	t := CheckinToken{Kind: kind, SignUpID: parts[1], EventID: parts[2], SchoolID: parts[3], Expires: time.Unix(exp, 0).UTC()}
	if !now.Before(t.Expires) {
		return t, ErrTokenExpired
	}
	return t, nil
}
