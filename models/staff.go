package models

import (
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Staff is an administrator account of the city, a county or a school.
type Staff struct {
	ID           string    `bson:"_id" json:"id"`
	Username     string    `bson:"username" json:"username"`
	Name         string    `bson:"name" json:"name"`
	PasswordHash string    `bson:"password_hash" json:"-"`
	Role         string    `bson:"role" json:"role"`
	CountyID     string    `bson:"county_id,omitempty" json:"county_id,omitempty"`
	SchoolID     string    `bson:"school_id,omitempty" json:"school_id,omitempty"`
	Disabled     bool      `bson:"disabled" json:"disabled"`
	FailedLogins int       `bson:"failed_logins" json:"-"`
	LockedUntil  time.Time `bson:"locked_until,omitempty" json:"locked_until,omitzero"`
	CreatedAt    time.Time `bson:"created_at" json:"created_at,omitzero"`
	UpdatedAt    time.Time `bson:"updated_at" json:"updated_at,omitzero"`
}

// Scope is the part of the organisation the account may act on.
func (s Staff) Scope() Scope {
	return Scope{Role: s.Role, CountyID: s.CountyID, SchoolID: s.SchoolID}
}

// Locked reports whether repeated failures have locked the account at now.
func (s Staff) Locked(now time.Time) bool { return now.Before(s.LockedUntil) }

var username = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]{2,31}$`)

// ValidateStaff checks a new or changed account. password may be empty when it is not changing.
func ValidateStaff(s Staff, password string, passwordRequired bool) error {
	f := FieldErrors{}
	if !username.MatchString(s.Username) {
		f.Add("username", "用户名应为3–32位小写字母、数字或 _ . -")
	}
	f.CheckText("name", s.Name, 40)
	f.CheckEnum("role", s.Role, RoleEnum)
	switch s.Role {
	case RoleCounty:
		if s.CountyID == "" {
			f.Add("county_id", MsgRequired)
		}
	case RoleSchool:
		if s.SchoolID == "" {
			f.Add("school_id", MsgRequired)
		}
	}
	if password != "" || passwordRequired {
		if msg := PasswordProblem(password); msg != "" {
			f.Add("password", msg)
		}
	}
	return f.Err()
}

// PasswordRule is the staff password rule in words, for start-up errors (KEHOU_ADMIN_PASSWORD).
const PasswordRule = "at least 10 characters, with letters and digits (not only spaces or tabs)"

// PasswordProblem explains why a password is too weak, or returns "". A staff password has at
// least 10 characters and both letters and digits, so one of spaces and tabs only is refused;
// the demo accounts' kehou-demo-2026 passes.
func PasswordProblem(p string) string {
	n := utf8.RuneCountInString(p)
	var letter, digit bool
	for _, r := range p {
		letter = letter || unicode.IsLetter(r)
		digit = digit || unicode.IsDigit(r)
	}
	switch {
	case p == "":
		return MsgRequired
	case strings.TrimSpace(p) == "":
		return "密码不能只有空格"
	case n < 10:
		return "密码至少10位"
	case n > 128:
		return MsgTooLong
	case !letter || !digit:
		return "密码须同时包含字母和数字"
	}
	return ""
}
