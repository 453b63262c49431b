package jobs

import (
	"context"
	"errors"
	"maps"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"

	"kehou/devstack/testenv"
	"kehou/models"
	"kehou/store"
)

func TestMain(m *testing.M) { os.Exit(testenv.Run(m)) }

// redisDB is this package's Redis database when tests run against a real server.
const redisDB = 2

func TestSchedulersEnqueueEachPeriodOnce(t *testing.T) {
	rdb := testenv.Redis(t, redisDB)
	client := asynq.NewClientFromRedisClient(rdb)
	defer client.Close()
	now := time.Date(2026, 11, 29, 16, 20, 0, 0, time.UTC)
	var wg sync.WaitGroup
	for range 5 { // five worker replicas fire at once
		wg.Add(1)
		go func() {
			defer wg.Done()
			enqueueDue(context.Background(), client, now, testenv.Logger())
		}()
	}
	wg.Wait()
	enqueueDue(context.Background(), client, now.Add(30*time.Second), testenv.Logger()) // same minute
	insp := asynq.NewInspectorFromRedisClient(rdb)
	count := func() map[string]int {
		out := map[string]int{}
		for _, q := range []string{QueueBulk, QueueDefault} {
			tasks, err := insp.ListPendingTasks(q)
			if err != nil && !errors.Is(err, asynq.ErrQueueNotFound) {
				t.Fatal(err)
			}
			for _, tk := range tasks {
				out[tk.Type]++
			}
		}
		return out
	}
	// Hourly purges, the complaint sweep and the monthly report, the minutely reconciler, survey reminders and
	// places every 5 minutes, the live month every 10, event reminders and shift alerts every 15.
	want := map[string]int{TypeSessionPurge: 1, TypeIdempotencyPurge: 1, TypeSendBatchPurge: 1, TypeNoticeReconcile: 1,
		TypeSurveyRemind: 1, TypeEventRemind: 1, TypePlacesReconcile: 1, TypeShiftAlert: 1, TypeComplaintSweep: 1, TypeMonthlyReport: 1, TypeLiveReport: 1}
	if got := count(); !maps.Equal(got, want) {
		t.Fatalf("five schedulers in one minute: %v, want %v", got, want)
	}
	enqueueDue(context.Background(), client, now.Add(30*time.Minute), testenv.Logger()) // same hour, later minute
	want[TypeNoticeReconcile], want[TypeSurveyRemind], want[TypeEventRemind], want[TypePlacesReconcile], want[TypeShiftAlert], want[TypeLiveReport] = 2, 2, 2, 2, 2, 2
	if got := count(); !maps.Equal(got, want) {
		t.Fatalf("later in the hour: %v, want %v", got, want)
	}
	enqueueDue(context.Background(), client, now.Add(time.Hour), testenv.Logger()) // next hour
	want = map[string]int{TypeSessionPurge: 2, TypeIdempotencyPurge: 2, TypeSendBatchPurge: 2, TypeNoticeReconcile: 3,
		TypeSurveyRemind: 3, TypeEventRemind: 3, TypePlacesReconcile: 3, TypeShiftAlert: 3, TypeComplaintSweep: 2, TypeMonthlyReport: 2, TypeLiveReport: 3}
	if got := count(); !maps.Equal(got, want) {
		t.Fatalf("next hour: %v, want %v", got, want)
	}
}

// TestWorkerRunsPurge runs a real asynq server on Redis and checks the purge reaches MongoDB.
func TestWorkerRunsPurge(t *testing.T) {
	rdb := testenv.Redis(t, redisDB)
	st, err := store.New(testenv.Mongo(t), testenv.Key())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	past := time.Now().Add(-48 * time.Hour)
	st.SetClock(func() time.Time { return past })
	if _, _, err := st.CreateSession(ctx, models.SessionMember, "m1", time.Hour); err != nil {
		t.Fatal(err)
	}
	st.SetClock(func() time.Time { return time.Now().UTC() })
	live, _, err := st.CreateSession(ctx, models.SessionMember, "m2", time.Hour)
	if err != nil {
		t.Fatal(err)
	}

	srv := asynq.NewServerFromRedisClient(rdb, asynq.Config{Concurrency: 2, Queues: QueueWeights, LogLevel: asynq.ErrorLevel})
	mux := asynq.NewServeMux()
	(&Handlers{Store: st, Log: testenv.Logger()}).Register(mux)
	if err := srv.Start(mux); err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown()
	client := asynq.NewClientFromRedisClient(rdb)
	defer client.Close()
	// Enqueued twice: at-least-once delivery must be harmless.
	for range 2 {
		if _, err := client.Enqueue(NewSessionPurgeTask()); err != nil {
			t.Fatal(err)
		}
	}
	insp := asynq.NewInspectorFromRedisClient(rdb)
	deadline := time.Now().Add(20 * time.Second)
	for {
		info, err := insp.GetQueueInfo(QueueBulk)
		if err == nil && info.Pending == 0 && info.Active == 0 && info.Processed >= 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("purge tasks not processed: %+v %v", info, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if _, err := st.Session(ctx, models.SessionMember, live); err != nil {
		t.Fatalf("live session purged: %v", err)
	}
	if n, _ := st.PurgeExpiredSessions(ctx); n != 0 {
		t.Fatalf("expired session left behind: %d", n)
	}
}

func TestQueueCollectorReportsSizes(t *testing.T) {
	rdb := testenv.Redis(t, redisDB)
	client := asynq.NewClientFromRedisClient(rdb)
	defer client.Close()
	for range 3 {
		if _, err := client.Enqueue(NewIdempotencyPurgeTask()); err != nil {
			t.Fatal(err)
		}
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(NewQueueCollector(asynq.NewInspectorFromRedisClient(rdb)))
	got := map[string]float64{}
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		for _, m := range f.GetMetric() {
			key := f.GetName()
			for _, l := range m.GetLabel() {
				key += "," + l.GetValue()
			}
			got[key] = m.GetGauge().GetValue()
		}
	}
	if got["kehou_queue_tasks,bulk,pending"] != 3 || got["kehou_queue_tasks,critical,pending"] != 0 || got["kehou_queue_inspect_up"] != 1 {
		t.Fatalf("queue metrics: %v", got)
	}
}
