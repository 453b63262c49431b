// Package devstack runs in-process stand-ins for MongoDB and Redis so that
// `kehou run` works on a laptop with nothing else installed.
//
// MongoDB is FerretDB v1 embedded with its SQLite backend: its files live in
// Options.Dir/mongo/ and survive restarts like a real database would. Redis
// is miniredis, which keeps everything in memory; because the asynq queues
// live in it, the stack persists every key to Options.Dir/redis.snapshot
// every Options.SnapshotEvery (5 s by default), on StopRedis and on Close,
// and restores that file at Start.
//
// What a crash costs: a clean shutdown (Close) loses nothing. A crash (kill
// -9, power loss) loses whatever changed in Redis since the last periodic
// snapshot, i.e. up to SnapshotEvery worth of work that lived only in Redis:
// tasks enqueued in that window, and the progress of tasks that ran in it
// (completed tasks may run again, which idempotent handlers tolerate).
// MongoDB data is not at risk beyond what SQLite itself guarantees. Each
// snapshot is one atomic view of all Redis databases, so a task that asynq
// was moving between two lists is never captured in neither of them.
// Production uses a real Redis with AOF instead, and real MongoDB.
//
// All of this sits behind the build tag `noembed`: binaries built with
// `-tags noembed` keep this package's API but carry neither FerretDB nor
// miniredis, and Start returns ErrNotCompiled.
package devstack

import (
	"errors"
	"log/slog"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// ErrNotCompiled is returned by Start in binaries built with -tags noembed.
var ErrNotCompiled = errors.New("embedded stand-ins are not compiled into this binary (built with -tags noembed)")

// DefaultSnapshotEvery is the Redis snapshot period used when
// Options.SnapshotEvery is zero.
const DefaultSnapshotEvery = 5 * time.Second

// Options configures Start.
type Options struct {
	// Dir is the data directory: FerretDB's SQLite files go in Dir/mongo/,
	// the Redis snapshot in Dir/redis.snapshot. It is created if missing.
	Dir string
	// Logger receives the stack's own messages; FerretDB gets a copy that
	// only passes Warn and above, because it logs every connection at Info.
	// Nil means slog.Default().
	Logger *slog.Logger
	// SnapshotEvery is the period of the Redis snapshot: 0 means
	// DefaultSnapshotEvery, a negative value disables periodic snapshots
	// (StopRedis and Close still write one).
	SnapshotEvery time.Duration
}

// MongoClientOptions returns mongo-driver client options suited to the
// embedded FerretDB.
//
// The pool holds a single connection because FerretDB v1 runs conditional
// updates ($inc, FindOneAndUpdate with a guard) as read-then-write, which is
// not atomic across connections (measured); one connection serialises them.
// With one connection, operations queue for it; under a broadcast that
// queue can be seconds long, and the driver bounds the wait for a
// connection by the server-selection timeout, so that is 30 s: queueing is
// normal here, failing is not. Readiness probes use their own short context.
func MongoClientOptions(uri string) *options.ClientOptions {
	return options.Client().
		ApplyURI(uri).
		SetMaxPoolSize(1).
		SetServerSelectionTimeout(30 * time.Second)
}
