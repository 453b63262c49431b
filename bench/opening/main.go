// Command opening measures the opening minute of an open day: -families parents sign up at
// once for -places places across -sessions sessions, through the real API, with real Redis and
// the embedded store.
//
//	go run ./bench/opening -families 10000 -places 500 -sessions 5 -c 200 -redis 127.0.0.1:6379 -redis-db 11
//
// Every family first opens the event (as the notice's link does; measured apart), then all sign
// up, -c at a time. Reported: sign-ups handled per second, p50/p99 latency, how long until every
// family had its final answer (each answer is final: "confirmed" holds places, "waiting" is a
// place in the queue), and the places checked afterwards against the pools: confirmed must be
// exactly the places, with no child twice and no drift between pools and sign-ups.
package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net/http"
	"os"
	"runtime"
	"slices"
	"time"

	"github.com/redis/go-redis/v9"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"kehou/bench/internal/cost"
	"kehou/bench/internal/loadrig"
	"kehou/devstack"
	"kehou/models"
	"kehou/store"
	"kehou/store/engine"
)

func main() {
	families := flag.Int("families", 10000, "families signing up at once")
	places := flag.Int("places", 500, "places in all, shared equally by the sessions")
	sessions := flag.Int("sessions", 5, "sessions of the event")
	c := flag.Int("c", 200, "concurrent clients")
	redisAddr := flag.String("redis", "127.0.0.1:6379", "address of a real Redis server")
	redisDB := flag.Int("redis-db", 11, "Redis database to use (flushed; 0-3 are refused, tests use them)")
	switches := cost.SwitchesFlag()
	flag.Parse()
	log.SetFlags(log.Ltime | log.Lmicroseconds)
	tuning, err := switches()
	if err != nil {
		log.Fatalf("opening: %v", err)
	}
	if *redisDB >= 0 && *redisDB <= 3 {
		log.Fatalf("opening: refusing Redis database %d", *redisDB)
	}
	if err := run(*families, *places, *sessions, *c, *redisAddr, *redisDB, tuning); err != nil {
		log.Fatalf("opening: %v", err)
	}
}

func run(n, places, sessions, c int, redisAddr string, redisDB int, tuning engine.Tuning) error {
	ctx := context.Background()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	meter := cost.New() // on the API's clients only; the checks afterwards are not counted
	rdb := redis.NewClient(&redis.Options{Addr: redisAddr, DB: redisDB, PoolSize: c + 50})
	defer rdb.Close()
	rdb.AddHook(meter.Hook())
	if err := rdb.FlushDB(ctx).Err(); err != nil {
		return fmt.Errorf("redis at %s: %w", redisAddr, err)
	}
	dir, err := os.MkdirTemp("", "kehou-bench-opening-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	stack, err := devstack.Start(ctx, devstack.Options{Dir: dir, Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})), SnapshotEvery: -1})
	if err != nil {
		return err
	}
	defer stack.Close()
	client, err := mongo.Connect(devstack.MongoClientOptions(stack.MongoURI()).SetMonitor(meter.Monitor(nil)))
	if err != nil {
		return err
	}
	defer client.Disconnect(context.Background())
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	db := client.Database("bench")
	st, err := store.New(db, key)
	if err != nil {
		return err
	}
	st.SetTuning(tuning)
	if err := st.EnsureIndexes(ctx); err != nil {
		return err
	}
	if err := stack.IndexIDs(ctx, "bench"); err != nil { // as kehou run does on the embedded store
		return err
	}

	start := time.Now()
	parents, school, err := loadrig.SeedParents(ctx, st, db, n, func(int) int { return 3 })
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	e := models.Event{CountyID: school.CountyID, SchoolID: school.ID, Sender: school.Name, AuthorID: "bench", Title: "三年级家长开放日",
		Place: "学校礼堂", Audience: models.Audience{Kind: models.AudienceGrades, Grades: []int{3}},
		SignupOpens: now.Add(-time.Minute), SignupCloses: now.Add(24 * time.Hour)}
	for i := range sessions {
		at := now.Add(time.Duration(48+i*2) * time.Hour)
		e.Sessions = append(e.Sessions, models.EventSession{Label: fmt.Sprintf("第%d场", i+1), StartsAt: at, EndsAt: at.Add(time.Hour),
			Capacity: places / sessions})
	}
	if err := st.CreateEvent(ctx, &e); err != nil {
		return err
	}
	if err := st.SetEventStatus(ctx, e.ID, models.EventPublished, models.EventDraft); err != nil {
		return err
	}
	log.Printf("seeded %d families and an event of %d sessions × %d places in %s", n, sessions, places/sessions, loadrig.Round(time.Since(start)))

	urls, stop, err := loadrig.API(ctx, st, rdb, quiet)
	if err != nil {
		return err
	}
	defer stop()
	base := urls[0] + "/api/v1/mp/events/" + e.ID
	hc := &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{MaxIdleConns: 1000, MaxIdleConnsPerHost: 1000}}
	before := meter.Read()
	open := loadrig.Drive(hc, c, "GET  /api/v1/mp/events/{id}", n, func(i int) *http.Request {
		r, _ := http.NewRequest(http.MethodGet, base, nil)
		r.Header.Set("Authorization", "Bearer "+parents[i].Token)
		return r
	})
	bodies := make([][]byte, n)
	for i, p := range parents {
		bodies[i], _ = json.Marshal(map[string]any{"child_id": p.ChildID, "session_id": e.Sessions[i%sessions].ID})
	}
	openCost := meter.Read().Since(before)
	before = meter.Read()
	signups := loadrig.Drive(hc, c, "POST /api/v1/mp/events/{id}/signups", n, func(i int) *http.Request {
		return loadrig.Post(base+"/signups", parents[i].Token, bodies[i])
	})
	signupCost := meter.Read().Since(before)

	// Check the outcome against the store.
	confirmed, waiting, drift := 0, 0, 0
	cur, err := db.Collection("signups").Find(ctx, bson.M{"owner_id": e.ID})
	if err != nil {
		return err
	}
	var all []models.SignUp
	if err := cur.All(ctx, &all); err != nil {
		return err
	}
	children := map[string]int{}
	for _, su := range all {
		children[su.ChildID]++
		switch su.Status {
		case models.SignUpConfirmed:
			confirmed += su.Places
		case models.SignUpWaiting:
			waiting++
		}
	}
	twice := 0
	for _, k := range children {
		if k > 1 {
			twice++
		}
	}
	for _, ses := range e.Sessions {
		p, err := st.Pool(ctx, ses.ID)
		if err != nil {
			return err
		}
		held := 0
		for _, su := range all {
			if su.PoolID == ses.ID && su.Status == models.SignUpConfirmed {
				held += su.Places
				if !slices.Contains(p.Holders, su.ID) {
					drift++
				}
			}
		}
		if held != p.Held() || len(p.Holders) > p.Capacity {
			drift++
		}
	}

	w := os.Stdout
	fmt.Fprintf(w, "\nopening minute — %d CPUs, %s, real Redis %s, embedded store (FerretDB v1 on SQLite)\n", runtime.NumCPU(), runtime.Version(), redisAddr)
	fmt.Fprintf(w, "%d families, %d places in %d sessions, %d concurrent clients, switches %+v\n\n", n, places, sessions, c, tuning)
	fmt.Fprintf(w, "%-40s %8s %8s %9s %10s %10s %s\n", "endpoint", "ok", "errors", "ok/s", "p50", "p99", "other statuses")
	for _, l := range []loadrig.Load{open, signups} {
		fmt.Fprintf(w, "%-40s %8d %8d %9.0f %10s %10s %v\n", l.Name, l.Accepted, l.Errors, l.PerSecond, loadrig.Round(l.P50), loadrig.Round(l.P99), l.Other)
	}
	fmt.Fprintf(w, "\nevery family had its final answer %s after the first sign-up was sent\n", loadrig.Round(signups.Took))
	fmt.Fprintf(w, "places confirmed: %d (must be %d); waiting: %d; children signed up twice: %d; drift between pools and sign-ups: %d\n",
		confirmed, places/sessions*sessions, waiting, twice, drift)
	fmt.Fprintln(w)
	openCost.Fprint(w, "engine-neutral cost of opening the event", open.Accepted, "open")
	signupCost.Fprint(w, "engine-neutral cost of signing up", signups.Accepted, "sign-up")
	return nil
}
