package models

import (
	"strings"
	"time"
	"unicode"
)

// Child is a pupil on a school's roster. The name is personal information of a minor: it is
// stored encrypted (NameEnc) with a keyed hash (NameHash) for matching, and shown masked.
type Child struct {
	ID          string `bson:"_id" json:"id"`
	SchoolID    string `bson:"school_id" json:"school_id"`
	CountyID    string `bson:"county_id" json:"county_id"`
	StudentNo   string `bson:"student_no" json:"student_no"`
	NameEnc     []byte `bson:"name_enc" json:"-"`
	NameHash    string `bson:"name_hash" json:"-"`
	NameMasked  string `bson:"name_masked" json:"name"`
	Grade       int    `bson:"grade" json:"grade"`
	Class       string `bson:"class" json:"class"`
	BindCodeEnc []byte `bson:"bind_code_enc" json:"-"`
	// A guardian's mobile from the roster, encrypted, with its lookup hash and masked form: SMS
	// notices go there for a parent who has not authorised a number in the mini-program.
	PhoneEnc    []byte    `bson:"phone_enc,omitempty" json:"-"`
	PhoneHash   string    `bson:"phone_hash,omitempty" json:"-"`
	PhoneMasked string    `bson:"phone_masked,omitempty" json:"guardian_phone,omitempty"`
	CreatedAt   time.Time `bson:"created_at" json:"created_at,omitzero"`
	UpdatedAt   time.Time `bson:"updated_at" json:"updated_at,omitzero"`
}

// Guardianship binds a member (parent) to a child; a child may have several guardians.
type Guardianship struct {
	ID        string    `bson:"_id" json:"id"`
	ChildID   string    `bson:"child_id" json:"child_id"`
	MemberID  string    `bson:"member_id" json:"member_id"`
	SchoolID  string    `bson:"school_id" json:"school_id"`
	CountyID  string    `bson:"county_id" json:"county_id"`
	Relation  string    `bson:"relation,omitempty" json:"relation,omitempty"`
	CreatedAt time.Time `bson:"created_at" json:"created_at,omitzero"`
	// GuardianPhoneEnc copies the number the member authorised (encrypted as on the member),
	// so that a broadcast carries each recipient's number from the audience to the send
	// instead of reading every member. Kept current by SetPhone and Bind.
	GuardianPhoneEnc []byte `bson:"guardian_phone_enc,omitempty" json:"-"`
}

// Relations a guardian may state when binding.
var (
	RelationEnum = NewEnum("guardian_relation", "GuardianRelation", "How a guardian is related to the child, as stated when binding.",
		L("father", "父亲"), L("mother", "母亲"), L("grandparent", "祖父母/外祖父母"), L("other", "其他监护人"))
	Relations = RelationEnum.Codes()
)

// NormalizeName makes the comparison of a typed name with the roster forgiving of spaces and
// the middle dot variants used in minority names, and nothing else.
func NormalizeName(name string) string {
	var b strings.Builder
	for _, r := range strings.TrimSpace(name) {
		switch {
		case unicode.IsSpace(r):
			continue
		case r == '・' || r == '•' || r == '．' || r == '.':
			b.WriteRune('·')
		default:
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

// MaskName keeps the first and last character of a name and stars the middle: 张小明 → 张*明,
// 李雷 → 李*, a one-character name becomes *.
func MaskName(name string) string {
	r := []rune(strings.TrimSpace(name))
	switch len(r) {
	case 0:
		return ""
	case 1:
		return "*"
	case 2:
		return string(r[0]) + "*"
	}
	return string(r[0]) + strings.Repeat("*", len(r)-2) + string(r[len(r)-1])
}
