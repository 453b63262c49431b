// Command broadcast measures a notice broadcast end to end: n recipients, the outbox as an
// instant channel, real Redis and the embedded store (FerretDB), against the same machine's
// bare asynq throughput (no-op tasks, same concurrency and queues) measured in the same run.
//
//	go run ./bench/broadcast -n 5000 -concurrency 10 -redis 127.0.0.1:6379 -redis-db 9
//
// It reports the time from "send" (the fan-out task enqueued) to the last delivery recorded,
// deliveries per second, the peak memory of each phase, and where the database time went.
// Seeding the audience is timed separately and is not part of the measurement.
package main

import (
	"context"
	"crypto/rand"
	"flag"
	"fmt"
	"log"
	"log/slog"
	"os"
	"os/signal"
	"runtime/pprof"
	"time"

	"github.com/redis/go-redis/v9"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"kehou/bench/internal/cost"
	"kehou/bench/internal/memwatch"
	"kehou/devstack"
	"kehou/store"
	"kehou/store/engine"
)

// settings are the command-line flags.
type settings struct {
	n           int
	concurrency int
	redisAddr   string
	redisDB     int
	timeout     time.Duration
	dataDir     string // parent of the embedded store's temporary data directory
	fanoutBatch int    // 0: the jobs package's default
	sendChunk   int    // 0: the jobs package's default
	skipBare    bool
	floor       bool   // measure only the store's floor (the inserts every broadcast needs)
	cpuProfile  string // file for a CPU profile of the broadcast phase
	verbose     bool
	channel     string
	tuning      engine.Tuning // -switches
}

// bench holds what the phases share.
type bench struct {
	opts settings
	rdb  *redis.Client
	mdb  *mongo.Database
	st   *store.Store
	db   *dbMonitor
	log  *slog.Logger

	// What the broadcast costs is counted on the workers' clients (rdb, st); the benchmark's
	// own polling goes through probe and obs, which nothing counts.
	cost  *cost.Meter
	probe *redis.Client
	obs   *store.Store
}

func main() {
	var o settings
	flag.IntVar(&o.n, "n", 1000, "recipients (pupils, each with one parent)")
	flag.IntVar(&o.concurrency, "concurrency", 10, "asynq worker concurrency, for both measurements")
	flag.StringVar(&o.redisAddr, "redis", "127.0.0.1:6379", "address of a real Redis server")
	flag.IntVar(&o.redisDB, "redis-db", 9, "Redis database to use (flushed; 0-3 are refused, tests use them)")
	flag.DurationVar(&o.timeout, "timeout", 20*time.Minute, "hard limit of the whole run; the report then says how far it got")
	flag.StringVar(&o.dataDir, "dir", "", "where the embedded store's temporary data directory goes (default $TMPDIR; /dev/shm shows the cost without fsync)")
	flag.IntVar(&o.fanoutBatch, "fanout-batch", 0, "pupils per fan-out batch (0: the jobs default)")
	flag.IntVar(&o.sendChunk, "send-chunk", 0, "deliveries per send task (0: the jobs default)")
	flag.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of the broadcast phase to this file (FerretDB runs in-process, so it shows the store's work too)")
	flag.BoolVar(&o.skipBare, "skip-bare", false, "skip the bare asynq measurement")
	flag.BoolVar(&o.floor, "floor", false, "measure only the store's floor: the receipt and delivery inserts every broadcast needs, against bare asynq")
	flag.BoolVar(&o.verbose, "v", false, "log the jobs' info messages")
	flag.StringVar(&o.channel, "channel", "outbox", "what stands in for the SMS provider: outbox (the sandbox's, one insert per send batch) or instant (accepts and keeps nothing)")
	switches := cost.SwitchesFlag()
	flag.Parse()
	var err error
	if o.tuning, err = switches(); err != nil {
		log.Fatalf("broadcast: %v", err)
	}
	devstack.TuneGC() // as kehou does when it embeds the stand-ins
	log.SetFlags(log.Ltime | log.Lmicroseconds)
	if o.n < 1 || o.concurrency < 1 {
		log.Fatal("broadcast: -n and -concurrency must be positive")
	}
	if o.channel != "outbox" && o.channel != "instant" {
		log.Fatalf("broadcast: -channel %q: want outbox or instant", o.channel)
	}
	if o.redisDB >= 0 && o.redisDB <= 3 {
		log.Fatalf("broadcast: refusing Redis database %d: databases 0-3 belong to the tests and the app; use -redis-db 9", o.redisDB)
	}
	if err := run(o); err != nil {
		log.Fatalf("broadcast: %v", err)
	}
}

func run(o settings) error {
	ctx, cancel := context.WithTimeoutCause(context.Background(), o.timeout, fmt.Errorf("the %s timeout", o.timeout))
	defer cancel()
	ctx, stopSignals := signal.NotifyContext(ctx, os.Interrupt)
	defer stopSignals()

	level := slog.LevelWarn
	if o.verbose {
		level = slog.LevelInfo
	}
	b := &bench{opts: o, db: newDBMonitor(), cost: cost.New(), log: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))}
	b.rdb = redis.NewClient(&redis.Options{Addr: o.redisAddr, DB: o.redisDB, PoolSize: max(40, 2*o.concurrency+20)})
	defer b.rdb.Close()
	b.rdb.AddHook(b.cost.Hook())
	b.probe = redis.NewClient(&redis.Options{Addr: o.redisAddr, DB: o.redisDB})
	defer b.probe.Close()
	if err := b.rdb.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("redis at %s: %w", o.redisAddr, err)
	}

	dir, err := os.MkdirTemp(o.dataDir, "kehou-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	stack, err := devstack.Start(ctx, devstack.Options{Dir: dir, Logger: b.log, SnapshotEvery: -1})
	if err != nil {
		return fmt.Errorf("start embedded store: %w", err)
	}
	defer stack.Close()
	client, err := mongo.Connect(devstack.MongoClientOptions(stack.MongoURI()).SetMonitor(b.cost.Monitor(b.db.monitor())))
	if err != nil {
		return fmt.Errorf("connect embedded store: %w", err)
	}
	defer client.Disconnect(context.Background())
	obsClient, err := mongo.Connect(devstack.MongoClientOptions(stack.MongoURI()))
	if err != nil {
		return fmt.Errorf("connect embedded store: %w", err)
	}
	defer obsClient.Disconnect(context.Background())
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	b.mdb = client.Database("bench")
	if b.st, err = store.New(b.mdb, key); err != nil {
		return err
	}
	if b.obs, err = store.New(obsClient.Database("bench"), key); err != nil {
		return err
	}
	b.st.SetTuning(o.tuning)
	b.obs.SetTuning(o.tuning)
	if err := b.st.EnsureIndexes(ctx); err != nil {
		return err
	}
	if err := stack.IndexIDs(ctx, "bench"); err != nil { // as kehou run does on the embedded store
		return err
	}

	mem := memwatch.Start(50 * time.Millisecond)
	defer mem.Close()
	var r report
	r.opts = o

	if !o.skipBare {
		mem.StartPhase()
		log.Printf("bare asynq: %d no-op tasks, concurrency %d", o.n, o.concurrency)
		r.bare, err = runBare(ctx, b.rdb, o.n, o.concurrency)
		r.bareMem, r.bareRan = mem.EndPhase(), true
		if err != nil {
			return fmt.Errorf("bare asynq: %w", err)
		}
	}

	if o.floor {
		log.Printf("floor: %d receipts and delivery records", o.n)
		f, err := runFloor(ctx, b.st, o.n, max(o.fanoutBatch, 500), max(o.sendChunk, 200))
		if err != nil {
			return fmt.Errorf("floor: %w", err)
		}
		f.print(os.Stdout, r.bare, r.bareRan)
		return nil
	}

	mem.StartPhase()
	log.Printf("seed: %d pupils, parents and guardianships", o.n)
	r.seed, err = seed(ctx, b.st, b.mdb, o.n)
	r.seedMem = mem.EndPhase()
	if err != nil {
		r.seedErr = err
		r.print(os.Stdout)
		return fmt.Errorf("seed: %w", err)
	}

	mem.StartPhase()
	stopProfile, err := startCPUProfile(o.cpuProfile)
	if err != nil {
		return err
	}
	r.bc, err = b.runBroadcast(ctx, r.seed.School, mem)
	stopProfile()
	r.bcRan = true
	r.print(os.Stdout)
	if err != nil {
		return fmt.Errorf("broadcast: %w", err)
	}
	return nil
}

// startCPUProfile starts profiling into path ("" does nothing) and returns the function that
// stops it.
func startCPUProfile(path string) (func(), error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}
