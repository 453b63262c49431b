package models

import "time"

// Delivery statuses. A delivery goes queued → sent | failed | skipped; a delivery whose send was
// under way when its worker died ends as unknown: it may or may not have reached the provider,
// and resending blindly could send it twice.
//
// A queued delivery is a member listed as open in its send batch (SendBatch.Open); its
// outcome is a Delivery document, written once (see store/sendbatches.go for why).
const (
	DeliveryQueued  = "queued"
	DeliverySent    = "sent"
	DeliveryFailed  = "failed"
	DeliverySkipped = "skipped"
	DeliveryUnknown = "unknown"
)

// DeliveryStatuses lists the statuses a delivery can have, for filters.
var DeliveryStatuses = []string{DeliveryQueued, DeliverySent, DeliveryFailed, DeliverySkipped, DeliveryUnknown}

// Delivery is one notice to one recipient on one channel. Its id is derived from the three, so
// an outcome can never be recorded twice. Stored documents hold outcomes; queued deliveries
// are listed from their send batches in the same shape.
type Delivery struct {
	ID         string    `bson:"_id" json:"id"`
	NoticeID   string    `bson:"notice_id" json:"notice_id"`
	MemberID   string    `bson:"member_id" json:"member_id"`
	Channel    string    `bson:"channel" json:"channel"`
	Status     string    `bson:"status" json:"status"`
	Reason     string    `bson:"reason,omitempty" json:"reason,omitempty"`
	Code       string    `bson:"code,omitempty" json:"code,omitempty"`
	Attempts   int       `bson:"attempts" json:"attempts"`
	ProviderID string    `bson:"provider_id,omitempty" json:"-"`
	CreatedAt  time.Time `bson:"created_at" json:"created_at"`
	UpdatedAt  time.Time `bson:"updated_at" json:"updated_at"`
	SentAt     time.Time `bson:"sent_at,omitempty" json:"sent_at,omitzero"`
}

// DeliveryID is the deterministic id of (notice, member, channel).
func DeliveryID(noticeID, memberID, channel string) string {
	return noticeID + ":" + memberID + ":" + channel
}

// Receipt is a notice in one recipient's inbox, with read and confirmation times.
type Receipt struct {
	ID       string    `bson:"_id" json:"id"` // notice id + ":" + member id
	NoticeID string    `bson:"notice_id" json:"notice_id"`
	MemberID string    `bson:"member_id" json:"member_id"`
	SendAt   time.Time `bson:"send_at" json:"send_at"`
	// Batch is the send batch of the notice's first channel that carries this member: a
	// fan-out run again after a crash finds it here and makes sure that batch lists them.
	Batch       string    `bson:"batch,omitempty" json:"-"`
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
// channel it carries. A member is listed by one batch per notice and channel only (the
// first channel's by the member's receipt, a fallback's by the send that fell back), so no two
// batches ever send the same delivery.
type SendBatch struct {
	ID       string   `bson:"_id"`
	NoticeID string   `bson:"notice_id"`
	Channel  string   `bson:"channel"`
	Members  []string `bson:"members"` // every member the batch has carried
	Open     []string `bson:"open"`    // those whose outcome is not recorded yet
	// Phones carries members' authorised numbers (encrypted) from the audience, when known,
	// so that sending SMS needs no read of each member.
	Phones    map[string][]byte `bson:"phones,omitempty"`
	Done      bool              `bson:"done"`                 // nothing open: the reconciler skips it
	Attempts  int               `bson:"attempts"`             // sends made; bounds the retries of the open ones
	Reason    string            `bson:"reason,omitempty"`     // why the open ones are still queued after a send
	NotBefore time.Time         `bson:"not_before,omitempty"` // deferred (quiet hours, rate limits)
	CreatedAt time.Time         `bson:"created_at"`
	UpdatedAt time.Time         `bson:"updated_at"`
}

// SendLock says that one task is sending a batch. It exists only while the batch is being
// sent; one left behind by a dead worker names the members whose outcome is unknown.
type SendLock struct {
	ID      string    `bson:"_id"` // the batch
	Claim   string    `bson:"claim"`
	Task    string    `bson:"task"`
	At      time.Time `bson:"at"`
	Claimed []string  `bson:"claimed"` // members being sent
}
