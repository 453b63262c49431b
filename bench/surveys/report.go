package main

import (
	"fmt"

	"io"
	"kehou/bench/internal/loadrig"
	"runtime"
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
		fmt.Fprintf(w, "%-44s %8s %8s %9s %10s %10s %s\n", "endpoint", "ok", "errors", "ok/s", "p50", "p99", "other statuses")
		line := func(name string, l loadrig.Load) {
			fmt.Fprintf(w, "%-44s %8d %8d %9.0f %10s %10s %v\n", name, l.Accepted, l.Errors, l.PerSecond, round(l.P50), round(l.P99), l.Other)
		}
		line(h.Open.Name, h.Open)
		for i := range h.Bares {
			line(fmt.Sprintf("round %d: %s", i+1, "bare"), h.Bares[i])
			line(fmt.Sprintf("round %d: %s", i+1, "POST …/answers"), h.Gos[i])
		}
		line("median: "+h.Bare.Name, h.Bare)
		line("median: "+h.Go.Name, h.Go)
		if h.Bare.PerSecond > 0 {
			fmt.Fprintf(w, "submit / bare (medians of %d rounds): %.2f (target ≥ 0.50)\n", len(h.Bares), h.Go.PerSecond/h.Bare.PerSecond)
		}
	}
	if o.persist > 0 {
		p := r.persist
		fmt.Fprintf(w, "\nHTTP answers accepted (queued): %d, stored by the worker: %d\n", p.HTTPAccepted, p.HTTPStored)
		fmt.Fprintf(w, "\npersist: %d answers (+%d repeats while queued: %d refused by task id), worker concurrency %d\n", p.N, p.Repeats, p.Conflicts, o.workers)
		fmt.Fprintf(w, "enqueue (not part of the persist time): %s\n", round(p.Enqueue))
		fmt.Fprintf(w, "persist, worker start to last answer stored: %s (%.0f answers/s)\n", round(p.Persist), float64(p.N)/p.Persist.Seconds())
		fmt.Fprintf(w, "plain InsertMany of the same documents:     %s (%.0f documents/s)\n", round(p.Baseline), float64(p.N)/p.Baseline.Seconds())
		fmt.Fprintf(w, "persist / InsertMany: %.2f (target ≤ 2)\n", p.Persist.Seconds()/p.Baseline.Seconds())
		fmt.Fprintf(w, "stored %d of %d: lost %d; after %d more repeats once stored: %d documents, %d distinct respondents: duplicated %d\n",
			p.Stored, p.N, p.N-p.Stored, p.LateRepeats, p.StoredAfterRepeats, p.Distinct, p.StoredAfterRepeats-p.Distinct)
	}
}
