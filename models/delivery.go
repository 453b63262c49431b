package models

import (
	"bytes"
	"encoding/binary"
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

// DeliveryStatuses lists the statuses a delivery can have, for filters.
var DeliveryStatuses = []string{DeliveryQueued, DeliverySent, DeliveryFailed, DeliverySkipped, DeliveryUnknown}

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
	CreatedAt  time.Time `bson:"created_at" json:"created_at"`
	UpdatedAt  time.Time `bson:"updated_at" json:"updated_at"`
	SentAt     time.Time `bson:"sent_at,omitempty" json:"sent_at,omitzero"`
}

// DeliveryID is the deterministic id of (notice, member, channel).
func DeliveryID(noticeID, memberID, channel string) string {
	return noticeID + ":" + memberID + ":" + channel
}

// DeliveryRecord is the delivery records one send task wrote at once: the outcomes of some of
// one send batch's members on its channel. One document per send instead of one per delivery
// is what lets a broadcast record as fast as it sends on the embedded store, where each
// document inserted costs about as much as its whole send (bench/README.md).
//
// A member has one delivery per notice and channel because its batch takes it off its open
// list once the outcome is written. A record can still name a member that another one names
// too, when a sender was presumed dead and its deliveries were recorded unknown while it was
// in fact still sending: the ledger then shows the outcome the sender learned (see Prevails).
type DeliveryRecord struct {
	ID       string            `bson:"_id"`
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

// Prevails tells whether outcome d of a delivery stands over an outcome earlier recorded for
// it: only an outcome the sender learned (sent, failed, skipped) over an unknown one. Of two
// learned outcomes the first stands, as does an unknown one over a later unknown.
func (d Delivery) Prevails(earlier Delivery) bool {
	return earlier.Status == DeliveryUnknown && d.Status != DeliveryUnknown
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
	// PhonePacks carry members' authorised numbers (encrypted) from the audience, when known,
	// so that sending SMS needs no read of each member: one PackPhones per call that brought
	// members with numbers. Packed, not a map: FerretDB decodes a document's fields with a
	// linear search each, and a 500-key map cost about 7 ms on each of the batch's insert,
	// read and update (bench/README.md). Read them with Phones.
	PhonePacks [][]byte `bson:"phone_packs,omitempty"`
	// LegacyPhones is how batches written before the packs carried the numbers.
	LegacyPhones map[string][]byte `bson:"phones,omitempty"`
	Done         bool              `bson:"done"`                 // nothing open: the reconciler skips it
	Attempts     int               `bson:"attempts"`             // sends made; bounds the retries of the open ones
	Reason       string            `bson:"reason,omitempty"`     // why the open ones are still queued after a send
	NotBefore    time.Time         `bson:"not_before,omitempty"` // deferred (quiet hours, rate limits)
	CreatedAt    time.Time         `bson:"created_at"`
	UpdatedAt    time.Time         `bson:"updated_at"`
}

// Phones are the numbers the batch carries, by member (nil when none).
func (b SendBatch) Phones() map[string][]byte {
	var out map[string][]byte
	add := func(m string, p []byte) {
		if out == nil {
			out = map[string][]byte{}
		}
		out[m] = p
	}
	for m, p := range b.LegacyPhones {
		add(m, p)
	}
	for _, pack := range b.PhonePacks {
		unpackPhones(pack, add)
	}
	return out
}

// PackPhones packs the numbers phones has of members (nil when it has none) for
// SendBatch.PhonePacks: per member, its id and its sealed number, each preceded by its length
// as a uvarint.
func PackPhones(members []string, phones map[string][]byte) []byte {
	var b []byte
	for _, m := range members {
		if p := phones[m]; len(p) > 0 {
			b = binary.AppendUvarint(b, uint64(len(m)))
			b = append(b, m...)
			b = binary.AppendUvarint(b, uint64(len(p)))
			b = append(b, p...)
		}
	}
	return b
}

// unpackPhones calls add for each member and number of a pack. A damaged pack yields what
// precedes the damage: a member left without a number gets the one on their account instead.
func unpackPhones(pack []byte, add func(member string, phone []byte)) {
	next := func() ([]byte, bool) {
		n, k := binary.Uvarint(pack)
		if k <= 0 || n > uint64(len(pack)-k) {
			return nil, false
		}
		v := pack[k : k+int(n)]
		pack = pack[k+int(n):]
		return v, true
	}
	for len(pack) > 0 {
		m, ok1 := next()
		p, ok2 := next()
		if !ok1 || !ok2 {
			return
		}
		add(string(m), bytes.Clone(p))
	}
}

// SendLock says that one task is sending a batch. It exists only while the batch is being
// sent; one left behind by a dead worker names the members whose outcome is unknown.
type SendLock struct {
	ID    string    `bson:"_id"` // the batch
	Claim string    `bson:"claim"`
	Task  string    `bson:"task"`
	At    time.Time `bson:"at"`
	// Upto says which members are being sent: the batch's open ones among its first Upto
	// members (a batch's member list only grows at its end, and a member once recorded is
	// never opened again, so these are exactly the ones open when the lock was taken).
	Upto int `bson:"upto"`
}
