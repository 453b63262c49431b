// Package jobs owns kehou's background work on asynq: task types named "domain:action", a
// payload and NewXxxTask constructor per type, idempotent handlers, and the periodic schedule.
// Every handler may run more than once (asynq is at-least-once), and periodic tasks carry a
// task id derived from their period so that several schedulers enqueue each run once.
package jobs

import (
	"log/slog"

	"github.com/hibiken/asynq"

	"kehou/store"
)

// Queues by urgency (ARCHITECTURE.md "Queue rules"), with asynq priority weights.
const (
	QueueCritical = "critical"
	QueueDefault  = "default"
	QueueBulk     = "bulk"
)

// QueueWeights gives user-facing confirmations most of the workers' time without starving bulk.
var QueueWeights = map[string]int{QueueCritical: 6, QueueDefault: 3, QueueBulk: 1}

// Handlers holds what task handlers need.
type Handlers struct {
	Store *store.Store
	Log   *slog.Logger
}

// Register adds every task handler to mux.
func (h *Handlers) Register(mux *asynq.ServeMux) {
	mux.HandleFunc(TypeSessionPurge, h.HandleSessionPurge)
	mux.HandleFunc(TypeIdempotencyPurge, h.HandleIdempotencyPurge)
}
