// Package cost counts what predicts a benchmark's cost on MongoDB and Redis whatever engine
// runs it: the database commands a process sends and the documents they write (through the
// driver's command monitor), and the Redis commands and round trips (through a go-redis hook).
// The embedded store's seconds say little about a MongoDB replica set; these counts carry over.
//
// Attach one Meter to the clients whose work is measured (not to a benchmark's own probes),
// Read it before and after a phase, and print the difference per unit of work.
package cost

import (
	"context"
	"fmt"
	"io"
	"maps"
	"net"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/redis/go-redis/v9"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/event"
)

// Meter counts commands; its methods are safe for concurrent use.
type Meter struct {
	db, written, redisCmds, redisTrips atomic.Int64

	mu     sync.Mutex
	byName map[string]int64 // database commands by name and collection ("find members")
}

// New returns a Meter at zero.
func New() *Meter { return &Meter{byName: map[string]int64{}} }

// Counts is what a Meter counted.
type Counts struct {
	DBCommands      int64
	DocsWritten     int64            // inserted, modified, upserted or deleted, as the server reports
	RedisCommands   int64            // every command of a pipeline counts
	RedisRoundTrips int64            // a pipeline is one
	ByName          map[string]int64 // database commands by name and collection
}

// Read returns the counts so far.
func (m *Meter) Read() Counts {
	m.mu.Lock()
	defer m.mu.Unlock()
	return Counts{DBCommands: m.db.Load(), DocsWritten: m.written.Load(), RedisCommands: m.redisCmds.Load(),
		RedisRoundTrips: m.redisTrips.Load(), ByName: maps.Clone(m.byName)}
}

// Since returns what was counted between before and c.
func (c Counts) Since(before Counts) Counts {
	d := Counts{DBCommands: c.DBCommands - before.DBCommands, DocsWritten: c.DocsWritten - before.DocsWritten,
		RedisCommands: c.RedisCommands - before.RedisCommands, RedisRoundTrips: c.RedisRoundTrips - before.RedisRoundTrips,
		ByName: map[string]int64{}}
	for k, v := range c.ByName {
		if v -= before.ByName[k]; v != 0 {
			d.ByName[k] = v
		}
	}
	return d
}

// Fprint writes the counts per unit of work (n units, named like "delivery"), and the
// database commands also per 1,000 units, the scale the targets are set in.
func (c Counts) Fprint(w io.Writer, label string, n int, unit string) {
	if n <= 0 {
		fmt.Fprintf(w, "%s: no %s done, nothing to divide by\n", label, unit)
		return
	}
	per := func(v int64) float64 { return float64(v) / float64(n) }
	names := slices.Sorted(maps.Keys(c.ByName))
	var parts []string
	for _, k := range names {
		parts = append(parts, fmt.Sprintf("%s %d", k, c.ByName[k]))
	}
	fmt.Fprintf(w, "%s, per %s (%d): %.3f database commands (%.1f per 1,000), %.3f documents written, %.3f Redis commands in %.3f round trips\n",
		label, unit, n, per(c.DBCommands), 1000*per(c.DBCommands), per(c.DocsWritten), per(c.RedisCommands), per(c.RedisRoundTrips))
	fmt.Fprintf(w, "  totals: %d database commands (%s), %d documents written, %d Redis commands, %d round trips\n",
		c.DBCommands, strings.Join(parts, ", "), c.DocsWritten, c.RedisCommands, c.RedisRoundTrips)
}

// Monitor returns a command monitor that counts and then calls next's hooks (nil: none). Set
// it on the client options of the measured client.
func (m *Meter) Monitor(next *event.CommandMonitor) *event.CommandMonitor {
	if next == nil {
		next = &event.CommandMonitor{}
	}
	return &event.CommandMonitor{
		Started: func(ctx context.Context, e *event.CommandStartedEvent) {
			m.db.Add(1)
			key := e.CommandName
			// The collection is the value of the command's first element (find: "members"),
			// or of "collection" for a getMore.
			if v, ok := e.Command.Lookup("collection").StringValueOK(); ok && e.CommandName == "getMore" {
				key += " " + v
			} else if v, ok := e.Command.Index(0).Value().StringValueOK(); ok {
				key += " " + v
			}
			m.mu.Lock()
			m.byName[key]++
			m.mu.Unlock()
			if next.Started != nil {
				next.Started(ctx, e)
			}
		},
		Succeeded: func(ctx context.Context, e *event.CommandSucceededEvent) {
			m.written.Add(written(e.CommandName, e.Reply))
			if next.Succeeded != nil {
				next.Succeeded(ctx, e)
			}
		},
		Failed: next.Failed,
	}
}

// written reads from a write command's reply how many documents it changed.
func written(name string, reply bson.Raw) int64 {
	num := func(keys ...string) int64 {
		v, err := reply.LookupErr(keys...)
		if err != nil {
			return 0
		}
		n, _ := v.AsInt64OK()
		return n
	}
	switch name {
	case "insert", "delete":
		return num("n")
	case "update":
		n := num("nModified")
		if ups, err := reply.LookupErr("upserted"); err == nil {
			if vals, err := ups.Array().Values(); err == nil {
				n += int64(len(vals))
			}
		}
		return n
	case "findAndModify":
		return num("lastErrorObject", "n")
	case "bulkWrite":
		return num("nInserted") + num("nModified") + num("nUpserted") + num("nDeleted")
	}
	return 0
}

// Hook returns a go-redis hook that counts, leaving out the commands that set up a new
// connection; add it to the measured client (rdb.AddHook) before
// anything else is built on it (asynq clients and servers, auto-pipeliners).
func (m *Meter) Hook() redis.Hook { return hook{m} }

type hook struct{ m *Meter }

func (h hook) DialHook(next redis.DialHook) redis.DialHook {
	return func(ctx context.Context, network, addr string) (net.Conn, error) { return next(ctx, network, addr) }
}

func (h hook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if !setup(cmd) {
			h.m.redisCmds.Add(1)
			h.m.redisTrips.Add(1)
		}
		return next(ctx, cmd)
	}
}

func (h hook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		n := int64(0)
		for _, c := range cmds {
			if !setup(c) {
				n++
			}
		}
		if n > 0 {
			h.m.redisCmds.Add(n)
			h.m.redisTrips.Add(1)
		}
		return next(ctx, cmds)
	}
}

// setup tells the commands go-redis sends on each new connection (they pass through the hooks
// too): they depend on how many connections the pool opens, not on the work measured.
func setup(cmd redis.Cmder) bool {
	switch cmd.Name() {
	case "hello", "auth", "select", "client":
		return true
	}
	return false
}
