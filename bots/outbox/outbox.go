// Package outbox is the sandbox notifier: every message is stored (through a Sink the store
// implements) instead of being sent, so the whole system runs without credentials and staff can
// read what would have gone out. It also serves as the instant channel of the broadcast
// benchmark.
package outbox

import (
	"context"

	"kehou/bots"
)

// Sink stores messages; it returns the stored ids in order.
type Sink interface {
	RecordOutbox(ctx context.Context, channel string, msgs []bots.Message) ([]string, error)
}

// Notifier stores messages for one channel name.
type Notifier struct {
	channel string
	sink    Sink
}

// New returns the outbox standing in for channel.
func New(channel string, sink Sink) *Notifier { return &Notifier{channel: channel, sink: sink} }

// Send implements bots.Notifier.
func (n *Notifier) Send(ctx context.Context, m bots.Message) (string, error) {
	ids, err := n.sink.RecordOutbox(ctx, n.channel, []bots.Message{m})
	if err != nil {
		return "", &bots.Error{Reason: bots.ReasonNetwork, Err: err}
	}
	return ids[0], nil
}

// SendBatch stores many messages in one write; the delivery jobs use it when a channel offers it.
func (n *Notifier) SendBatch(ctx context.Context, msgs []bots.Message) ([]string, error) {
	ids, err := n.sink.RecordOutbox(ctx, n.channel, msgs)
	if err != nil {
		return nil, &bots.Error{Reason: bots.ReasonNetwork, Err: err}
	}
	return ids, nil
}
