//go:build !noembed

package devstack

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
)

// Stack is a running pair of stand-ins: an embedded FerretDB and a
// miniredis whose keys are snapshotted to disk. Its methods are safe for
// concurrent use.
type Stack struct {
	log *slog.Logger

	mongo    *ferretInstance
	mongoDir string // FerretDB's SQLite files, one per database
	redis    *redisInstance

	// loopCancel and loopDone stop and await the periodic snapshot
	// goroutine; both are nil when periodic snapshots are disabled.
	loopCancel context.CancelFunc
	loopDone   chan struct{}

	closeOnce sync.Once
	closeErr  error
}

// Start starts FerretDB and miniredis with their data in opts.Dir, restores
// the last Redis snapshot and returns once both accept connections.
//
// ctx bounds the start-up only: cancelling it later does not stop the
// stack, Close does.
func Start(ctx context.Context, opts Options) (*Stack, error) {
	if opts.Dir == "" {
		return nil, errors.New("devstack: start: Options.Dir is empty")
	}
	base := opts.Logger
	if base == nil {
		base = slog.Default()
	}
	log := base.With("component", "devstack")

	mongoDir := filepath.Join(opts.Dir, "mongo")
	// FerretDB's SQLite backend does not create its directory.
	if err := os.MkdirAll(mongoDir, 0o700); err != nil {
		return nil, fmt.Errorf("devstack: start: %w", err)
	}

	r, err := startRedis(filepath.Join(opts.Dir, "redis.snapshot"), log)
	if err != nil {
		return nil, fmt.Errorf("devstack: start redis: %w", err)
	}
	m, err := startFerret(ctx, mongoDir, base)
	if err != nil {
		// Nothing has written to Redis yet, so the snapshot on disk is
		// still current: stop without overwriting it.
		r.close()
		return nil, fmt.Errorf("devstack: start mongo: %w", err)
	}

	s := &Stack{log: log, mongo: m, mongoDir: mongoDir, redis: r}
	every := opts.SnapshotEvery
	if every == 0 {
		every = DefaultSnapshotEvery
	}
	if every > 0 {
		loopCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		s.loopCancel = cancel
		s.loopDone = make(chan struct{})
		go func() {
			defer close(s.loopDone)
			r.snapshotLoop(loopCtx, every)
		}()
	}
	log.Info("embedded stand-ins started", "mongo_uri", m.uri, "redis_addr", r.addr, "dir", opts.Dir)
	return s, nil
}

// MongoURI returns the FerretDB connection string, mongodb://127.0.0.1:<port>/.
func (s *Stack) MongoURI() string { return s.mongo.uri }

// RedisAddr returns miniredis's host:port.
func (s *Stack) RedisAddr() string { return s.redis.addr }

// Snapshot writes every Redis key to disk now, atomically (temp file and
// rename). After StopRedis it does nothing: the snapshot written when Redis
// stopped is current, because nothing can change the keys any more.
func (s *Stack) Snapshot() error {
	return s.redis.snapshot()
}

// StopMongo stops FerretDB and waits for it to exit (up to 3 s while
// clients stay connected), leaving Redis up; it lets readiness tests see
// MongoDB go down. It is idempotent.
func (s *Stack) StopMongo() {
	s.mongo.stop()
}

// StopRedis writes a final snapshot and stops miniredis, leaving MongoDB up;
// it lets readiness tests see Redis go down. It is idempotent.
func (s *Stack) StopRedis() {
	if err := s.redis.stop(); err != nil {
		s.log.Warn("redis snapshot on stop failed", "err", err)
	}
}

// Close stops the periodic snapshots, writes a final Redis snapshot, stops
// miniredis and FerretDB and waits for FerretDB to exit. Later calls return
// the first call's result.
//
// Disconnect MongoDB clients (and stop asynq) first: FerretDB waits up to
// 3 s for connections that are still open, and work asynq does after the
// final snapshot is not saved.
func (s *Stack) Close() error {
	s.closeOnce.Do(func() {
		if s.loopCancel != nil {
			s.loopCancel()
			<-s.loopDone
		}
		err := s.redis.stop()
		s.mongo.stop()
		if err != nil {
			s.closeErr = fmt.Errorf("devstack: close: %w", err)
		}
	})
	return s.closeErr
}
