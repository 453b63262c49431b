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
	prefix        string
	adminUser     string
	adminPassword string
	school        string
	studentNo     string
	childName     string
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout)
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
	fs.StringVar(&o.prefix, "prefix", "load", "prefix of the dev:<prefix>-<run>-<n> login codes")
	fs.StringVar(&o.adminUser, "admin-user", "admin", "staff username for the admin scenario")
	fs.StringVar(&o.adminPassword, "admin-password", os.Getenv("KEHOU_ADMIN_PASSWORD"), "staff password for the admin scenario (default $KEHOU_ADMIN_PASSWORD)")
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
	o.base = strings.TrimRight(o.base, "/")
	return o, nil
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	o, err := parseFlags(args, os.Stderr)
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
	runID := strconv.FormatInt(time.Now().Unix()%1e6, 36)
	setupCtx, cancel := context.WithTimeout(ctx, time.Minute)
	err = sc.setup(setupCtx, cl, runID)
	cancel()
	if err != nil {
		return fmt.Errorf("setup of %s scenario: %w", o.scenario, err)
	}

	rep := drive(ctx, cl, sc, o.concurrency, o.duration)
	rep.title = fmt.Sprintf("kehou loadgen  scenario=%s  base=%s  concurrency=%d  duration=%s\n%s", o.scenario, o.base, o.concurrency, o.duration, sc.about())
	rep.write(stdout)
	return nil
}

// drive runs c workers that repeat the scenario's iteration until d has passed or ctx ends.
// Requests already started at the deadline are allowed to finish and are counted; elapsed time
// runs until the last of them returns.
func drive(ctx context.Context, cl *client, sc scenario, c int, d time.Duration) *report {
	var next atomic.Int64
	recs := make([]*recorder, c)
	start := time.Now()
	deadline := start.Add(d)
	var wg sync.WaitGroup
	for w := range c {
		recs[w] = newRecorder()
		wg.Go(func() {
			for ctx.Err() == nil && time.Now().Before(deadline) {
				sc.iterate(cl, next.Add(1), recs[w])
			}
		})
	}
	wg.Wait()
	return newReport(sc.endpoints(), recs, time.Since(start))
}
