package models

import (
	"fmt"
	"slices"
	"time"
)

// Shift is a stint of volunteering in a summer-care programme: its places (the number of
// volunteers needed) are a Pool of kind PoolShift with the same id, and an approval takes one.
type Shift struct {
	ID          string    `bson:"_id" json:"id"`
	ProgrammeID string    `bson:"programme_id" json:"programme_id"`
	SchoolID    string    `bson:"school_id" json:"school_id"`
	CountyID    string    `bson:"county_id" json:"county_id"`
	Sender      string    `bson:"sender" json:"school_name"`
	Role        string    `bson:"role" json:"role"` // e.g. 作业辅导
	Description string    `bson:"description" json:"description"`
	StartsAt    time.Time `bson:"starts_at" json:"starts_at,omitzero"`
	EndsAt      time.Time `bson:"ends_at" json:"ends_at,omitzero"`
	Needed      int       `bson:"needed" json:"needed"`              // when created; the pool has the current number
	Types       []string  `bson:"types" json:"types"`                // volunteer types accepted; empty: all
	Credentials []string  `bson:"credentials" json:"credentials"`    // credential kinds required
	Deadline    time.Time `bson:"deadline" json:"deadline,omitzero"` // apply and withdraw until
	Cancelled   bool      `bson:"cancelled" json:"cancelled"`        // no one works it
	ShortAlert  bool      `bson:"short_alerted" json:"-"`            // the day-before staff alert went out
	Reminded    bool      `bson:"reminded" json:"-"`                 // the day-before volunteer reminder went out
	Approved    int       `bson:"-" json:"approved"`                 // from the pool
	CreatedAt   time.Time `bson:"created_at" json:"created_at,omitzero"`
}

// MaxShiftHours bounds one shift.
const MaxShiftHours = 12

// Validate checks a new shift of programme p.
func (s Shift) Validate(p Programme) error {
	f := FieldErrors{}
	f.CheckText("role", s.Role, 30)
	f.CheckOptionalText("description", s.Description, 500)
	f.CheckDate("starts_at", s.StartsAt)
	f.CheckDate("ends_at", s.EndsAt)
	switch {
	case s.StartsAt.IsZero() || s.EndsAt.IsZero():
		f.Add("starts_at", "须有开始和结束时间")
	case !s.EndsAt.After(s.StartsAt):
		f.Add("ends_at", "结束时间应晚于开始时间")
	case s.EndsAt.Sub(s.StartsAt) > MaxShiftHours*time.Hour:
		f.Add("ends_at", fmt.Sprintf("一个班次最长%d小时", MaxShiftHours))
	case s.Deadline.After(s.EndsAt):
		// Usually a day before the start; a same-day need may take volunteers until it ends.
		f.Add("deadline", "报名截止应不晚于班次结束")
	}
	if s.Needed < 1 || s.Needed > 200 {
		f.Add("needed", "需要人数应为1–200")
	}
	for _, t := range s.Types {
		if !VolunteerTypeEnum.Has(t) {
			f.Add("types", "不支持的志愿者类型："+t)
		}
	}
	for _, c := range s.Credentials {
		if !CredentialKindEnum.Has(c) {
			f.Add("credentials", "不支持的证书类型："+c)
		}
	}
	if len(p.Periods) > 0 && !s.StartsAt.IsZero() {
		first, last := p.Periods[0].StartsAt.Time, p.Ends()
		for _, per := range p.Periods {
			if per.StartsAt.Before(first) {
				first = per.StartsAt.Time
			}
		}
		if s.StartsAt.Before(first) || s.EndsAt.After(last) {
			f.Add("starts_at", "班次应在托管期间内")
		}
	}
	return f.Err()
}

// Refuses says why a volunteer may not apply for the shift ("" when they may): the type it
// accepts and the credentials it needs, valid until the shift ends.
func (s Shift) Refuses(v Volunteer) string {
	if len(s.Types) > 0 && !slices.Contains(s.Types, v.Type) {
		return "该班次不招募" + VolunteerTypeNames[v.Type] + "志愿者"
	}
	for _, c := range s.Credentials {
		if !v.ValidCredential(c, s.EndsAt) {
			return "该班次需要经审核且在有效期内的" + CredentialKindNames[c]
		}
	}
	return ""
}

// Application statuses.
const (
	ApplicationPending   = "pending"
	ApplicationApproved  = "approved"
	ApplicationRejected  = "rejected"
	ApplicationWithdrawn = "withdrawn"
)

// ApplicationStatusEnum labels the application statuses.
var ApplicationStatusEnum = NewEnum("application_status", "ApplicationStatus", "Where a volunteer's application for a shift stands.",
	L(ApplicationPending, "待审核"), L(ApplicationApproved, "已录用"), L(ApplicationRejected, "未录用"), L(ApplicationWithdrawn, "已撤回"))

// Attendance actions staff record for a volunteer.
const (
	AttendanceCheckIn  = "check_in"
	AttendanceCheckOut = "check_out"
)

// AttendanceActionEnum labels the attendance actions.
var AttendanceActionEnum = NewEnum("attendance_action", "AttendanceAction", "What a scan or a record of a volunteer's attendance does.",
	L(AttendanceCheckIn, "签到"), L(AttendanceCheckOut, "签退"))

// HoursCorrection records a staff member's change to the hours of a shift; every one is kept.
type HoursCorrection struct {
	At      time.Time `bson:"at" json:"at,omitzero"`
	StaffID string    `bson:"staff_id" json:"staff_id"`
	From    int       `bson:"from" json:"from_minutes"`
	To      int       `bson:"to" json:"to_minutes"`
	Reason  string    `bson:"reason" json:"reason"`
}

// Application is a volunteer's application for a shift and, once approved, its attendance
// and hours. One active application per volunteer per shift (unique on shift, volunteer and
// Active, which is "" until it is rejected or withdrawn).
type Application struct {
	ID            string            `bson:"_id" json:"id"`
	ShiftID       string            `bson:"shift_id" json:"shift_id"`
	ProgrammeID   string            `bson:"programme_id" json:"programme_id"`
	SchoolID      string            `bson:"school_id" json:"school_id"`
	CountyID      string            `bson:"county_id" json:"county_id"`
	VolunteerID   string            `bson:"volunteer_id" json:"volunteer_id"`
	VolunteerName string            `bson:"volunteer_name" json:"volunteer_name"`
	VolunteerType string            `bson:"volunteer_type" json:"volunteer_type"`
	Role          string            `bson:"role" json:"role"`
	StartsAt      time.Time         `bson:"starts_at" json:"starts_at,omitzero"`
	EndsAt        time.Time         `bson:"ends_at" json:"ends_at,omitzero"`
	Year          int               `bson:"year" json:"year"` // of the shift, in Shanghai
	Status        string            `bson:"status" json:"status"`
	Active        string            `bson:"active" json:"-"`
	Reason        string            `bson:"reason,omitempty" json:"reason,omitempty"` // why rejected
	DecidedBy     string            `bson:"decided_by,omitempty" json:"-"`
	DecidedAt     time.Time         `bson:"decided_at,omitempty" json:"decided_at,omitzero"`
	CheckedInAt   time.Time         `bson:"checked_in_at,omitempty" json:"checked_in_at,omitzero"`
	CheckedOutAt  time.Time         `bson:"checked_out_at,omitempty" json:"checked_out_at,omitzero"`
	Minutes       int               `bson:"minutes" json:"minutes"` // credited; 0 until checked out
	Corrections   []HoursCorrection `bson:"corrections,omitempty" json:"corrections,omitempty"`
	CreatedAt     time.Time         `bson:"created_at" json:"created_at,omitzero"`
	UpdatedAt     time.Time         `bson:"updated_at" json:"updated_at,omitzero"`
}

// CreditedMinutes is the time a volunteer is credited for a shift: the part of [in, out] that
// falls within the shift, in whole minutes (arriving early or staying late is not credited;
// staff correct the hours when it should be).
func CreditedMinutes(start, end, in, out time.Time) int {
	from, to := in, out
	if start.After(from) {
		from = start
	}
	if end.Before(to) {
		to = end
	}
	if !to.After(from) {
		return 0
	}
	return int(to.Sub(from) / time.Minute)
}

// Hours renders minutes as hours with up to two decimals, as staff and volunteers read them.
func Hours(minutes int) string {
	s := fmt.Sprintf("%.2f", float64(minutes)/60)
	for s[len(s)-1] == '0' {
		s = s[:len(s)-1]
	}
	if s[len(s)-1] == '.' {
		s = s[:len(s)-1]
	}
	return s
}
