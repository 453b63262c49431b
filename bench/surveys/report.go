package main

import (
	"fmt"
	"io"
	"runtime"

	"kehou/bench/internal/loadrig"
)

type report struct {
	http    httpResult
	persist persistResult
}

func (r report) print(w io.Writer, o settings) {
	fmt.Fprintf(w, "\nsurvey ingest — %d CPUs, %s, real Redis %s, embedded store (FerretDB v1 on SQLite)\n", runtime.NumCPU(), runtime.Version(), o.redisAddr)
	if o.parents > 0 {
		h := r.http
		fmt.Fprintf(w, "\nHTTP: %d parents × %d surveys, %d concurrent clients (seeding took %s)\n", o.parents, o.surveys, o.concurrency, round(h.Seed))
		fmt.Fprintf(w, "%-44s %8s %8s %9s %10s %10s %9s %9s %s\n", "endpoint", "ok", "errors", "ok/s", "p50", "p99", "redis/ans", "trips/ans", "other statuses")
		line := func(name string, l loadrig.Load, c *unitCosts) {
			cmds, trips := "", ""
			if c != nil {
				cmds, trips = fmt.Sprintf("%.3f", c.RedisCommands), fmt.Sprintf("%.3f", c.RedisBatches)
			}
			fmt.Fprintf(w, "%-44s %8d %8d %9.0f %10s %10s %9s %9s %v\n", name, l.Accepted, l.Errors, l.PerSecond, round(l.P50), round(l.P99), cmds, trips, l.Other)
		}
		line(h.Open.Name, h.Open, nil)
		worst := 0.0
		for i := range h.Bases {
			line(fmt.Sprintf("round %d: %s", i+1, "baseline"), h.Bases[i], &h.BaseCosts[i])
			line(fmt.Sprintf("round %d: %s", i+1, "POST …/answers"), h.Gos[i], &h.GoCosts[i])
			worst = max(worst, h.GoCosts[i].RedisCommands)
		}
		line("median: "+h.Base.Name, h.Base, nil)
		line("median: "+h.Go.Name, h.Go, nil)
		if h.Base.PerSecond > 0 {
			fmt.Fprintf(w, "answers/s, real route / baseline (medians of %d rounds): %.2f (target ≥ 0.70)\n", len(h.Bases), h.Go.PerSecond/h.Base.PerSecond)
		}
		fmt.Fprintf(w, "p99 of the real route at %d concurrent parents (median round): %s (target < 100ms)\n", o.concurrency, round(h.Go.P99))
		fmt.Fprintf(w, "Redis commands per answer, real route (most of any round): %.3f (target ≤ 2)\n", worst)
	}
	if o.persist > 0 {
		p := r.persist
		fmt.Fprintf(w, "\nHTTP answers accepted (queued): %d, stored by the worker: %d\n", p.HTTPAccepted, p.HTTPStored)
		fmt.Fprintf(w, "\npersist: %d answers (+%d repeats while queued: %d refused by task id), worker concurrency %d\n", p.N, p.Repeats, p.Conflicts, o.workers)
		fmt.Fprintf(w, "enqueue (not part of the persist time): %s\n", round(p.Enqueue))
		fmt.Fprintf(w, "persist, worker start to last answer stored: %s (%.0f answers/s)\n", round(p.Persist), float64(p.N)/p.Persist.Seconds())
		fmt.Fprintf(w, "plain InsertMany of the same documents:     %s (%.0f documents/s)\n", round(p.Baseline), float64(p.N)/p.Baseline.Seconds())
		fmt.Fprintf(w, "persist / InsertMany: %.2f (target ≤ 1.5)\n", p.Persist.Seconds()/p.Baseline.Seconds())
		fmt.Fprintf(w, "stored %d of %d: lost %d; after %d more repeats once stored: %d documents, %d distinct respondents: duplicated %d\n",
			p.Stored, p.N, p.N-p.Stored, p.LateRepeats, p.StoredAfterRepeats, p.Distinct, p.StoredAfterRepeats-p.Distinct)
	}
}
