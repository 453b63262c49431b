// Package jobs owns kehou's background work on asynq: task types named "domain:action", a
// payload and NewXxxTask constructor per type, idempotent handlers, and the periodic schedule.
// Every handler may run more than once (asynq is at-least-once), and periodic tasks carry a
// task id derived from their period so that several schedulers enqueue each run once.
package jobs

import (
	"context"
	"log/slog"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"kehou/bots"
	"kehou/config"
	"kehou/models"
	"kehou/store"
)

// Queues by urgency (docs/architecture.md "Queue rules"), with asynq priority weights.
const (
	QueueCritical = "critical"
	QueueDefault  = "default"
	QueueBulk     = "bulk"
)

// QueueWeights gives user-facing confirmations most of the workers' time without starving bulk.
var QueueWeights = map[string]int{QueueCritical: 6, QueueDefault: 3, QueueBulk: 1}

// Enqueuer is the part of asynq.Client the handlers and the scheduler use.
type Enqueuer interface {
	EnqueueContext(ctx context.Context, task *asynq.Task, opts ...asynq.Option) (*asynq.TaskInfo, error)
}

// Reports builds and keeps the monthly reports (report.Builder, wired in cmd/kehou).
type Reports interface {
	Ensure(ctx context.Context, month string) (models.MonthlyReport, bool, error)
	Live(ctx context.Context) (models.MonthlyReport, error)
}

// Handlers holds what task handlers need.
type Handlers struct {
	Store *store.Store
	Log   *slog.Logger
	Queue Enqueuer
	Redis redis.UniversalClient // shared per-number and per-robot limits
	// Reports builds last month's report (report:monthly).
	Reports Reports

	Notifiers    map[string]bots.Notifier // by channel name
	WxTemplates  map[string]config.WxTemplate
	SMSTemplates map[string]config.SMSTemplate
	SMSInterval  time.Duration
	SMSDaily     int
	RobotPerMin  int // messages per minute per group robot

	// Tunables; zero means the default. Tests shorten them.
	FanoutBatch  int // pupils resolved per fan-out batch
	SendChunk    int // deliveries per send task
	StallAfter   time.Duration
	QueuedAfter  time.Duration
	SendingAfter time.Duration
	Now          func() time.Time
}

// Register adds every task handler to mux.
func (h *Handlers) Register(mux *asynq.ServeMux) {
	mux.HandleFunc(TypeSessionPurge, h.HandleSessionPurge)
	mux.HandleFunc(TypeIdempotencyPurge, h.HandleIdempotencyPurge)
	mux.HandleFunc(TypeSendBatchPurge, h.HandleSendBatchPurge)
	mux.HandleFunc(TypeNoticeFanout, h.HandleNoticeFanout)
	mux.HandleFunc(TypeNoticeSend, h.HandleNoticeSend)
	mux.HandleFunc(TypeNoticeReconcile, h.HandleNoticeReconcile)
	mux.HandleFunc(TypeSurveyAnswer, h.HandleSurveyAnswer)
	mux.HandleFunc(TypeSurveyAnswers, h.HandleSurveyAnswers)
	mux.HandleFunc(TypeSurveyRemind, h.HandleSurveyRemind)
	mux.HandleFunc(TypeEventRemind, h.HandleEventRemind)
	mux.HandleFunc(TypePlacesReconcile, h.HandlePlacesReconcile)
	mux.HandleFunc(TypeShiftAlert, h.HandleShiftAlert)
	mux.HandleFunc(TypeComplaintSweep, h.HandleComplaintSweep)
	mux.HandleFunc(TypeMonthlyReport, h.HandleMonthlyReport)
	mux.HandleFunc(TypeLiveReport, h.HandleLiveReport)
}

// RetryDelay backs off from base, doubling per retry up to ten minutes, so a provider outage
// is not hammered and a brief hiccup costs seconds.
func RetryDelay(base time.Duration) asynq.RetryDelayFunc {
	return func(n int, _ error, _ *asynq.Task) time.Duration {
		d := base << min(n, 16)
		return min(d, 10*time.Minute)
	}
}
