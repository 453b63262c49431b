// Command report measures the monthly report on a year of a city's data in the embedded store:
//
//	go run ./bench/report -schools 1000 -families 200000
//
// It generates the year (not timed): counties and schools with plans, one pupil and one bound
// family per family, quarterly satisfaction surveys answered by a share of the families, notices
// with a receipt per family and confirmations, two open days per school with sign-ups, summer
// care with enrolments and volunteer shifts, and complaints through the year. Then it builds
// one month's report the way report:monthly does (report.Builder.BuildTraced) and reports the time
// and the peak memory of the build: the Go heap and the process RSS (FerretDB's SQLite runs in
// the process, outside the Go heap).
//
// With -keep DIR the data go into DIR, laid out as `kehou run` lays out KEHOU_DATA_DIR (the
// database "kehou", the secret key in DIR/secret.key) and the built report is stored, so that
// `KEHOU_DATA_DIR=DIR kehou run` serves the city (bench/README.md, "Console at city scale").
package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"flag"
	"fmt"
	"log"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"kehou/bench/internal/cost"
	"kehou/bench/internal/memwatch"
	"kehou/devstack"
	"kehou/report"
	"kehou/store"
	"kehou/store/engine"
)

type settings struct {
	schools, families int
	surveys           int     // in the year
	answerShare       float64 // of families answering each survey
	notices           int     // per school in the year, each to all its families
	complaints        int
	month             string
	dir               string
	keep              string        // the data directory to fill and keep, for kehou run
	tuning            engine.Tuning // -switches
}

func main() {
	var o settings
	flag.IntVar(&o.schools, "schools", 1000, "schools (in 10 counties)")
	flag.IntVar(&o.families, "families", 200000, "families (one pupil each)")
	flag.IntVar(&o.surveys, "surveys", 4, "city-wide satisfaction surveys in the year")
	flag.Float64Var(&o.answerShare, "answer-share", 0.3, "share of families answering each survey")
	flag.IntVar(&o.notices, "notices", 6, "notices per school in the year, each to all its families")
	flag.IntVar(&o.complaints, "complaints", 5000, "complaints in the year")
	flag.StringVar(&o.month, "month", "2026-06", "the month whose report is built (the year is 2025-07 … 2026-06)")
	flag.StringVar(&o.dir, "dir", "", "parent of the embedded store's temporary directory")
	flag.StringVar(&o.keep, "keep", "", "fill this new data directory instead, keep it and store the report: `KEHOU_DATA_DIR` for kehou run")
	switches := cost.SwitchesFlag()
	flag.Parse()
	log.SetFlags(log.Ltime)
	var err error
	if o.tuning, err = switches(); err != nil {
		log.Fatalf("report: %v", err)
	}
	if err := run(o); err != nil {
		log.Fatalf("report: %v", err)
	}
}

func run(o settings) error {
	ctx := context.Background()
	dir, dbName := o.keep, "kehou" // kehou run's KEHOU_MONGO_DB default
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	if dir != "" {
		if err := os.Mkdir(dir, 0o700); err != nil {
			return fmt.Errorf("-keep wants a new directory: %w", err)
		}
		// kehou run reads its key from here, so that the encrypted fields stay readable.
		if err := os.WriteFile(filepath.Join(dir, "secret.key"), []byte(base64.StdEncoding.EncodeToString(key)+"\n"), 0o600); err != nil {
			return err
		}
	} else {
		var err error
		if dir, err = os.MkdirTemp(o.dir, "kehou-report-"); err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		dbName = "bench"
	}
	quiet := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	stack, err := devstack.Start(ctx, devstack.Options{Dir: dir, Logger: quiet, SnapshotEvery: -1})
	if err != nil {
		return err
	}
	defer stack.Close()
	meter := cost.New()
	client, err := mongo.Connect(devstack.MongoClientOptions(stack.MongoURI()).SetServerSelectionTimeout(10 * time.Minute).SetMonitor(meter.Monitor(nil)))
	if err != nil {
		return err
	}
	defer client.Disconnect(ctx)
	db := client.Database(dbName)
	st, err := store.New(db, key)
	if err != nil {
		return err
	}
	st.SetTuning(o.tuning)
	if err := st.EnsureIndexes(ctx); err != nil {
		return err
	}
	if err := stack.IndexIDs(ctx, dbName); err != nil { // as kehou run does on the embedded store
		return err
	}
	mem := memwatch.Start(50 * time.Millisecond)
	defer mem.Close()

	mem.StartPhase()
	start := time.Now()
	counts, err := generate(ctx, db, st, o)
	if err != nil {
		return err
	}
	genMem := mem.EndPhase()
	log.Printf("generated in %s: %v", time.Since(start).Round(time.Second), counts)
	// The generator writes in bulk around the store, so the report counters that the store
	// keeps as data is written are rebuilt from the data (kehou recount).
	start = time.Now()
	if err := st.RecountReports(ctx); err != nil {
		return err
	}
	recount := time.Since(start)
	log.Printf("report counters rebuilt from the data in %s (kehou recount; not part of the build)", recount.Round(100*time.Millisecond))

	mem.StartPhase()
	before := meter.Read()
	start = time.Now()
	var steps []string
	r, err := report.New(st).BuildTraced(ctx, o.month, func(step string, d time.Duration) {
		steps = append(steps, fmt.Sprintf("%s %.1f s", step, d.Seconds()))
	})
	took := time.Since(start)
	buildMem := mem.EndPhase()
	buildCost := meter.Read().Since(before)
	if err != nil {
		return err
	}
	if o.keep != "" {
		if err := st.InsertMonthlyReport(ctx, r); err != nil {
			return err
		}
		log.Printf("kept %s with the report of %s: KEHOU_DATA_DIR=%s kehou run", o.keep, o.month, o.keep)
	}
	fmt.Printf("\nsteps: %v\n", steps)
	f := r.City
	fmt.Printf("\nmonthly report %s for %d schools, %d families, switches %+v (a year of data: %v)\n", o.month, o.schools, o.families, o.tuning, counts)
	fmt.Printf("  build: %.1f s   peak heap %s   peak RSS %s   VmHWM %s (generation: heap %s, RSS %s; recount %.1f s)\n", took.Seconds(),
		memwatch.MiB(buildMem.Heap), memwatch.MiB(buildMem.RSS), memwatch.MiB(buildMem.HWM), memwatch.MiB(genMem.Heap), memwatch.MiB(genMem.RSS), recount.Seconds())
	fmt.Printf("  city figures: schools %d, pupils %d, families %d, survey answers %d (satisfied %d of %d), notices %d, confirmations %d, "+
		"open-day sign-ups %d, care enrolled %d of %d, volunteer minutes %d, complaints new %d closed %d overdue %d\n",
		f.Schools, f.Pupils, f.Families, f.SurveyResponses, f.Satisfied, f.Rated, f.NoticesSent, f.NoticesConfirmed,
		f.OpenDaySignUps, f.CareEnrolled, f.CarePlaces, f.VolunteerMinutes, f.ComplaintsNew, f.ComplaintsClosed, f.ComplaintsOverdue)
	fmt.Println()
	buildCost.Fprint(os.Stdout, "engine-neutral cost of the build", o.schools, "school")
	return nil
}

// insertAll inserts documents in unordered chunks.
func insertAll(ctx context.Context, c *mongo.Collection, docs []any) error {
	for i := 0; i < len(docs); i += 5000 {
		if _, err := c.InsertMany(ctx, docs[i:min(i+5000, len(docs))], options.InsertMany().SetOrdered(false)); err != nil {
			return fmt.Errorf("insert %s: %w", c.Name(), err)
		}
	}
	return nil
}
