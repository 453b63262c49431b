package jobs

import (
	"context"
	"errors"
	"reflect"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"kehou/models"
	"kehou/report"
)

// TestAnswersCountedOnceWhenTheCounterWriteFails: a worker stores a batch of answers and the
// counter write after it fails; asynq retries the task, which finds its answers stored and
// counts them. The month's report equals the report after a recount (`kehou recount`), and
// the same answers handled again in another batch count nothing more.
func TestAnswersCountedOnceWhenTheCounterWriteFails(t *testing.T) {
	e := newBC(t, 120)
	sv := e.survey(time.Time{})
	rs, receipts := e.answers(sv)
	ctx := context.Background()
	var writes atomic.Int32
	e.st.SetCountFault(func(string) error {
		if writes.Add(1) == 1 {
			return errors.New("injected counter fault")
		}
		return nil
	})
	tasks := make([]*asynq.Task, len(rs))
	for i, r := range rs {
		task, opts, err := NewSurveyAnswerTask(r, receipts[i])
		must(t, err)
		_, err = e.queue.EnqueueContext(ctx, task, opts...)
		must(t, err)
		tasks[i] = task
	}
	stop := e.start()
	month := models.MonthOf(e.h.now())
	build := func() models.MonthlyReport {
		t.Helper()
		r, err := report.New(e.obs).Build(ctx, month)
		must(t, err)
		r.BuiltAt = time.Time{}
		return r
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		idle := true
		info, err := asynqInspector(e).GetQueueInfo(QueueCritical)
		if err == nil {
			idle = info.Pending+info.Active+info.Scheduled+info.Retry+info.Aggregating == 0
		}
		if got := build().City.SurveyResponses; got == len(rs) && idle {
			break
		} else if got > len(rs) || time.Now().After(deadline) {
			t.Fatalf("answers counted: %d of %d (queue idle: %v)", got, len(rs), idle)
		}
		time.Sleep(100 * time.Millisecond)
	}
	stop()
	if writes.Load() < 2 {
		t.Fatalf("%d counter writes: the fault was not followed by a retry", writes.Load())
	}
	e.waitAnswers(sv.ID, len(rs))

	// The same answers in other batches (as when asynq hands a group's tasks out twice), twice.
	half := aggregateAnswers("g", tasks[:len(tasks)/2+7])
	must(t, e.h.HandleSurveyAnswers(ctx, half))
	must(t, e.h.HandleSurveyAnswers(ctx, aggregateAnswers("g", tasks)))
	must(t, e.h.HandleSurveyAnswers(ctx, half))

	written := build()
	if written.City.SurveyResponses != len(rs) {
		t.Fatalf("answers counted after repeats: %d of %d", written.City.SurveyResponses, len(rs))
	}
	must(t, e.st.RecountReports(ctx))
	if recounted := build(); !reflect.DeepEqual(written, recounted) {
		t.Fatalf("report:\n   written %+v\nrecounted %+v", written.City, recounted.City)
	}
}
