package store

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"kehou/models"
)

// OutboxMessage is a message the sandbox would have sent. Recipients (numbers, openids) are
// stored masked: the sandbox never needs them whole, and the outbox is read by staff.
type OutboxMessage struct {
	ID         string            `bson:"_id" json:"id"`
	Channel    string            `bson:"channel" json:"channel"`
	Group      string            `bson:"group" json:"notice_id"`
	Ref        string            `bson:"ref" json:"delivery_id"`
	To         string            `bson:"to" json:"to"`
	TemplateID string            `bson:"template_id,omitempty" json:"template_id,omitempty"`
	Data       map[string]string `bson:"data,omitempty" json:"data,omitempty"`
	Params     []string          `bson:"params,omitempty" json:"params,omitempty"`
	Page       string            `bson:"page,omitempty" json:"page,omitempty"`
	Title      string            `bson:"title,omitempty" json:"title,omitempty"`
	Text       string            `bson:"text,omitempty" json:"text,omitempty"`
	CreatedAt  time.Time         `bson:"created_at" json:"created_at,omitzero"`
}

// RecordOutbox stores what the sandbox would have sent, with one write for the whole batch; it
// sets each message's id and time and masks its recipient, and returns the ids in order.
// (jobs.OutboxSink turns the senders' messages into these, so the store needs nothing of bots.)
func (s *Store) RecordOutbox(ctx context.Context, msgs []OutboxMessage) ([]string, error) {
	now := s.now()
	docs := make([]any, len(msgs))
	ids := make([]string, len(msgs))
	for i, m := range msgs {
		to := MaskPhone(m.To) // numbers and openids alike: staff read the outbox
		if m.Channel != models.ChannelSMS && len(m.To) > 8 {
			to = m.To[:4] + "****" + m.To[len(m.To)-4:]
		}
		ids[i] = NewID()
		m.ID, m.To, m.CreatedAt = ids[i], to, now
		docs[i] = m
	}
	if _, err := s.c(colOutbox).InsertMany(ctx, docs); err != nil {
		return nil, fmt.Errorf("record outbox: %w", err)
	}
	return ids, nil
}

// Outbox lists what the sandbox sent for a notice.
func (s *Store) Outbox(ctx context.Context, noticeID string, p Page) ([]OutboxMessage, string, error) {
	return list(ctx, s.c(colOutbox), bson.M{"group": noticeID}, p, func(x OutboxMessage) string { return x.ID })
}

// MaskPhone keeps the first three and last four digits: +8613812345678 → 138****5678.
func MaskPhone(p string) string {
	r := []rune(p)
	if len(r) > 11 && string(r[:3]) == "+86" {
		r = r[3:]
	}
	if len(r) < 7 {
		return "****"
	}
	return string(r[:3]) + "****" + string(r[len(r)-4:])
}
