package jobs

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/hibiken/asynq"
)

// Periodic is a task that runs once per period. Its task id is Type + ":" + the period's
// start, so however many schedulers (one per `kehou worker` replica) fire, asynq accepts one.
type Periodic struct {
	Every time.Duration
	New   func() *asynq.Task
}

// Schedule lists the periodic tasks.
var Schedule = []Periodic{
	{Every: time.Hour, New: NewSessionPurgeTask},
	{Every: time.Hour, New: NewIdempotencyPurgeTask},
	{Every: time.Hour, New: NewSendBatchPurgeTask},
	{Every: time.Minute, New: NewNoticeReconcileTask},
	{Every: surveyRemindEvery, New: NewSurveyRemindTask},
	{Every: 15 * time.Minute, New: NewEventRemindTask},
	{Every: 5 * time.Minute, New: NewPlacesReconcileTask},
	{Every: 15 * time.Minute, New: NewShiftAlertTask},
	{Every: time.Hour, New: NewComplaintSweepTask},
	{Every: time.Hour, New: NewMonthlyReportTask},
	{Every: liveReportEvery, New: NewLiveReportTask},
}

// periodID names the period that contains t, e.g. "session:purge:2026-11-29T16:00Z".
func periodID(typ string, every time.Duration, t time.Time) string {
	return typ + ":" + t.UTC().Truncate(every).Format("2006-01-02T15:04Z")
}

// RunScheduler enqueues each periodic task once per period until ctx ends. It checks every
// tick (a minute in production) so a scheduler started mid-period still runs that period.
func RunScheduler(ctx context.Context, q Enqueuer, tick time.Duration, log *slog.Logger) {
	enqueueDue(ctx, q, time.Now(), log)
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			enqueueDue(ctx, q, now, log)
		}
	}
}

func enqueueDue(ctx context.Context, q Enqueuer, now time.Time, log *slog.Logger) {
	for _, p := range Schedule {
		task := p.New()
		id := periodID(task.Type(), p.Every, now)
		// Retention keeps the finished task (and so its id) past the period's end.
		_, err := q.EnqueueContext(ctx, task, asynq.TaskID(id), asynq.Retention(p.Every+time.Hour))
		switch {
		case err == nil:
			log.Info("scheduled", "task_id", id)
		case errors.Is(err, asynq.ErrTaskIDConflict), errors.Is(err, asynq.ErrDuplicateTask):
		case ctx.Err() != nil:
		default:
			log.Warn("schedule failed", "task_id", id, "err", err)
		}
	}
}
