// Package testenv starts what kehou's integration tests need: MongoDB (a fresh database per
// test, on one server per test binary) and Redis (the real server named by
// KEHOU_TEST_REDIS_ADDR, else an embedded miniredis per test). Under CI=true nothing may skip:
// a missing or unreachable Redis fails the test.
//
// The MongoDB is the embedded FerretDB, started once per test binary, unless
// KEHOU_TEST_MONGO_URI names a real one (mongodb://host:27017; a replica set as production
// has it is best): then the tests run there, each in its own database "t_<random>" dropped
// afterwards, with every engine switch in its production position. The store's engine
// switches (package store/engine) are the embedded ones on FerretDB unless
// KEHOU_TEST_SWITCHES=production puts every one in the production position, so that the path
// MongoDB takes runs on the embedded engine too (make test does both).
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
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"kehou/devstack"
	"kehou/store/engine"
)

// The environment variables that choose the tests' MongoDB and the store's switches.
const (
	EnvMongoURI = "KEHOU_TEST_MONGO_URI" // a real MongoDB to test on instead of the embedded one
	EnvSwitches = "KEHOU_TEST_SWITCHES"  // "production": every engine switch in its MongoDB position
)

var (
	stack    *devstack.Stack // the embedded store; nil on a real MongoDB
	client   *mongo.Client
	external bool // the tests run on the MongoDB at KEHOU_TEST_MONGO_URI
	clientOp *options.ClientOptions
)

// Run starts or connects the tests' MongoDB, runs the tests and lets it go. Use it from
// TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(testenv.Run(m)) }
func Run(m *testing.M) int {
	stop, err := connect(os.Getenv(EnvMongoURI))
	if err != nil {
		fmt.Fprintln(os.Stderr, "testenv:", err)
		return 1
	}
	defer stop()
	return m.Run()
}

// connect opens the MongoDB at uri, or a new embedded FerretDB in a temporary directory when
// uri is empty; stop disconnects and stops what connect started.
func connect(uri string) (stop func(), err error) {
	switch v := os.Getenv(EnvSwitches); v {
	case "", "embedded", "production":
	default:
		return nil, fmt.Errorf("%s=%q: want embedded or production", EnvSwitches, v)
	}
	var stops []func()
	stop = func() {
		for i := len(stops) - 1; i >= 0; i-- {
			stops[i]()
		}
		stack, client, external, clientOp = nil, nil, false, nil
	}
	defer func() {
		if err != nil {
			stop()
		}
	}()
	if uri != "" {
		external = true
		clientOp = options.Client().ApplyURI(uri).SetServerSelectionTimeout(30 * time.Second)
	} else {
		dir, err := os.MkdirTemp("", "kehou-test-")
		if err != nil {
			return nil, fmt.Errorf("start embedded MongoDB: %w", err)
		}
		stops = append(stops, func() { os.RemoveAll(dir) })
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		if stack, err = devstack.Start(ctx, devstack.Options{Dir: dir, Logger: Logger(), SnapshotEvery: -1}); err != nil {
			return nil, fmt.Errorf("start embedded MongoDB: %w", err)
		}
		st := stack
		stops = append(stops, func() { st.Close() })
		// The embedded store runs every operation on one connection, so a concurrency test
		// that starts hundreds of operations at once queues them there for longer than the
		// 30 s a request would wait in production; tests allow the queue three minutes.
		clientOp = devstack.MongoClientOptions(stack.MongoURI()).SetServerSelectionTimeout(3 * time.Minute)
	}
	if client, err = mongo.Connect(clientOp); err != nil {
		return nil, fmt.Errorf("connect %s: %w", clientOp.GetURI(), err)
	}
	c := client
	stops = append(stops, func() { _ = c.Disconnect(context.Background()) })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := client.Ping(ctx, nil); err != nil {
		return nil, fmt.Errorf("ping %s: %w", clientOp.GetURI(), err)
	}
	return stop, nil
}

// Tuning is the position of the store's engine switches for the tests' MongoDB: the embedded
// one (devstack.StoreTuning) on FerretDB, engine.Production on a real MongoDB or with
// KEHOU_TEST_SWITCHES=production. Test helpers that build a store apply it with SetTuning.
func Tuning() engine.Tuning {
	if external || os.Getenv(EnvSwitches) == "production" {
		return engine.Production
	}
	return devstack.StoreTuning()
}

// ClientOptions are the options of the tests' own client, for a test that needs a second
// connection to the same server (call after Run has started).
func ClientOptions() *options.ClientOptions {
	return options.MergeClientOptions(clientOp)
}

// Logger is quiet unless KEHOU_TEST_LOG is set.
func Logger() *slog.Logger {
	if os.Getenv("KEHOU_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// Mongo returns a fresh, empty database on the tests' MongoDB, dropped after the test.
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
// does after creating its indexes. Call it after store.EnsureIndexes. On
// KEHOU_TEST_MONGO_URI there is nothing to add.
func IndexIDs(t testing.TB, db *mongo.Database) {
	t.Helper()
	if stack == nil {
		return
	}
	if err := stack.IndexIDs(context.Background(), db.Name()); err != nil {
		t.Fatalf("testenv: index ids: %v", err)
	}
}

// Stack is the shared embedded stack, nil when the tests run on KEHOU_TEST_MONGO_URI
// (readiness tests stop parts of their own stack instead).
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
