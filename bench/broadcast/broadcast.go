package main

import (
	"context"
	"fmt"
	"log"
	"slices"
	"time"

	"github.com/hibiken/asynq"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"kehou/bench/internal/cost"
	"kehou/bench/internal/memwatch"
	"kehou/bots"
	"kehou/bots/outbox"
	"kehou/config"
	"kehou/jobs"
	"kehou/models"
	"kehou/store"
)

// bcResult is the broadcast measurement. Durations are from the moment the fan-out task was
// enqueued ("send").
type bcResult struct {
	Done       bool // the notice settled before the deadline
	Recorded   int  // deliveries recorded as sent
	Report     store.NoticeReport
	FirstSent  time.Duration // first delivery recorded as sent
	LastSent   time.Duration // last delivery recorded as sent: the headline figure
	Detected   time.Duration // when the 1 s poll saw the notice settled (or the deadline came)
	FanoutDone time.Duration // the fan-out handler returned
	Fanout     taskStat
	Send       taskStat
	Ops        []opStat // database time by command, during the broadcast
	OpsTotal   time.Duration
	OpsWall    time.Duration
	Mem        memwatch.Peak // from the start of the phase until the end was seen, not the queries after
	Cost       cost.Counts   // the workers' commands from send until the end was seen
}

// runBroadcast sends one notice to every guardian of the seeded school on the SMS channel, with
// the outbox standing in for the provider (SMS needs no consent, and an interval and daily
// limit of 0 switch the per-number limits off while keeping their Redis round trip), and
// waits until every delivery is recorded.
func (b *bench) runBroadcast(ctx context.Context, school models.School, mem *memwatch.Sampler) (bcResult, error) {
	var res bcResult
	if err := b.rdb.FlushDB(ctx).Err(); err != nil {
		return res, fmt.Errorf("flush redis: %w", err)
	}
	client := asynq.NewClientFromRedisClient(b.rdb)
	defer client.Close()
	sink := &countingNotifier{next: outbox.New(models.ChannelSMS, jobs.OutboxSink{Store: b.st})}
	if b.opts.channel == "instant" {
		sink = &countingNotifier{next: &instantNotifier{}}
	}
	h := &jobs.Handlers{Store: b.st, Log: b.log, Queue: client, Redis: b.rdb,
		Notifiers:    map[string]bots.Notifier{models.ChannelSMS: sink},
		SMSTemplates: map[string]config.SMSTemplate{models.NoticeGeneral: {TemplateID: "100001", Params: []string{"school", "title"}}},
		SMSInterval:  0, SMSDaily: 0, FanoutBatch: b.opts.fanoutBatch, SendChunk: b.opts.sendChunk,
	}
	timer := newTaskTimer()
	srv := asynq.NewServerFromRedisClient(b.rdb, asynq.Config{Concurrency: b.opts.concurrency, Queues: jobs.QueueWeights,
		LogLevel: asynq.WarnLevel, RetryDelayFunc: jobs.RetryDelay(2 * time.Second), ShutdownTimeout: 5 * time.Second,
		ErrorHandler: asynq.ErrorHandlerFunc(func(_ context.Context, t *asynq.Task, err error) {
			b.log.Warn("task failed", "type", t.Type(), "err", err)
		})})
	mux := asynq.NewServeMux()
	mux.Use(timer.middleware)
	h.Register(mux)
	if err := srv.Start(mux); err != nil {
		return res, fmt.Errorf("start asynq server: %w", err)
	}
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			srv.Shutdown()
		}
	}
	defer stop()

	n := models.Notice{SchoolID: school.ID, CountyID: school.CountyID, Sender: school.Name, Kind: models.NoticeGeneral,
		Title: "课后服务安排调整通知", Body: "下周起课后服务延长至18:00，请家长按时接送。", Channels: []string{models.ChannelSMS},
		Audience: models.Audience{Kind: models.AudienceScope}, Urgent: true}
	if err := b.st.CreateNotice(ctx, &n); err != nil {
		return res, err
	}
	b.db.reset()
	before := b.cost.Read()
	t0 := time.Now()
	task, opts := jobs.NewNoticeFanoutTask(n, "")
	if _, err := client.EnqueueContext(ctx, task, append(opts, asynq.ProcessIn(0))...); err != nil {
		return res, fmt.Errorf("enqueue fan-out: %w", err)
	}
	log.Printf("broadcast: notice %s sent to %d recipients", n.ID, b.opts.n)

	done, err := b.waitSettled(ctx, n.ID, t0, sink)
	if err != nil {
		return res, err
	}
	res.Done, res.Detected = done, time.Since(t0)
	res.Cost = b.cost.Read().Since(before)
	res.Mem = mem.EndPhase()
	res.Ops, res.OpsTotal = b.db.top(12)
	res.OpsWall = res.Detected
	stop()
	res.Fanout, res.Send = timer.stat(jobs.TypeNoticeFanout), timer.stat(jobs.TypeNoticeSend)
	if res.Fanout.N > 0 && res.Fanout.Errors == 0 {
		res.FanoutDone = res.Fanout.LastDone.Sub(t0)
	}

	// The figures below come from the store after the workers stopped; on a timed-out run the
	// run's context is over, so they get one of their own.
	qctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Minute)
	defer cancel()
	if res.Report, err = b.st.Report(qctx, n.ID); err != nil {
		return res, err
	}
	res.Recorded = res.Report.Channels[models.ChannelSMS][models.DeliverySent]
	first, last, err := sentSpan(qctx, b.mdb, n.ID)
	if err != nil {
		return res, err
	}
	if !first.IsZero() {
		res.FirstSent, res.LastSent = first.Sub(t0), last.Sub(t0)
	}
	return res, nil
}

// waitSettled polls the notice once a second until it is fanned out and no delivery is open;
// false when the run's context ended first. It polls over connections of its own (obs, probe),
// gently, and counts progress from the outbox wrapper instead.
func (b *bench) waitSettled(ctx context.Context, id string, t0 time.Time, sink *countingNotifier) (bool, error) {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	lastLog := t0
	insp := asynq.NewInspectorFromRedisClient(b.probe)
	for {
		select {
		case <-ctx.Done():
			log.Printf("broadcast: stopped after %s (%v)", round(time.Since(t0)), context.Cause(ctx))
			return false, nil
		case <-tick.C:
		}
		got, err := b.obs.Notice(ctx, id)
		if ctx.Err() != nil {
			continue // the deadline: reported by the select above
		}
		if err != nil {
			return false, err
		}
		if time.Since(lastLog) >= 10*time.Second {
			lastLog = time.Now()
			el := time.Since(t0)
			log.Printf("broadcast: %s: notice %s, %d fan-out batches, %d recipients; %d messages in the outbox (%.0f/s)",
				round(el), got.Status, got.FanoutBatches, got.Targeted, sink.sent.Load(), float64(sink.sent.Load())/el.Seconds())
		}
		if got.Status != models.NoticeSent {
			continue
		}
		// Counting open deliveries reads every send batch on the embedded store (about 60 KB
		// each while open): ask only once the queue has nothing left to run.
		if qi, err := insp.GetQueueInfo(jobs.QueueBulk); err != nil ||
			qi.Pending+qi.Active+qi.Scheduled+qi.Retry+qi.Aggregating > 0 {
			continue
		}
		open, err := b.obs.OpenDeliveries(ctx, id)
		if ctx.Err() != nil {
			continue
		}
		if err != nil {
			return false, err
		}
		if open == 0 {
			return true, nil
		}
	}
}

// sentSpan returns when the notice's first and last deliveries were recorded as sent.
func sentSpan(ctx context.Context, db *mongo.Database, noticeID string) (first, last time.Time, err error) {
	cur, err := db.Collection("delivery_records").Find(ctx, bson.M{"notice_id": noticeID},
		options.Find().SetProjection(bson.M{"at": 1, "outcomes": 1}))
	if err != nil {
		return first, last, fmt.Errorf("delivery records: %w", err)
	}
	var recs []models.DeliveryRecord
	if err := cur.All(ctx, &recs); err != nil {
		return first, last, fmt.Errorf("delivery records: %w", err)
	}
	for _, r := range recs {
		if !slices.ContainsFunc(r.Outcomes, func(o models.DeliveryOutcome) bool { return o.Status == models.DeliverySent }) {
			continue
		}
		if first.IsZero() || r.At.Before(first) {
			first = r.At
		}
		if r.At.After(last) {
			last = r.At
		}
	}
	return first, last, nil
}
