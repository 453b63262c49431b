package jobs

import (
	"context"
	"time"

	"github.com/hibiken/asynq"
)

// NewNoticeReconcileTask is the periodic repair of broadcasts.
func NewNoticeReconcileTask() *asynq.Task {
	return asynq.NewTask(TypeNoticeReconcile, nil, asynq.Queue(QueueDefault), asynq.MaxRetry(1))
}

// Reconciler thresholds: how long a fan-out or a queued delivery may sit untouched before its
// task is presumed lost, and how long a send may run before its worker is presumed dead.
const (
	DefaultStallAfter   = 2 * time.Minute
	DefaultQueuedAfter  = 5 * time.Minute
	DefaultSendingAfter = 10 * time.Minute
)

// HandleNoticeReconcile makes MongoDB the truth when Redis is not: it re-enqueues the fan-out
// of stalled notices and the sending of batches with deliveries stuck in queued (their tasks
// were lost with a flushed or failed-over Redis), and declares unknown the deliveries of
// expired send locks (not renewed for SendingAfter: their worker died mid-call and the outcome
// cannot be known; a sender that was merely slow finds its claim recorded and writes nothing).
// Re-enqueued work is safe to run twice: a fan-out queues nobody twice (receipts name their
// batch), and a send task locks its batch and sends only what is still open.
func (h *Handlers) HandleNoticeReconcile(ctx context.Context, _ *asynq.Task) error {
	now := h.now()
	notices, err := h.Store.StalledNotices(ctx, now.Add(-h.after(h.StallAfter, DefaultStallAfter)), 100)
	if err != nil {
		return err
	}
	for _, n := range notices {
		// A stable id: at most one reconciler copy waits in the queue at a time.
		task, opts := NewNoticeFanoutTask(n, ":r")
		opts = append(opts, asynq.ProcessIn(0))
		if err := h.enqueue(ctx, task, opts); err != nil {
			return err
		}
	}
	expired, err := h.Store.ExpireSending(ctx, now.Add(-h.after(h.SendingAfter, DefaultSendingAfter)))
	if err != nil {
		return err
	}
	stuck, err := h.Store.StuckBatches(ctx, now.Add(-h.after(h.QueuedAfter, DefaultQueuedAfter)), 1000)
	if err != nil {
		return err
	}
	requeued := 0
	for _, b := range stuck {
		if len(b.Open) == 0 {
			continue
		}
		requeued += len(b.Open)
		task, opts := newSendTask(sendPayload{b.NoticeID, b.Channel, b.ID}, b.ID+":r", 0)
		if err := h.enqueue(ctx, task, opts); err != nil {
			return err
		}
	}
	if len(notices)+requeued > 0 || expired > 0 {
		h.Log.Warn("reconciled broadcasts", "stalled_notices", len(notices), "requeued_deliveries", requeued, "unknown_deliveries", expired)
	}
	return nil
}

func (h *Handlers) after(v, def time.Duration) time.Duration {
	if v != 0 {
		return v
	}
	return def
}
