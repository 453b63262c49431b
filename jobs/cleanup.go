package jobs

import (
	"context"
	"fmt"
	"time"

	"github.com/hibiken/asynq"
)

// Task types of the housekeeping jobs that stand in for TTL indexes (FerretDB has none).
const (
	TypeSessionPurge     = "session:purge"
	TypeIdempotencyPurge = "idempotency:purge"
	TypeSendBatchPurge   = "notice:batches:purge"
)

// SendBatchKeep is how long a finished send batch of a finished notice is kept. The report and
// the delivery list need only the open ones; a batch is kept this long after it finished so
// that a late repeat of its notice's work still finds it.
const SendBatchKeep = 30 * 24 * time.Hour

// IdempotencyKeep is how long an Idempotency-Key is honoured.
const IdempotencyKeep = 24 * time.Hour

// NewSessionPurgeTask deletes expired session tokens.
func NewSessionPurgeTask() *asynq.Task {
	return asynq.NewTask(TypeSessionPurge, nil, asynq.Queue(QueueBulk), asynq.MaxRetry(3))
}

// NewIdempotencyPurgeTask deletes idempotency records older than IdempotencyKeep.
func NewIdempotencyPurgeTask() *asynq.Task {
	return asynq.NewTask(TypeIdempotencyPurge, nil, asynq.Queue(QueueBulk), asynq.MaxRetry(3))
}

// NewSendBatchPurgeTask deletes send batches finished more than SendBatchKeep ago: without it,
// every report and delivery list on the embedded store would read every batch ever made.
func NewSendBatchPurgeTask() *asynq.Task {
	return asynq.NewTask(TypeSendBatchPurge, nil, asynq.Queue(QueueBulk), asynq.MaxRetry(3))
}

// HandleSendBatchPurge is idempotent too.
func (h *Handlers) HandleSendBatchPurge(ctx context.Context, _ *asynq.Task) error {
	return h.purged("send batches")(h.Store.PurgeSendBatches(ctx, SendBatchKeep))
}

// purged logs what a purge deleted, or wraps its error.
func (h *Handlers) purged(what string) func(int64, error) error {
	return func(n int64, err error) error {
		if err != nil {
			return fmt.Errorf("purge %s: %w", what, err)
		}
		h.Log.Info("purged "+what, "count", n)
		return nil
	}
}

// HandleSessionPurge is idempotent: deleting what is already gone deletes nothing.
func (h *Handlers) HandleSessionPurge(ctx context.Context, _ *asynq.Task) error {
	return h.purged("expired sessions")(h.Store.PurgeExpiredSessions(ctx))
}

// HandleIdempotencyPurge is idempotent likewise.
func (h *Handlers) HandleIdempotencyPurge(ctx context.Context, _ *asynq.Task) error {
	return h.purged("idempotency records")(h.Store.PurgeIdempotency(ctx, IdempotencyKeep))
}
