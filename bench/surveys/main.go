// Command surveys measures survey ingest, with real Redis and the embedded store (FerretDB):
//
//	go run ./bench/surveys -parents 5000 -c 200 -persist 100000 -redis 127.0.0.1:6379 -redis-db 10
//
// HTTP phase: -parents simulated parents, each signed in, open a survey
// (GET /api/v1/mp/surveys/{id}), then answer each of -surveys open surveys (POST …/answers)
// through the real API, -c at a time.
// The same bodies go to a baseline endpoint in the same process that does the essential work
// (decodes the same JSON and calls asynq's Enqueue once, on the same Redis client), in -rounds
// rounds that alternate the two (each round answers surveys of its own). Reported per round:
// accepted answers per second, p50/p99 latency, and Redis commands and round trips per answer
// (counted by a hook on the Redis client); then the ratio of the median rounds' throughput.
//
// Persist phase: -persist answers are queued as the API queues them (survey:answer tasks with
// their task ids, plus 1 % repeats); then a worker with the production configuration stores
// them, timed from its start to the last answer in MongoDB, against one plain InsertMany of the
// same documents into a collection with the same indexes. Lost and duplicated answers are
// counted, not assumed.
package main

import (
	"context"
	"crypto/rand"
	"flag"
	"fmt"
	"io"
	"log"
	"log/slog"
	"os"
	"time"

	"github.com/redis/go-redis/v9"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"kehou/bench/internal/cost"
	"kehou/bench/internal/loadrig"
	"kehou/devstack"
	"kehou/store"
	"kehou/store/engine"
)

type settings struct {
	parents     int
	concurrency int
	persist     int
	workers     int
	redisAddr   string
	redisDB     int
	dataDir     string
	cpuProfile  string
	surveys     int
	rounds      int
	tuning      engine.Tuning // -switches
}

type bench struct {
	opts   settings
	rdb    *redis.Client
	client *mongo.Client
	uri    string
	mdb    *mongo.Database
	st     *store.Store
	stack  *devstack.Stack
	log    *slog.Logger
	meters
}

func main() {
	var o settings
	flag.IntVar(&o.parents, "parents", 5000, "parents in the HTTP phase (each submits once)")
	flag.IntVar(&o.concurrency, "c", 200, "concurrent HTTP clients")
	flag.IntVar(&o.surveys, "surveys", 5, "open surveys in the HTTP phase; every parent answers each")
	flag.IntVar(&o.rounds, "rounds", 3, "rounds of bare then real submissions (medians are reported)")
	flag.IntVar(&o.persist, "persist", 100000, "answers in the persist phase (0 skips it)")
	flag.IntVar(&o.workers, "workers", 10, "asynq worker concurrency in the persist phase")
	flag.StringVar(&o.redisAddr, "redis", "127.0.0.1:6379", "address of a real Redis server")
	flag.IntVar(&o.redisDB, "redis-db", 10, "Redis database to use (flushed; 0-3 are refused, tests use them)")
	flag.StringVar(&o.dataDir, "dir", "", "parent of the embedded store's temporary data directory")
	flag.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of the first round's submissions to this file (and FILE.allocs0, FILE.allocs)")
	switches := cost.SwitchesFlag()
	flag.Parse()
	var err error
	if o.tuning, err = switches(); err != nil {
		log.Fatalf("surveys: %v", err)
	}
	devstack.TuneGC() // as kehou does when it embeds the stand-ins
	log.SetFlags(log.Ltime | log.Lmicroseconds)
	if o.redisDB >= 0 && o.redisDB <= 3 {
		log.Fatalf("surveys: refusing Redis database %d: 0-3 belong to the tests and the app", o.redisDB)
	}
	o.rounds = max(o.rounds, 1)
	if err := run(o); err != nil {
		log.Fatalf("surveys: %v", err)
	}
}

func run(o settings) error {
	ctx := context.Background()
	b := &bench{opts: o, log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	b.rdb = redis.NewClient(&redis.Options{Addr: o.redisAddr, DB: o.redisDB, PoolSize: o.concurrency + 50})
	defer b.rdb.Close()
	defer b.meter(o).Close()
	if err := b.rdb.FlushDB(ctx).Err(); err != nil {
		return fmt.Errorf("redis at %s: %w", o.redisAddr, err)
	}
	dir, err := os.MkdirTemp(o.dataDir, "kehou-bench-surveys-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	stack, err := devstack.Start(ctx, devstack.Options{Dir: dir, Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})), SnapshotEvery: -1})
	if err != nil {
		return fmt.Errorf("start embedded store: %w", err)
	}
	defer stack.Close()
	b.uri, b.stack = stack.MongoURI(), stack
	if b.client, err = mongo.Connect(devstack.MongoClientOptions(b.uri).SetMonitor(b.cost.Monitor(nil))); err != nil {
		return err
	}
	defer b.client.Disconnect(context.Background())
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	b.mdb = b.client.Database("bench")
	if b.st, err = store.New(b.mdb, key); err != nil {
		return err
	}
	b.st.SetTuning(o.tuning)
	if err := b.st.EnsureIndexes(ctx); err != nil {
		return err
	}
	if err := stack.IndexIDs(ctx, "bench"); err != nil { // as kehou run does on the embedded store
		return err
	}

	var rep report
	if o.parents > 0 {
		if rep.http, err = b.httpPhase(ctx); err != nil {
			return fmt.Errorf("http phase: %w", err)
		}
	}
	if o.persist > 0 {
		if rep.persist, err = b.persistPhase(ctx); err != nil {
			return fmt.Errorf("persist phase: %w", err)
		}
	}
	rep.print(os.Stdout, o)
	b.printCost(os.Stdout)
	return nil
}

func round(d time.Duration) time.Duration { return loadrig.Round(d) }
