package main

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"kehou/jobs"
)

// typeNoop is the bare-asynq task: its handler does nothing.
const typeNoop = "bench:noop"

// bareResult is the bare asynq measurement.
type bareResult struct {
	Enqueue   time.Duration // enqueueing the n tasks (not measured)
	Elapsed   time.Duration // server start until the queue is empty and n were processed
	Processed int
	Done      bool // false when the run's deadline came first
}

// runBare measures how fast this machine's asynq processes no-op tasks with the broadcast's
// concurrency and queue weights: n tasks are enqueued on the bulk queue first (asynq v0.26 has
// no batch enqueue, so they go in concurrently), then a server drains them.
func runBare(ctx context.Context, rdb *redis.Client, n, concurrency int) (bareResult, error) {
	var res bareResult
	if err := rdb.FlushDB(ctx).Err(); err != nil {
		return res, fmt.Errorf("flush redis: %w", err)
	}
	client := asynq.NewClientFromRedisClient(rdb)
	defer client.Close()
	start := time.Now()
	if err := enqueueNoops(ctx, client, n); err != nil {
		return res, err
	}
	res.Enqueue = time.Since(start)

	var handled atomic.Int64
	srv := asynq.NewServerFromRedisClient(rdb, asynq.Config{Concurrency: concurrency, Queues: jobs.QueueWeights,
		LogLevel: asynq.WarnLevel, ShutdownTimeout: 5 * time.Second})
	mux := asynq.NewServeMux()
	mux.HandleFunc(typeNoop, func(context.Context, *asynq.Task) error {
		handled.Add(1)
		return nil
	})
	insp := asynq.NewInspectorFromRedisClient(rdb)
	defer insp.Close()

	start = time.Now()
	if err := srv.Start(mux); err != nil {
		return res, fmt.Errorf("start asynq server: %w", err)
	}
	defer srv.Shutdown()
	// The handler count is free to read, so it is polled tightly; the inspector (several
	// Redis calls) only confirms the end: every task acknowledged, the queue empty.
	for {
		if handled.Load() >= int64(n) {
			info, err := insp.GetQueueInfo(jobs.QueueBulk)
			if err != nil {
				return res, fmt.Errorf("inspect queue: %w", err)
			}
			if info.Size == 0 && info.ProcessedTotal >= n {
				res.Elapsed, res.Processed, res.Done = time.Since(start), info.ProcessedTotal, true
				return res, nil
			}
		}
		select {
		case <-ctx.Done():
			res.Elapsed, res.Processed = time.Since(start), int(handled.Load())
			return res, nil
		case <-time.After(2 * time.Millisecond):
		}
	}
}

// enqueueNoops enqueues n no-op tasks from a few goroutines.
func enqueueNoops(ctx context.Context, client *asynq.Client, n int) error {
	const workers = 16
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := next.Add(1); i <= int64(n); i = next.Add(1) {
				if _, err := client.EnqueueContext(ctx, asynq.NewTask(typeNoop, nil), asynq.Queue(jobs.QueueBulk)); err != nil {
					errs <- fmt.Errorf("enqueue no-op task: %w", err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	return <-errs
}
