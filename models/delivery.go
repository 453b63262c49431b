package models

import (
	"strings"
	"time"
)

// Delivery statuses. A delivery goes queued → sent | failed | skipped; a delivery whose send was
// under way when its worker died ends as unknown: it may or may not have reached the provider,
// and resending blindly could send it twice.
//
// A queued delivery is a member listed as open in its send batch (SendBatch.Open); its
// outcome is an entry of a DeliveryRecord (see store/sendbatches.go for why).
const (
	DeliveryQueued  = "queued"
	DeliverySent    = "sent"
	DeliveryFailed  = "failed"
	DeliverySkipped = "skipped"
	DeliveryUnknown = "unknown"
)

// DeliveryStatusEnum labels the statuses a delivery can have; DeliveryStatuses lists them, for filters.
var (
	DeliveryStatusEnum = NewEnum("delivery_status", "DeliveryStatus", "What became of one notice to one recipient on one channel.",
		L(DeliveryQueued, "排队中"), L(DeliverySent, "已发送"), L(DeliveryFailed, "发送失败"), L(DeliverySkipped, "未发送"), L(DeliveryUnknown, "结果未知"))
	DeliveryStatuses = DeliveryStatusEnum.Codes()
)

// Delivery is one notice to one recipient on one channel, as the ledger shows it. Its id is
// derived from the three. It is not stored in this shape: a recorded delivery is an outcome in
// a DeliveryRecord, a queued one a member open in its send batch.
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
	CreatedAt  time.Time `bson:"created_at" json:"created_at,omitzero"`
	UpdatedAt  time.Time `bson:"updated_at" json:"updated_at,omitzero"`
	SentAt     time.Time `bson:"sent_at,omitempty" json:"sent_at,omitzero"`
}

// DeliveryID is the deterministic id of (notice, member, channel).
func DeliveryID(noticeID, memberID, channel string) string {
	return noticeID + ":" + memberID + ":" + channel
}

// DeliveryRecord is the outcomes one claim of a send batch learned: some of the batch's
// members on its channel. One document per send instead of one per delivery keeps a broadcast's
// writes per batch (bench/README.md).
//
// Its id is the claim's (store.ClaimBatch), so a claim is recorded once: either by its owner
// once it has sent, or, when the owner is presumed dead, by the task that takes the batch
// over, which records unknown whatever the claim was sending. Whichever writes first stands;
// the other's insert fails on the unique _id and it writes nothing. A member leaves its
// batch's open list once a record names it, so no two records name the same delivery.
type DeliveryRecord struct {
	ID       string            `bson:"_id"` // the claim
	NoticeID string            `bson:"notice_id"`
	Batch    string            `bson:"batch"`
	Channel  string            `bson:"channel"`
	Attempts int               `bson:"attempts"`  // the batch's sends, this one included
	QueuedAt time.Time         `bson:"queued_at"` // when the batch was made
	At       time.Time         `bson:"at"`
	Outcomes []DeliveryOutcome `bson:"outcomes"`
}

// DeliveryOutcome is one delivery's outcome within a DeliveryRecord.
type DeliveryOutcome struct {
	MemberID   string `bson:"member_id"`
	Status     string `bson:"status"`
	Reason     string `bson:"reason,omitempty"`
	Code       string `bson:"code,omitempty"`
	ProviderID string `bson:"provider_id,omitempty"`
}

// Delivery is the delivery of one of the record's outcomes.
func (r DeliveryRecord) Delivery(o DeliveryOutcome) Delivery {
	d := Delivery{ID: DeliveryID(r.NoticeID, o.MemberID, r.Channel), NoticeID: r.NoticeID, MemberID: o.MemberID,
		Channel: r.Channel, Status: o.Status, Reason: o.Reason, Code: o.Code, Attempts: r.Attempts,
		ProviderID: o.ProviderID, CreatedAt: r.QueuedAt, UpdatedAt: r.At}
	if o.Status == DeliverySent {
		d.SentAt = r.At
	}
	return d
}

// Receipt is a notice in one recipient's inbox, with read and confirmation times. It is written
// once per recipient during a fan-out, so it holds only what cannot be had elsewhere: the notice
// is the id's prefix (a notice's receipts are an _id range, see store) and the time it went out
// is the notice's SendAt, which no longer moves once a fan-out has begun. Receipts written
// before this also hold notice_id and send_at; those fields are no longer read.
type Receipt struct {
	ID       string `bson:"_id" json:"id"` // notice id + ":" + member id
	MemberID string `bson:"member_id" json:"member_id"`
	// Batch is the send batch of the notice's first channel that carries this member, by its
	// tag (store.QueueRecipients): a fan-out run again after a crash finds it here and makes
	// sure that batch lists them.
	Batch       string    `bson:"batch,omitempty" json:"-"`
	ReadAt      time.Time `bson:"read_at,omitempty" json:"read_at,omitzero"`
	ConfirmedAt time.Time `bson:"confirmed_at,omitempty" json:"confirmed_at,omitzero"`
}

// ReceiptID names a member's receipt of a notice. Notice ids are ObjectID hex, without ":".
func ReceiptID(noticeID, memberID string) string { return noticeID + ":" + memberID }

// NoticeID is the notice the receipt is of.
func (r Receipt) NoticeID() string {
	id, _, _ := strings.Cut(r.ID, ":")
	return id
}

// Consent is what a member has allowed for one subscribe-message template: a number of one-time
// sends (each accept in the mini-program is one), or a long-term subscription.
type Consent struct {
	ID         string    `bson:"_id" json:"-"` // member id + ":" + template id
	MemberID   string    `bson:"member_id" json:"-"`
	TemplateID string    `bson:"template_id" json:"template_id"`
	Credits    int       `bson:"credits" json:"credits"`
	LongTerm   bool      `bson:"long_term" json:"long_term"`
	UpdatedAt  time.Time `bson:"updated_at" json:"updated_at,omitzero"`
}

// MaxConsentCredits bounds stored one-time credits; WeChat itself keeps a similar cap.
const MaxConsentCredits = 50

// What wx.requestSubscribeMessage answers for a template, as the mini-program reports it.
const (
	SubscribeAccept = "accept"
	SubscribeReject = "reject"
	SubscribeBan    = "ban"    // the template was banned by WeChat
	SubscribeFilter = "filter" // filtered by WeChat (the title matched another of the app's)
)

// SubscribeResultEnum labels the subscribe results.
var SubscribeResultEnum = NewEnum("subscribe_result", "SubscribeResult", "What wx.requestSubscribeMessage answered for one template.",
	L(SubscribeAccept, "同意"), L(SubscribeReject, "拒绝"), L(SubscribeBan, "已被封禁"), L(SubscribeFilter, "已被过滤"))

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
	// Phones carry members' authorised numbers (encrypted) from the audience, when known, so
	// that sending SMS needs no read of each member. Dropped once the batch is done.
	Phones    []MemberPhone `bson:"phones,omitempty"`
	Done      bool          `bson:"done"`                 // nothing open: the reconciler skips it
	Attempts  int           `bson:"attempts"`             // sends made; bounds the retries of the open ones
	Reason    string        `bson:"reason,omitempty"`     // why the open ones are still queued after a send
	NotBefore time.Time     `bson:"not_before,omitempty"` // deferred (quiet hours, rate limits)
	CreatedAt time.Time     `bson:"created_at"`
	UpdatedAt time.Time     `bson:"updated_at"`
}

// MemberPhone is one member's sealed number in a send batch.
type MemberPhone struct {
	Member string `bson:"m"`
	Phone  []byte `bson:"p"`
}

// PhoneOf returns the numbers the batch carries, by member (nil when none).
func (b SendBatch) PhoneOf() map[string][]byte {
	if len(b.Phones) == 0 {
		return nil
	}
	out := make(map[string][]byte, len(b.Phones))
	for _, p := range b.Phones {
		out[p.Member] = p.Phone
	}
	return out
}

// MemberPhones lists the numbers phones has of members, in members' order, for SendBatch.Phones.
func MemberPhones(members []string, phones map[string][]byte) []MemberPhone {
	var out []MemberPhone
	for _, m := range members {
		if p := phones[m]; len(p) > 0 {
			out = append(out, MemberPhone{Member: m, Phone: p})
		}
	}
	return out
}

// SendLock says that one task holds a send batch. Its unique _id (the batch) is what makes a
// send exclusive: a task sends only the members its lock names (Upto), and only while the lock
// is its own. One left behind by a dead worker names the members whose outcome is unknown.
type SendLock struct {
	ID    string    `bson:"_id"` // the batch
	Claim string    `bson:"claim"`
	Task  string    `bson:"task"`
	At    time.Time `bson:"at"` // taken or last renewed: the holder renews it while it sends
	// Upto says which members are being sent: the batch's open ones among its first Upto
	// members (a batch's member list only grows at its end, and a member once recorded is
	// never opened again, so these are exactly the ones open when the lock was taken).
	Upto int `bson:"upto"`
	// Settles, when set, is the claim of a presumed-dead holder whose members (under Upto) this
	// holder is recording as unknown: a holder that dies while settling leaves it to the next.
	Settles string `bson:"settles,omitempty"`
}
