package models

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Volunteer types.
const (
	VolunteerTeacher      = "teacher"         // in-service teacher: hours count toward evaluations
	VolunteerRetired      = "retired_teacher" // retired teacher
	VolunteerStudent      = "student"         // college student
	VolunteerProfessional = "professional"    // qualified professional
	VolunteerParent       = "parent"
)

// VolunteerTypes lists the types; VolunteerTypeNames are what staff and volunteers read.
var (
	VolunteerTypeEnum = NewEnum("volunteer_type", "VolunteerType", "A volunteer's type; a shift lists the types it accepts.",
		L(VolunteerTeacher, "在职教师"), L(VolunteerRetired, "退休教师"), L(VolunteerStudent, "大学生"),
		L(VolunteerProfessional, "专业人士"), L(VolunteerParent, "家长"))
	VolunteerTypes     = VolunteerTypeEnum.Codes()
	VolunteerTypeNames = VolunteerTypeEnum.Map()
)

// Credential kinds a shift may require.
var (
	CredentialKindEnum = NewEnum("credential_kind", "CredentialKind", "A qualification a volunteer declares and a shift may require.",
		L("teacher_qualification", "教师资格证"), L("health_certificate", "健康证"),
		L("first_aid", "急救证书"), L("coach", "教练员证书"), L("other", "其他证书"))
	CredentialKinds     = CredentialKindEnum.Codes()
	CredentialKindNames = CredentialKindEnum.Map()
)

// Credential statuses: staff verify what a volunteer declares.
const (
	CredentialPending  = "pending"
	CredentialVerified = "verified"
	CredentialRejected = "rejected"
)

// CredentialStatusEnum labels the credential statuses.
var CredentialStatusEnum = NewEnum("credential_status", "CredentialStatus", "Whether staff have checked a declared credential.",
	L(CredentialPending, "待审核"), L(CredentialVerified, "已认证"), L(CredentialRejected, "未通过"))

// Credential is a qualification a volunteer declares and staff verify.
type Credential struct {
	ID         string    `bson:"id" json:"id"`
	Kind       string    `bson:"kind" json:"kind"`
	Number     string    `bson:"number" json:"number"`
	Expires    Day       `bson:"expires" json:"expires"` // the last day it is valid
	Status     string    `bson:"status" json:"status"`
	Note       string    `bson:"note,omitempty" json:"note,omitempty"` // why rejected
	VerifiedBy string    `bson:"verified_by,omitempty" json:"-"`
	VerifiedAt time.Time `bson:"verified_at,omitempty" json:"verified_at,omitzero"`
}

// Hold is a shift a volunteer has applied for or holds; holds never overlap in time, which one
// conditional update of the profile (on its version) keeps true under concurrency.
type Hold struct {
	ApplicationID string    `bson:"application_id"`
	ShiftID       string    `bson:"shift_id"`
	StartsAt      time.Time `bson:"starts_at"`
	EndsAt        time.Time `bson:"ends_at"`
	// HeldAt is when the hold was recorded; its application is inserted right after.
	HeldAt time.Time `bson:"held_at"`
}

// Volunteer is a mini-program member's volunteer profile (its id is the member's).
type Volunteer struct {
	ID           string       `bson:"_id" json:"id"`
	Name         string       `bson:"name" json:"name"`
	PhoneEnc     []byte       `bson:"phone_enc" json:"-"`
	PhoneHash    string       `bson:"phone_hash" json:"-"`
	PhoneMasked  string       `bson:"phone_masked" json:"phone"`
	Type         string       `bson:"type" json:"type"`
	Organisation string       `bson:"organisation" json:"organisation"`
	SchoolID     string       `bson:"school_id,omitempty" json:"school_id,omitempty"` // an in-service teacher's own school
	CountyID     string       `bson:"county_id" json:"county_id"`                     // where they volunteer
	Skills       []string     `bson:"skills" json:"skills"`
	Credentials  []Credential `bson:"credentials" json:"credentials"`
	Holds        []Hold       `bson:"holds" json:"-"`
	Version      int          `bson:"version" json:"-"`
	CreatedAt    time.Time    `bson:"created_at" json:"created_at,omitzero"`
	UpdatedAt    time.Time    `bson:"updated_at" json:"updated_at,omitzero"`
}

var mobileRe = regexp.MustCompile(`^1[3-9][0-9]{9}$`)

// NormalizeMobile turns a mainland mobile number into +86… form, forgiving the spaces and dashes
// of a spreadsheet; ok is false when it is not one.
func NormalizeMobile(s string) (string, bool) {
	s = strings.NewReplacer(" ", "", "-", "", "\u00a0", "").Replace(strings.TrimSpace(s))
	s = strings.TrimPrefix(s, "+86")
	if !mobileRe.MatchString(s) {
		return "", false
	}
	return "+86" + s, true
}

// ValidateVolunteer checks a profile as the volunteer gives it (phone in plain text).
func (v Volunteer) Validate(phone string) error {
	f := FieldErrors{}
	f.CheckText("name", v.Name, 20)
	if _, ok := NormalizeMobile(phone); !ok {
		f.Add("phone", "请填写11位手机号码")
	}
	f.CheckEnum("type", v.Type, VolunteerTypeEnum)
	f.CheckText("organisation", v.Organisation, 60)
	if v.CountyID == "" {
		f.Add("county_id", MsgRequired)
	}
	if v.Type == VolunteerTeacher && v.SchoolID == "" {
		f.Add("school_id", "在职教师请选择任职学校")
	}
	if len(v.Skills) > 10 {
		f.Add("skills", "最多10项特长")
	}
	for i, s := range v.Skills {
		f.CheckText(fmt.Sprintf("skills[%d]", i), s, 20)
	}
	if len(v.Credentials) > 10 {
		f.Add("credentials", "最多10项证书")
	}
	for i, c := range v.Credentials {
		k := fmt.Sprintf("credentials[%d]", i)
		f.CheckEnum(k+".kind", c.Kind, CredentialKindEnum)
		f.CheckText(k+".number", c.Number, 40)
		// A credential may be valid for decades (long-term), so only the lower bound applies.
		if c.Expires.IsZero() {
			f.Add(k+".expires", "请填写有效期至，如 2028-06-30")
		} else if c.Expires.Year() < 2000 {
			f.Add(k+".expires", "日期不能早于2000年")
		}
	}
	return f.Err()
}

// ValidCredential reports whether the volunteer holds a verified credential of kind that is
// still valid at the end of a shift.
func (v Volunteer) ValidCredential(kind string, until time.Time) bool {
	for _, c := range v.Credentials {
		if c.Kind == kind && c.Status == CredentialVerified && !until.After(c.Expires.Next()) {
			return true
		}
	}
	return false
}

// Overlaps reports whether [a0, a1) and [b0, b1) share any time.
func Overlaps(a0, a1, b0, b1 time.Time) bool { return a0.Before(b1) && b0.Before(a1) }

// Credential returns the credential with id, or nil.
func (v *Volunteer) Credential(id string) *Credential {
	for i := range v.Credentials {
		if v.Credentials[i].ID == id {
			return &v.Credentials[i]
		}
	}
	return nil
}

// MergeCredentials keeps the verification of credentials that did not change (same id, kind,
// number and expiry); new or changed ones wait for staff again.
func MergeCredentials(old, updated []Credential) []Credential {
	out := make([]Credential, len(updated))
	for i, c := range updated {
		c.Status, c.Note, c.VerifiedBy, c.VerifiedAt = CredentialPending, "", "", time.Time{}
		if j := slices.IndexFunc(old, func(o Credential) bool { return o.ID == c.ID && c.ID != "" }); j >= 0 {
			o := old[j]
			if o.Kind == c.Kind && o.Number == c.Number && o.Expires.Equal(c.Expires.Time) {
				c = o
			}
		}
		out[i] = c
	}
	return out
}
