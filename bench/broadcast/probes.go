package main

import (
	"context"
	"fmt"
	"io"
	"sort"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/hibiken/asynq"
	"go.mongodb.org/mongo-driver/v2/event"

	"kehou/bots"
)

// opStat accumulates the round trips of one kind.
type opStat struct {
	Key   string
	N     int
	Total time.Duration
	Max   time.Duration
}

// dbMonitor times every command the store sends, by command and collection ("update
// deliveries"). The embedded client has one connection, so the sum of these durations is how
// long the database was busy, and the table shows where a broadcast's time goes.
type dbMonitor struct {
	mu       sync.Mutex
	inflight map[int64]string
	ops      map[string]*opStat
}

func newDBMonitor() *dbMonitor {
	return &dbMonitor{inflight: map[int64]string{}, ops: map[string]*opStat{}}
}

// monitor returns the driver hooks.
func (d *dbMonitor) monitor() *event.CommandMonitor {
	return &event.CommandMonitor{
		Started: func(_ context.Context, e *event.CommandStartedEvent) {
			key := e.CommandName
			// The collection is the value of the command's first element (find: "members"),
			// or of "collection" for a getMore.
			if v, ok := e.Command.Index(0).Value().StringValueOK(); ok {
				key += " " + v
			}
			if v, ok := e.Command.Lookup("collection").StringValueOK(); ok && e.CommandName == "getMore" {
				key += " " + v
			}
			d.mu.Lock()
			d.inflight[e.RequestID] = key
			d.mu.Unlock()
		},
		Succeeded: func(_ context.Context, e *event.CommandSucceededEvent) { d.finish(e.RequestID, e.Duration) },
		Failed:    func(_ context.Context, e *event.CommandFailedEvent) { d.finish(e.RequestID, e.Duration) },
	}
}

func (d *dbMonitor) finish(id int64, took time.Duration) {
	d.mu.Lock()
	defer d.mu.Unlock()
	key, ok := d.inflight[id]
	if !ok {
		return
	}
	delete(d.inflight, id)
	s := d.ops[key]
	if s == nil {
		s = &opStat{Key: key}
		d.ops[key] = s
	}
	s.N++
	s.Total += took
	s.Max = max(s.Max, took)
}

// reset forgets what was measured so far (the next phase starts from zero).
func (d *dbMonitor) reset() {
	d.mu.Lock()
	d.ops = map[string]*opStat{}
	d.mu.Unlock()
}

// top returns the kinds that took longest in total, and the total over all kinds.
func (d *dbMonitor) top(k int) ([]opStat, time.Duration) {
	d.mu.Lock()
	defer d.mu.Unlock()
	var all []opStat
	var total time.Duration
	for _, s := range d.ops {
		all = append(all, *s)
		total += s.Total
	}
	sort.Slice(all, func(i, j int) bool { return all[i].Total > all[j].Total })
	return all[:min(k, len(all))], total
}

// taskTimer is asynq middleware that times the handlers by task type and remembers when the
// last one of each type finished.
type taskTimer struct {
	mu    sync.Mutex
	types map[string]*taskStat
}

type taskStat struct {
	opStat
	Errors   int
	LastDone time.Time
}

func newTaskTimer() *taskTimer { return &taskTimer{types: map[string]*taskStat{}} }

func (tt *taskTimer) middleware(next asynq.Handler) asynq.Handler {
	return asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) error {
		start := time.Now()
		err := next.ProcessTask(ctx, t)
		took := time.Since(start)
		tt.mu.Lock()
		defer tt.mu.Unlock()
		s := tt.types[t.Type()]
		if s == nil {
			s = &taskStat{opStat: opStat{Key: t.Type()}}
			tt.types[t.Type()] = s
		}
		s.N++
		s.Total += took
		s.Max = max(s.Max, took)
		s.LastDone = time.Now()
		if err != nil {
			s.Errors++
		}
		return err
	})
}

// stat returns a copy of one type's figures.
func (tt *taskTimer) stat(typ string) taskStat {
	tt.mu.Lock()
	defer tt.mu.Unlock()
	if s := tt.types[typ]; s != nil {
		return *s
	}
	return taskStat{opStat: opStat{Key: typ}}
}

// countingNotifier passes batches to the outbox and counts the messages it accepted, which
// gives a progress figure without querying the (single-connection) database.
type countingNotifier struct {
	next interface {
		bots.Notifier
		bots.BatchNotifier
	}
	sent atomic.Int64
}

// Send implements bots.Notifier.
func (c *countingNotifier) Send(ctx context.Context, m bots.Message) (string, error) {
	id, err := c.next.Send(ctx, m)
	if err == nil {
		c.sent.Add(1)
	}
	return id, err
}

// SendBatch implements bots.BatchNotifier.
func (c *countingNotifier) SendBatch(ctx context.Context, msgs []bots.Message) ([]string, error) {
	ids, err := c.next.SendBatch(ctx, msgs)
	if err == nil {
		c.sent.Add(int64(len(msgs)))
	}
	return ids, err
}

// instantNotifier is the "instant fake channel": it accepts every message at once and
// keeps nothing, so a run measures kehou's broadcast without the outbox's own inserts.
type instantNotifier struct{ n atomic.Int64 }

// Send implements bots.Notifier.
func (f *instantNotifier) Send(context.Context, bots.Message) (string, error) {
	return fmt.Sprintf("instant-%d", f.n.Add(1)), nil
}

// SendBatch implements bots.BatchNotifier.
func (f *instantNotifier) SendBatch(_ context.Context, msgs []bots.Message) ([]string, error) {
	ids := make([]string, len(msgs))
	for i := range msgs {
		ids[i] = fmt.Sprintf("instant-%d", f.n.Add(1))
	}
	return ids, nil
}

// printOps writes the database time table.
func printOps(w io.Writer, ops []opStat, total, wall time.Duration) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "command\tcalls\ttotal\tmean\tmax\tshare of wall\t\n")
	for _, o := range ops {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%.0f%%\t\n", o.Key, o.N, round(o.Total), round(o.Total/time.Duration(max(o.N, 1))),
			round(o.Max), 100*o.Total.Seconds()/max(wall.Seconds(), 1e-9))
	}
	fmt.Fprintf(tw, "all commands\t\t%s\t\t\t%.0f%%\t\n", round(total), 100*total.Seconds()/max(wall.Seconds(), 1e-9))
	tw.Flush()
}

// round shortens a duration for tables.
func round(d time.Duration) time.Duration {
	switch {
	case d >= 10*time.Second:
		return d.Round(100 * time.Millisecond)
	case d >= time.Second:
		return d.Round(10 * time.Millisecond)
	case d >= time.Millisecond:
		return d.Round(10 * time.Microsecond)
	}
	return d.Round(time.Microsecond)
}
