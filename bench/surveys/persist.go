package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hibiken/asynq"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"kehou/devstack"
	"kehou/jobs"
	"kehou/models"
	"kehou/store"
)

type persistResult struct {
	N, Repeats, Conflicts int
	Enqueue               time.Duration
	Persist               time.Duration
	Baseline              time.Duration
	Stored, Distinct      int
	LateRepeats           int
	StoredAfterRepeats    int
	HTTPAccepted          int // answers accepted by the HTTP phase …
	HTTPStored            int // … and stored by the worker that drained them
}

func (b *bench) worker() (*asynq.Server, error) {
	srv := asynq.NewServerFromRedisClient(b.rdb, jobs.WithAggregation(asynq.Config{Concurrency: b.opts.workers,
		Queues: jobs.QueueWeights, LogLevel: asynq.WarnLevel}, b.rdb))
	mux := asynq.NewServeMux()
	(&jobs.Handlers{Store: b.st, Log: b.log, Queue: asynq.NewClientFromRedisClient(b.rdb), Redis: b.rdb}).Register(mux)
	return srv, srv.Start(mux)
}

// count counts a survey's stored answers over a connection of its own, so that polling does not
// queue behind the worker's writes on the embedded store's single connection.
func count(ctx context.Context, c *mongo.Collection, surveyID string) (int, error) {
	f := bson.M{}
	if surveyID != "" {
		f["survey_id"] = surveyID
	}
	n, err := c.CountDocuments(ctx, f)
	return int(n), err
}

// waitFor waits until the answer queue is drained (nothing pending, aggregating, running or
// waiting to retry), then counts the answers stored. The end is watched in Redis, not by
// counting in MongoDB while the worker writes: on the embedded store a filtered count reads
// every document, and counting every 250 ms took CPU from the worker being measured (the
// figures before 2026-12-01 include that). The clock stops when the drain is seen, at most
// 50 ms late.
// A drained queue with fewer than n answers stored is counted again at the next drain (an
// aggregated batch is briefly in none of the queue's counts); at the deadline the count stands.
func waitFor(ctx context.Context, in *asynq.Inspector, c *mongo.Collection, surveyID string, n int, limit time.Duration) (int, error) {
	deadline := time.Now().Add(limit)
	for {
		q, err := in.GetQueueInfo(jobs.QueueCritical)
		if err != nil {
			return 0, err
		}
		if late := time.Now().After(deadline); late || q.Pending+q.Active+q.Scheduled+q.Retry+q.Aggregating == 0 {
			got, err := count(ctx, c, surveyID)
			if err != nil || got >= n || late {
				return got, err
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (b *bench) persistPhase(ctx context.Context) (persistResult, error) {
	res := persistResult{N: b.opts.persist}
	obsClient, err := mongo.Connect(devstack.MongoClientOptions(b.uri))
	if err != nil {
		return res, err
	}
	defer obsClient.Disconnect(context.Background())
	obs := obsClient.Database("bench").Collection("survey_responses")

	inspector := asynq.NewInspectorFromRedisClient(b.probe) // uncounted: the polling is the benchmark's
	// Drain what the HTTP phase queued (answers to all its surveys), counting it.
	if b.opts.parents > 0 {
		queued := 0
		if groups, err := inspector.Groups(jobs.QueueCritical); err == nil {
			for _, g := range groups {
				queued += g.Size
			}
		}
		srv, err := b.worker()
		if err != nil {
			return res, err
		}
		res.HTTPAccepted = queued
		res.HTTPStored, err = waitFor(ctx, inspector, obs, "", queued, 5*time.Minute)
		srv.Shutdown()
		if err != nil {
			return res, err
		}
		log.Printf("persist: the HTTP phase's %d queued answers: %d stored", queued, res.HTTPStored)
	}

	now := time.Now().UTC()
	sv := models.Survey{SchoolID: "bench-school", CountyID: "bench-county", Sender: "基准实验小学", Kind: models.SurveySatisfaction,
		Title: "课后服务满意度", Audience: models.Audience{Kind: models.AudienceScope}, OpensAt: now, ClosesAt: now.Add(time.Hour), Anonymous: true}
	if err := b.st.CreateSurvey(ctx, &sv); err != nil {
		return res, err
	}
	n := res.N
	rs := make([]models.Response, n)
	receipts := make([]string, n)
	for i := range rs {
		child := fmt.Sprintf("bench-child-%07d", i)
		score := 1 + i%5
		receipts[i] = b.st.ReceiptID(sv, child)
		rs[i] = models.Response{ID: store.NewResponseID(), SurveyID: sv.ID, Respondent: b.st.RespondentKey(sv, child),
			CountyID: sv.CountyID, SchoolID: sv.SchoolID, Grade: 1 + i%6, SubmittedAt: models.StartOfDay(now),
			Answers: models.Answers{"overall": {Score: &score}, "aware": {Choice: "A"}, "suggest": {Text: "希望增加体育活动和阅读时间"}}}
	}

	// Enqueue as the API does, 1 % of them twice (a parent tapping submit again).
	res.Repeats = n / 100
	queue := asynq.NewClientFromRedisClient(b.rdb)
	start := time.Now()
	var conflicts atomic.Int64
	err = parallel(50, n+res.Repeats, func(i int) error {
		task, opts, err := jobs.NewSurveyAnswerTask(rs[i%n], receipts[i%n])
		if err != nil {
			return err
		}
		_, err = queue.EnqueueContext(ctx, task, opts...)
		if errors.Is(err, asynq.ErrTaskIDConflict) {
			conflicts.Add(1)
			return nil
		}
		return err
	})
	res.Enqueue, res.Conflicts = time.Since(start), int(conflicts.Load())
	if err != nil {
		return res, err
	}
	log.Printf("persist: %d answers enqueued (+%d repeats, %d refused by task id) in %s", n, res.Repeats, res.Conflicts, round(res.Enqueue))

	start = time.Now()
	before := b.cost.Read()
	srv, err := b.worker()
	if err != nil {
		return res, err
	}
	res.Stored, err = waitFor(ctx, inspector, obs, sv.ID, n, 30*time.Minute)
	res.Persist = time.Since(start)
	b.counted(&b.persisted, before, res.Stored)
	if err != nil {
		srv.Shutdown()
		return res, err
	}
	log.Printf("persist: %d of %d stored in %s", res.Stored, n, round(res.Persist))

	// Repeats after the answers left the queue: asynq takes them again, the index refuses them.
	res.LateRepeats = min(1000, n)
	if err := parallel(50, res.LateRepeats, func(i int) error {
		task, opts, err := jobs.NewSurveyAnswerTask(rs[i], receipts[i])
		if err != nil {
			return err
		}
		_, err = queue.EnqueueContext(ctx, task, opts...)
		if errors.Is(err, asynq.ErrTaskIDConflict) {
			return nil
		}
		return err
	}); err != nil {
		srv.Shutdown()
		return res, err
	}
	time.Sleep(5 * time.Second)
	srv.Shutdown()
	if res.StoredAfterRepeats, err = count(ctx, obs, sv.ID); err != nil {
		return res, err
	}
	if res.Distinct, err = distinct(ctx, obs, sv.ID); err != nil {
		return res, err
	}

	// The same documents, one plain InsertMany into a collection with the same indexes as
	// survey_responses (store.EnsureIndexes, and the _id index kehou run adds on this store)
	// and as many documents already in it.
	base := b.mdb.Collection("baseline_responses")
	specs, err := b.mdb.Collection("survey_responses").Indexes().ListSpecifications(ctx)
	if err != nil {
		return res, err
	}
	var same []mongo.IndexModel
	for _, sp := range specs {
		if sp.Name == "_id_" {
			continue
		}
		m := mongo.IndexModel{Keys: sp.KeysDocument}
		if sp.Unique != nil && *sp.Unique {
			m.Options = options.Index().SetUnique(true)
		}
		same = append(same, m)
	}
	if _, err := base.Indexes().CreateMany(ctx, same); err != nil {
		return res, err
	}
	if err := b.stack.IndexIDs(ctx, "bench"); err != nil {
		return res, err
	}
	// The worker wrote into a collection that already held the HTTP phase's answers; the
	// baseline collection gets as many (other survey, untimed) so both inserts meet the same
	// index sizes.
	if res.HTTPStored > 0 {
		filler := make([]any, 0, res.HTTPStored)
		for i := range res.HTTPStored {
			r := rs[i%n]
			r.ID, r.SurveyID = store.NewResponseID(), fmt.Sprintf("bench-filler-%d", i/n)
			filler = append(filler, r)
		}
		if _, err := base.InsertMany(ctx, filler); err != nil {
			return res, err
		}
	}
	docs := make([]any, n)
	for i := range rs {
		docs[i] = rs[i]
	}
	start = time.Now()
	if _, err := base.InsertMany(ctx, docs); err != nil {
		return res, err
	}
	res.Baseline = time.Since(start)
	log.Printf("persist: baseline InsertMany of %d in %s", n, round(res.Baseline))
	return res, nil
}

// distinct counts the different respondents among a survey's stored answers.
func distinct(ctx context.Context, c *mongo.Collection, surveyID string) (int, error) {
	cur, err := c.Find(ctx, bson.M{"survey_id": surveyID}, options.Find().SetProjection(bson.M{"respondent": 1}))
	if err != nil {
		return 0, err
	}
	defer cur.Close(ctx)
	seen := map[string]bool{}
	for cur.Next(ctx) {
		var d struct {
			Respondent string `bson:"respondent"`
		}
		if err := cur.Decode(&d); err != nil {
			return 0, err
		}
		seen[d.Respondent] = true
	}
	return len(seen), cur.Err()
}

// parallel runs fn(0…n-1) on workers goroutines and returns the first error.
func parallel(workers, n int, fn func(i int) error) error {
	var next atomic.Int64
	var first error
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if err := fn(i); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
					return
				}
			}
		}()
	}
	wg.Wait()
	return first
}
