package testenv

import (
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
)

// WaitQueuesIdle waits until no asynq queue on rdb holds a task that is pending, running,
// scheduled, waiting to retry or waiting to be aggregated. After it, nothing more can reach
// MongoDB through the queue, so a test that checks a duplicate never landed checks it then
// instead of after a fixed sleep. It fails the test after timeout.
func WaitQueuesIdle(t testing.TB, rdb *redis.Client, timeout time.Duration) {
	t.Helper()
	insp := asynq.NewInspectorFromRedisClient(rdb)
	deadline := time.Now().Add(timeout)
	for {
		busy, err := queuedTasks(insp)
		if err != nil {
			t.Fatalf("testenv: inspect queues: %v", err)
		}
		if busy == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("testenv: queues still hold %d tasks after %v", busy, timeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func queuedTasks(insp *asynq.Inspector) (int, error) {
	queues, err := insp.Queues()
	if err != nil {
		return 0, err
	}
	n := 0
	for _, q := range queues {
		info, err := insp.GetQueueInfo(q)
		if err != nil {
			return 0, err
		}
		n += info.Pending + info.Active + info.Scheduled + info.Retry + info.Aggregating
	}
	return n, nil
}
