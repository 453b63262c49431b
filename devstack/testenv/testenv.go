// Package testenv starts what kehou's integration tests need: the embedded MongoDB stand-in
// (one FerretDB per test binary, a fresh database per test) and Redis (the real server named by
// KEHOU_TEST_REDIS_ADDR, else an embedded miniredis per test). Under CI=true nothing may skip:
// a missing or unreachable Redis fails the test.
package testenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"kehou/devstack"
)

var (
	stack  *devstack.Stack
	client *mongo.Client
)

// Run starts the shared FerretDB, runs the tests and stops it. Use it from TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(testenv.Run(m)) }
func Run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "kehou-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "testenv:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	stack, err = devstack.Start(ctx, devstack.Options{Dir: dir, Logger: Logger(), SnapshotEvery: -1})
	if err != nil {
		fmt.Fprintln(os.Stderr, "testenv: start embedded MongoDB:", err)
		return 1
	}
	defer stack.Close()
	// The embedded store runs every operation on one connection, so a concurrency test that
	// starts hundreds of operations at once queues them there for longer than the 30 s a
	// request would wait in production; tests allow the queue three minutes.
	client, err = mongo.Connect(devstack.MongoClientOptions(stack.MongoURI()).SetServerSelectionTimeout(3 * time.Minute))
	if err != nil {
		fmt.Fprintln(os.Stderr, "testenv: connect:", err)
		return 1
	}
	defer client.Disconnect(context.Background())
	return m.Run()
}

// Logger is quiet unless KEHOU_TEST_LOG is set.
func Logger() *slog.Logger {
	if os.Getenv("KEHOU_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// Mongo returns a fresh, empty database on the shared FerretDB, dropped after the test.
func Mongo(t testing.TB) *mongo.Database {
	t.Helper()
	if client == nil {
		t.Fatal("testenv: call testenv.Run from TestMain")
	}
	db := client.Database("t_" + randomHex(6))
	t.Cleanup(func() { _ = db.Drop(context.Background()) })
	return db
}

// IndexIDs gives db's collections the SQLite index that makes the embedded FerretDB's `_id`
// lookups and per-document updates index seeks (devstack.Stack.IndexIDs), as `kehou run`
// does after creating its indexes. Call it after store.EnsureIndexes.
func IndexIDs(t testing.TB, db *mongo.Database) {
	t.Helper()
	if err := stack.IndexIDs(context.Background(), db.Name()); err != nil {
		t.Fatalf("testenv: index ids: %v", err)
	}
}

// Stack is the shared embedded stack (readiness tests stop parts of their own stack instead).
func Stack() *devstack.Stack { return stack }

// Redis returns a client on an empty Redis database. With KEHOU_TEST_REDIS_ADDR it is the real
// server's database db (flushed first; give each test package its own number, since packages
// run in parallel); otherwise a new miniredis.
func Redis(t testing.TB, db int) *redis.Client {
	t.Helper()
	addr := os.Getenv("KEHOU_TEST_REDIS_ADDR")
	if addr == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("testenv: CI=true but KEHOU_TEST_REDIS_ADDR is not set; .ci/run sets it")
		}
		m := miniredis.RunT(t)
		addr, db = m.Addr(), 0
	}
	rdb := redis.NewClient(&redis.Options{Addr: addr, DB: db})
	t.Cleanup(func() { _ = rdb.Close() })
	ctx := context.Background()
	if err := rdb.Ping(ctx).Err(); err != nil {
		t.Fatalf("testenv: redis at %s: %v", addr, err)
	}
	if err := rdb.FlushDB(ctx).Err(); err != nil {
		t.Fatalf("testenv: flush redis db %d: %v", db, err)
	}
	return rdb
}

// Key returns a random 32-byte secret for the store's sealer.
func Key() []byte {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return b
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
