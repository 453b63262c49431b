package models

import "time"

// The places mechanism: a Pool is a number of places (an open-day session; later a summer-care
// period, a volunteer shift, a course) and SignUps take them. The pool document is the truth of
// who holds places: its Holders list and Free count change together in one atomic update, so
// places held never exceed capacity. A sign-up's Status follows the pool (store.RepairPool
// mends it if a crash left them apart), and the waiting list is the pool's waiting sign-ups in
// the order they came.

// Pool kinds.
const (
	PoolEventSession = "event_session"
)

// Pool is one set of places.
type Pool struct {
	ID       string   `bson:"_id" json:"id"`
	Kind     string   `bson:"kind" json:"kind"`
	OwnerID  string   `bson:"owner_id" json:"owner_id"` // the event (programme, course…)
	Capacity int      `bson:"capacity" json:"capacity"`
	Free     int      `bson:"free" json:"free"`
	Holders  []string `bson:"holders" json:"-"` // sign-up ids holding places
	// Waiters counts the waiting sign-ups; it decides whether a newcomer may take free places
	// directly (nobody waiting) or must queue, and the reconciler recounts it.
	Waiters   int       `bson:"waiters" json:"waiting"`
	Closed    bool      `bson:"closed" json:"closed"` // cancelled: takes no one
	StartsAt  time.Time `bson:"starts_at" json:"starts_at,omitzero"`
	EndsAt    time.Time `bson:"ends_at" json:"ends_at,omitzero"`
	Reminded  bool      `bson:"reminded" json:"-"` // the day-before reminder went out
	UpdatedAt time.Time `bson:"updated_at" json:"updated_at,omitzero"`
}

// Held is the number of places taken.
func (p Pool) Held() int { return p.Capacity - p.Free }

// Sign-up statuses.
const (
	SignUpWaiting   = "waiting"
	SignUpConfirmed = "confirmed"
	SignUpCancelled = "cancelled"
)

// SignUpStatusEnum labels the sign-up statuses; a summer-care enrolment is a sign-up and has
// the same ones (EnrolmentStatusEnum).
var (
	SignUpStatusEnum = NewEnum("signup_status", "SignUpStatus", "Where a sign-up for an event session stands.",
		L(SignUpWaiting, "候补中"), L(SignUpConfirmed, "报名成功"), L(SignUpCancelled, "已取消"))
	EnrolmentStatusEnum = NewEnum("enrolment_status", "EnrolmentStatus", "Where a summer-care enrolment for a period stands.",
		L(SignUpWaiting, "候补中"), L(SignUpConfirmed, "已报名"), L(SignUpCancelled, "已取消"))
)

// SignUp is one child's sign-up for one pool of an owner (event): one active sign-up per child
// per owner, enforced by a unique index on (owner, child, active) where active is "" until the
// sign-up is cancelled.
type SignUp struct {
	ID          string    `bson:"_id" json:"id"`
	Kind        string    `bson:"kind,omitempty" json:"kind,omitempty"`                 // SignUpCare for summer care; events: empty
	ProgrammeID string    `bson:"programme_id,omitempty" json:"programme_id,omitempty"` // summer care: the programme (the owner is the period)
	PoolID      string    `bson:"pool_id" json:"session_id"`
	OwnerID     string    `bson:"owner_id" json:"event_id"`
	ChildID     string    `bson:"child_id" json:"child_id"`
	MemberID    string    `bson:"member_id" json:"-"`
	SchoolID    string    `bson:"school_id" json:"school_id"`
	CountyID    string    `bson:"county_id" json:"county_id"`
	Companions  int       `bson:"companions" json:"companions"`
	Places      int       `bson:"places" json:"places"` // 1 + companions
	Status      string    `bson:"status" json:"status"`
	Active      string    `bson:"active" json:"-"`
	ChildName   string    `bson:"child_name" json:"child_name"` // masked
	Grade       int       `bson:"grade" json:"grade"`
	Class       string    `bson:"class" json:"class"`
	CheckedInAt time.Time `bson:"checked_in_at,omitempty" json:"checked_in_at,omitzero"`
	// CheckinKey is an open-day sign-up's short check-in code with its event (CheckinKey,
	// CheckinCode); only the family is shown the code.
	CheckinKey  string    `bson:"checkin_key,omitempty" json:"-"`
	ConfirmedAt time.Time `bson:"confirmed_at,omitempty" json:"confirmed_at,omitzero"`
	CancelledAt time.Time `bson:"cancelled_at,omitempty" json:"cancelled_at,omitzero"`
	CreatedAt   time.Time `bson:"created_at" json:"created_at,omitzero"`
	UpdatedAt   time.Time `bson:"updated_at" json:"updated_at,omitzero"`
}
