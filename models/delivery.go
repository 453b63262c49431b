package models

import "time"

// Delivery statuses. A delivery goes queued → sending → sent | failed | skipped; a delivery
// whose send was under way when its worker died ends as unknown: it may or may not have reached
// the provider, and resending blindly could send it twice.
const (
	DeliveryQueued  = "queued"
	DeliverySending = "sending"
	DeliverySent    = "sent"
	DeliveryFailed  = "failed"
	DeliverySkipped = "skipped"
	DeliveryUnknown = "unknown"
)

// Delivery is one notice to one recipient on one channel. Its id is derived from the three, so
// a retried fan-out can never create a second one.
type Delivery struct {
	ID         string    `bson:"_id" json:"id"`
	NoticeID   string    `bson:"notice_id" json:"notice_id"`
	MemberID   string    `bson:"member_id" json:"member_id"`
	Channel    string    `bson:"channel" json:"channel"`
	Batch      string    `bson:"batch" json:"-"` // the send task that carries it
	Status     string    `bson:"status" json:"status"`
	Reason     string    `bson:"reason,omitempty" json:"reason,omitempty"`
	Code       string    `bson:"code,omitempty" json:"code,omitempty"`
	Attempts   int       `bson:"attempts" json:"attempts"`
	Claim      string    `bson:"claim,omitempty" json:"-"`
	ClaimTask  string    `bson:"claim_task,omitempty" json:"-"`
	ProviderID string    `bson:"provider_id,omitempty" json:"-"`
	CreatedAt  time.Time `bson:"created_at" json:"created_at"`
	UpdatedAt  time.Time `bson:"updated_at" json:"updated_at"`
	SentAt     time.Time `bson:"sent_at,omitempty" json:"sent_at,omitzero"`
	NotBefore  time.Time `bson:"not_before,omitempty" json:"-"`
}

// DeliveryID is the deterministic id of (notice, member, channel).
func DeliveryID(noticeID, memberID, channel string) string {
	return noticeID + ":" + memberID + ":" + channel
}

// Receipt is a notice in one recipient's inbox, with read and confirmation times.
type Receipt struct {
	ID          string    `bson:"_id" json:"id"` // notice id + ":" + member id
	NoticeID    string    `bson:"notice_id" json:"notice_id"`
	MemberID    string    `bson:"member_id" json:"member_id"`
	SendAt      time.Time `bson:"send_at" json:"send_at"`
	ReadAt      time.Time `bson:"read_at,omitempty" json:"read_at,omitzero"`
	ConfirmedAt time.Time `bson:"confirmed_at,omitempty" json:"confirmed_at,omitzero"`
}

// Consent is what a member has allowed for one subscribe-message template: a number of one-time
// sends (each accept in the mini-program is one), or a long-term subscription.
type Consent struct {
	ID         string    `bson:"_id" json:"-"` // member id + ":" + template id
	MemberID   string    `bson:"member_id" json:"-"`
	TemplateID string    `bson:"template_id" json:"template_id"`
	Credits    int       `bson:"credits" json:"credits"`
	LongTerm   bool      `bson:"long_term" json:"long_term"`
	UpdatedAt  time.Time `bson:"updated_at" json:"updated_at"`
}

// MaxConsentCredits bounds stored one-time credits; WeChat itself keeps a similar cap.
const MaxConsentCredits = 50

// SendBatch is one send task's share of a broadcast: the members whose deliveries on one
// channel it carries. Deliveries join a batch only when they are created in it, so a batch
// never holds a delivery another batch also sends.
type SendBatch struct {
	ID        string    `bson:"_id"`
	NoticeID  string    `bson:"notice_id"`
	Channel   string    `bson:"channel"`
	Members   []string  `bson:"members"`
	Attempts  int       `bson:"attempts"`             // claims made; 0 means every delivery is as created
	NotBefore time.Time `bson:"not_before,omitempty"` // deferred (quiet hours): the reconciler waits
	CreatedAt time.Time `bson:"created_at"`
}

// SendLock says that one task is sending a batch. It exists only while the batch is being
// sent; one left behind by a dead worker names the deliveries whose outcome is unknown.
type SendLock struct {
	ID      string    `bson:"_id"` // the batch
	Claim   string    `bson:"claim"`
	Task    string    `bson:"task"`
	At      time.Time `bson:"at"`
	Claimed []string  `bson:"claimed"` // delivery ids being sent
}
