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
	n, err := h.Store.PurgeSendBatches(ctx, SendBatchKeep)
	if err != nil {
		return fmt.Errorf("send batch purge: %w", err)
	}
	h.Log.Info("purged send batches", "count", n)
	return nil
}

// HandleSessionPurge is idempotent: deleting what is already gone deletes nothing.
func (h *Handlers) HandleSessionPurge(ctx context.Context, _ *asynq.Task) error {
	n, err := h.Store.PurgeExpiredSessions(ctx)
	if err != nil {
		return fmt.Errorf("session purge: %w", err)
	}
	h.Log.Info("purged expired sessions", "count", n)
	return nil
}

// HandleIdempotencyPurge is idempotent likewise.
func (h *Handlers) HandleIdempotencyPurge(ctx context.Context, _ *asynq.Task) error {
	n, err := h.Store.PurgeIdempotency(ctx, IdempotencyKeep)
	if err != nil {
		return fmt.Errorf("idempotency purge: %w", err)
	}
	h.Log.Info("purged idempotency records", "count", n)
	return nil
}
