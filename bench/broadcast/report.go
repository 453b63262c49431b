package main

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"kehou/bench/internal/memwatch"
)

// report gathers every phase's figures for the summary.
type report struct {
	opts    settings
	bareRan bool
	bare    bareResult
	bareMem memwatch.Peak
	seed    seeded
	seedErr error
	seedMem memwatch.Peak
	bcRan   bool
	bc      bcResult
}

// print writes the plain-text summary.
func (r *report) print(w io.Writer) {
	o := r.opts
	fmt.Fprintf(w, "\n== kehou broadcast benchmark ==\n")
	fmt.Fprintf(w, "n=%d concurrency=%d GOMAXPROCS=%d NumCPU=%d %s redis=%s db %d fanout-batch=%s send-chunk=%s channel=%s data=%s switches=%+v\n\n",
		o.n, o.concurrency, runtime.GOMAXPROCS(0), runtime.NumCPU(), runtime.Version(), o.redisAddr, o.redisDB,
		orDefault(o.fanoutBatch), orDefault(o.sendChunk), o.channel, dataDir(o.dataDir), o.tuning)

	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "phase\telapsed\tthroughput\tpeak heap\tpeak RSS\tVmHWM\tnote\n")
	if r.bareRan {
		note := "queue drained"
		if !r.bare.Done {
			note = fmt.Sprintf("NOT DONE: %d of %d processed", r.bare.Processed, o.n)
		}
		fmt.Fprintf(tw, "bare asynq\t%s\t%s tasks/s\t%s\t%s\t%s\t%s\n", round(r.bare.Elapsed), rate(r.bare.Processed, r.bare.Elapsed),
			memwatch.MiB(r.bareMem.Heap), memwatch.MiB(r.bareMem.RSS), hwm(r.bareMem), note)
	}
	note := "not measured"
	if r.seedErr != nil {
		note = "FAILED: " + r.seedErr.Error()
	}
	fmt.Fprintf(tw, "seeding\t%s\t%s pupils/s\t%s\t%s\t%s\t%s\n", round(r.seed.Total), rate(o.n, r.seed.Total),
		memwatch.MiB(r.seedMem.Heap), memwatch.MiB(r.seedMem.RSS), hwm(r.seedMem), note)
	if r.bcRan {
		bc := r.bc
		if bc.Done {
			fmt.Fprintf(tw, "broadcast\t%s\t%s deliveries/s\t%s\t%s\t%s\t%s\n", round(bc.LastSent), rate(bc.Recorded, bc.LastSent),
				memwatch.MiB(bc.Mem.Heap), memwatch.MiB(bc.Mem.RSS), hwm(bc.Mem), "send → last delivery recorded")
		} else {
			fmt.Fprintf(tw, "broadcast\t%s\t%s deliveries/s\t%s\t%s\t%s\tNOT DONE: %d of %d recorded when stopped\n",
				round(bc.Detected), rate(bc.Recorded, bc.Detected), memwatch.MiB(bc.Mem.Heap), memwatch.MiB(bc.Mem.RSS), hwm(bc.Mem), bc.Recorded, o.n)
		}
	}
	tw.Flush()

	if len(r.seed.Steps) > 0 {
		var steps []string
		for _, s := range r.seed.Steps {
			steps = append(steps, fmt.Sprintf("%s %s", s.Name, round(s.Took)))
		}
		fmt.Fprintf(w, "\nseeding steps: %s\n", strings.Join(steps, ", "))
	}
	if r.bareRan {
		fmt.Fprintf(w, "bare asynq: enqueueing the %d tasks took %s (not measured); %d processed\n", o.n, round(r.bare.Enqueue), r.bare.Processed)
	}
	if r.bcRan {
		r.printBroadcast(w)
	}
}

func (r *report) printBroadcast(w io.Writer) {
	bc := r.bc
	fmt.Fprintf(w, "\nbroadcast (times from send):\n")
	fmt.Fprintf(w, "  deliveries by status: %s; reasons: %v\n", statusLine(bc.Report.Channels), bc.Report.Reasons)
	if bc.FanoutDone > 0 {
		fmt.Fprintf(w, "  fan-out: %d task(s), finished at %s\n", bc.Fanout.N, round(bc.FanoutDone))
	} else {
		fmt.Fprintf(w, "  fan-out: %d run(s), %d error(s), not finished\n", bc.Fanout.N, bc.Fanout.Errors)
	}
	if bc.Send.N > 0 {
		fmt.Fprintf(w, "  send tasks: %d run, %d errors, mean %s, max %s\n", bc.Send.N, bc.Send.Errors,
			round(bc.Send.Total/time.Duration(bc.Send.N)), round(bc.Send.Max))
	}
	end := "the 1 s poll saw the end at"
	if !bc.Done {
		end = "stopped (workers shut down, their tasks cancelled) at"
	}
	fmt.Fprintf(w, "  first delivery recorded at %s, last at %s; %s %s\n", round(bc.FirstSent), round(bc.LastSent), end, round(bc.Detected))
	if r.bareRan && r.bare.Done && bc.Done && bc.LastSent > 0 {
		bcRate := float64(bc.Recorded) / bc.LastSent.Seconds()
		bareRate := float64(r.bare.Processed) / r.bare.Elapsed.Seconds()
		verdict := "met"
		if bcRate < bareRate {
			verdict = "NOT met"
		}
		fmt.Fprintf(w, "  target (deliveries/s ≥ bare asynq tasks/s): %.0f vs %.0f = %.2f×, %s\n", bcRate, bareRate, bcRate/bareRate, verdict)
	}
	fmt.Fprintln(w)
	bc.Cost.Fprint(w, "engine-neutral cost of the broadcast", bc.Recorded, "delivery")
	if bc.Recorded > 0 {
		perK := 1000 * float64(bc.Cost.DBCommands) / float64(bc.Recorded)
		verdict := "met"
		if perK > 20 {
			verdict = "NOT met"
		}
		fmt.Fprintf(w, "  target (≤ 20 database commands per 1,000 deliveries): %.1f, %s\n", perK, verdict)
	}
	fmt.Fprintf(w, "\ndatabase time during the broadcast (one connection: the sum is the store's busy time):\n")
	printOps(w, bc.Ops, bc.OpsTotal, bc.OpsWall)
}

func statusLine(ch map[string]map[string]int) string {
	var parts []string
	for c, m := range ch {
		for s, n := range m {
			parts = append(parts, fmt.Sprintf("%s %s=%d", c, s, n))
		}
	}
	sort.Strings(parts)
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

func rate(n int, d time.Duration) string {
	if d <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.0f", float64(n)/d.Seconds())
}

func hwm(p memwatch.Peak) string {
	if p.Reset {
		return memwatch.MiB(p.HWM)
	}
	return memwatch.MiB(p.HWM) + " (since start)"
}

func orDefault(v int) string {
	if v > 0 {
		return fmt.Sprint(v)
	}
	return "default"
}

func dataDir(d string) string {
	if d == "" {
		return os.TempDir()
	}
	return d
}
