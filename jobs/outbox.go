package jobs

import (
	"context"

	"kehou/bots"
	"kehou/store"
)

// OutboxSink is the sandbox senders' storage (outbox.Sink): it turns each bots.Message into the
// store's outbox document. It lives here because jobs is the layer that knows both the senders
// and the store; neither of them imports the other.
type OutboxSink struct{ Store *store.Store }

// RecordOutbox stores msgs as sent on channel, in one write, and returns their ids in order.
func (o OutboxSink) RecordOutbox(ctx context.Context, channel string, msgs []bots.Message) ([]string, error) {
	docs := make([]store.OutboxMessage, len(msgs))
	for i, m := range msgs {
		docs[i] = store.OutboxMessage{Channel: channel, Group: m.Group, Ref: m.Ref, To: m.To, TemplateID: m.TemplateID,
			Data: m.Data, Params: m.Params, Page: m.Page, Title: m.Title, Text: m.Text}
	}
	return o.Store.RecordOutbox(ctx, docs)
}
