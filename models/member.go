package models

import "time"

// Member is a mini-program user (parent or volunteer), known by the WeChat openid.
type Member struct {
	ID       string `bson:"_id" json:"id"`
	OpenID   string `bson:"openid" json:"-"`
	UnionID  string `bson:"unionid,omitempty" json:"-"`
	Nickname string `bson:"nickname,omitempty" json:"nickname,omitempty"`
	// SessionKeyEnc is WeChat's session_key, encrypted; it never leaves the server.
	SessionKeyEnc []byte `bson:"session_key_enc,omitempty" json:"-"`
	// PhoneEnc is the number the member authorised in the mini-program, encrypted; PhoneHash
	// finds a member by number without decrypting.
	PhoneEnc    []byte    `bson:"phone_enc,omitempty" json:"-"`
	PhoneHash   string    `bson:"phone_hash,omitempty" json:"-"`
	CreatedAt   time.Time `bson:"created_at" json:"created_at,omitzero"`
	LastLoginAt time.Time `bson:"last_login_at" json:"last_login_at,omitzero"`
}

// Session kinds.
const (
	SessionMember = "member"
	SessionStaff  = "staff"
)

// Session is an issued API token. Only a keyed hash of the token (HMAC-SHA-256, store.SessionKey)
// is stored, so a database dump does not hand out live sessions.
type Session struct {
	ID        string    `bson:"_id"` // the token's keyed hash (store.SessionKey), never the token
	Kind      string    `bson:"kind"`
	SubjectID string    `bson:"subject_id"`
	CreatedAt time.Time `bson:"created_at"`
	ExpiresAt time.Time `bson:"expires_at"`
}

// AuditEntry records one staff write: who, what, when, from where. Entries are only appended.
type AuditEntry struct {
	ID        string    `bson:"_id" json:"id"`
	At        time.Time `bson:"at" json:"at,omitzero"`
	StaffID   string    `bson:"staff_id" json:"staff_id"`
	Username  string    `bson:"username" json:"username"`
	Action    string    `bson:"action" json:"action"` // e.g. "school.create"
	Target    string    `bson:"target" json:"target"` // id of the thing acted on
	CountyID  string    `bson:"county_id,omitempty" json:"county_id,omitempty"`
	SchoolID  string    `bson:"school_id,omitempty" json:"school_id,omitempty"`
	IP        string    `bson:"ip" json:"ip"`
	RequestID string    `bson:"request_id" json:"request_id"`
	Detail    string    `bson:"detail,omitempty" json:"detail,omitempty"`
}
