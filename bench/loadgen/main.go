// Command loadgen drives a running kehou with concurrent virtual users and prints a plain-text
// summary: requests per second, latency percentiles and status codes per endpoint, with rate
// limiting (429) reported apart from other failures.
//
//	go run ./bench/loadgen -base http://127.0.0.1:8080 -scenario login -c 50 -d 30s
//
// It expects a server in sandbox mode with the demo city seeded (`make run`), started with the
// KEHOU_RATE_* limits raised; see bench/README.md. It uses only the standard library.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// options are the command-line flags.
type options struct {
	base          string
	scenario      string
	concurrency   int
	duration      time.Duration
	timeout       time.Duration
	progress      time.Duration
	prefix        string
	adminUser     string
	adminPassword string
	school        string
	studentNo     string
	childName     string
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("loadgen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.base, "base", "http://127.0.0.1:8080", "base URL of the running kehou")
	fs.StringVar(&o.scenario, "scenario", "login", "login, bind or admin")
	fs.IntVar(&o.concurrency, "c", 50, "concurrent virtual users")
	fs.DurationVar(&o.duration, "d", 30*time.Second, "how long to keep starting new iterations")
	fs.DurationVar(&o.timeout, "timeout", 10*time.Second, "timeout of one request")
	fs.DurationVar(&o.progress, "progress", 5*time.Second, "print throughput to stderr this often (0: never)")
	fs.StringVar(&o.prefix, "prefix", "load", "prefix of the dev:<prefix>-<run>-<n> login codes")
	fs.StringVar(&o.adminUser, "admin-user", "admin", "staff username for the admin scenario")
	fs.StringVar(&o.adminPassword, "admin-password", "", "staff password for the admin scenario (default $KEHOU_ADMIN_PASSWORD)")
	fs.StringVar(&o.school, "school", "东湖区实验小学", "school to bind in (bind scenario)")
	fs.StringVar(&o.studentNo, "student-no", "2026010101", "student number to bind (bind scenario)")
	fs.StringVar(&o.childName, "child-name", "", "child name to bind (bind scenario; default: the demo child, found by trying its known names)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if o.concurrency < 1 || o.duration <= 0 || o.timeout <= 0 {
		return o, errors.New("-c, -d and -timeout must be positive")
	}
	if o.adminPassword == "" {
		// Read here rather than as the flag's default, so that -h does not print the password.
		o.adminPassword = os.Getenv("KEHOU_ADMIN_PASSWORD")
	}
	o.base = strings.TrimRight(o.base, "/")
	return o, nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	var sc scenario
	switch o.scenario {
	case "login":
		sc = &loginScenario{prefix: o.prefix}
	case "bind":
		sc = &bindScenario{prefix: o.prefix, school: o.school, studentNo: o.studentNo, childName: o.childName}
	case "admin":
		if o.adminPassword == "" {
			return errors.New("the admin scenario needs -admin-password (printed by the server at first start)")
		}
		sc = &adminScenario{user: o.adminUser, password: o.adminPassword}
	default:
		return fmt.Errorf("unknown scenario %q: want login, bind or admin", o.scenario)
	}
	cl := newClient(o.base, o.concurrency, o.timeout)
	// A run id keeps the dev users of one run apart from those of earlier runs, so every run
	// measures first logins and first bindings rather than repeats.
	runID := strconv.FormatInt(time.Now().UnixMilli()%1e10, 36)
	setupCtx, cancel := context.WithTimeout(ctx, time.Minute)
	err = sc.setup(setupCtx, cl, runID)
	cancel()
	if err != nil {
		return fmt.Errorf("setup of %s scenario: %w", o.scenario, err)
	}

	rep := drive(ctx, cl, sc, o.concurrency, o.duration, o.progress, stderr)
	rep.title = fmt.Sprintf("kehou loadgen  scenario=%s  base=%s  concurrency=%d  duration=%s\n%s", o.scenario, o.base, o.concurrency, o.duration, sc.about())
	rep.write(stdout)
	return nil
}

// drive runs c workers that repeat the scenario's iteration until d has passed or ctx ends.
// Requests already started at the deadline are allowed to finish and are counted; elapsed time
// runs until the last of them returns. Every progress interval it prints the throughput of the
// interval to w, which shows whether the server slows down as the run adds data.
func drive(ctx context.Context, cl *client, sc scenario, c int, d, progress time.Duration, w io.Writer) *report {
	var next, done atomic.Int64
	recs := make([]*recorder, c)
	start := time.Now()
	deadline := start.Add(d)
	var wg sync.WaitGroup
	for i := range c {
		recs[i] = newRecorder(&done)
		wg.Go(func() {
			for ctx.Err() == nil && time.Now().Before(deadline) {
				sc.iterate(cl, next.Add(1), recs[i])
			}
		})
	}
	stop := make(chan struct{})
	var pw sync.WaitGroup
	if progress > 0 {
		pw.Go(func() { reportProgress(w, &done, start, progress, stop) })
	}
	wg.Wait()
	close(stop)
	pw.Wait()
	return newReport(sc.endpoints(), recs, time.Since(start))
}

// reportProgress prints one line per interval until stop is closed.
func reportProgress(w io.Writer, done *atomic.Int64, start time.Time, every time.Duration, stop <-chan struct{}) {
	t := time.NewTicker(every)
	defer t.Stop()
	last, lastAt := int64(0), start
	for {
		select {
		case <-stop:
			return
		case now := <-t.C:
			n := done.Load()
			fmt.Fprintf(w, "  %6.1fs  %8d requests  %8.1f req/s in the last %s\n",
				now.Sub(start).Seconds(), n, float64(n-last)/now.Sub(lastAt).Seconds(), every)
			last, lastAt = n, now
		}
	}
}
