package main

import (
	"fmt"
	"io"

	"github.com/redis/go-redis/v9"

	"kehou/bench/internal/cost"
)

// meters counts the engine-neutral cost of the measured work: the API's and the worker's
// commands on b.rdb and b.client. The benchmark's own polling goes through probe (and its own
// MongoDB connections), which nothing counts.
type meters struct {
	cost      *cost.Meter
	probe     *redis.Client
	answers   costOf // the first round of real submissions
	persisted costOf // the persist phase's worker, from its start to the last answer stored
}

// costOf is what one measured step cost, and how many units it did.
type costOf struct {
	counts cost.Counts
	units  int
	ran    bool
}

// meter hooks the counting into b.rdb (before the API or a worker is built on it) and opens
// the uncounted probe client; the caller closes the probe.
func (b *bench) meter(o settings) *redis.Client {
	b.cost = cost.New()
	b.rdb.AddHook(b.cost.Hook())
	b.probe = redis.NewClient(&redis.Options{Addr: o.redisAddr, DB: o.redisDB})
	return b.probe
}

// counted records into c what was counted since before, for units done; only the first
// measurement of a step is kept (later rounds repeat it).
func (b *bench) counted(c *costOf, before cost.Counts, units int) {
	if !c.ran {
		*c = costOf{counts: b.cost.Read().Since(before), units: units, ran: true}
	}
}

func (b *bench) printCost(w io.Writer) {
	fmt.Fprintf(w, "\nstore switches %+v\n", b.opts.tuning)
	if b.answers.ran {
		b.answers.counts.Fprint(w, "engine-neutral cost of accepting answers (API, round 1)", b.answers.units, "answer")
	}
	if b.persisted.ran {
		b.persisted.counts.Fprint(w, "engine-neutral cost of persisting answers (worker)", b.persisted.units, "answer")
	}
}
