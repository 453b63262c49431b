//go:build !noembed

package devstack

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"
)

// redisInstance is a miniredis server plus what it takes to persist it.
type redisInstance struct {
	m    *miniredis.Miniredis
	addr string
	path string // snapshot file
	log  *slog.Logger

	// client talks to miniredis over an in-memory pipe; snapshots go
	// through it because only a Lua script sees all keys at one instant.
	client *redis.Client

	// mu serialises snapshots (periodic, explicit, final) and guards
	// stopped, so that no snapshot runs against a closed server.
	mu      sync.Mutex
	stopped bool
}

// startRedis starts miniredis on a free loopback port, with the keys of the
// snapshot at path (if any) loaded before the first client can connect.
func startRedis(path string, log *slog.Logger) (*redisInstance, error) {
	m := miniredis.NewMiniRedis()
	// Without ClockTTL, miniredis TTLs only move on FastForward; with it
	// they follow the wall clock, as asynq's locks and leases expect.
	m.ClockTTL(true)

	n, err := restoreSnapshot(m, path, time.Now())
	if err != nil {
		return nil, err
	}
	if err := m.StartAddr("127.0.0.1:0"); err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	if n > 0 {
		log.Info("redis snapshot restored", "keys", n, "path", path)
	}

	client := redis.NewClient(&redis.Options{
		Addr: "miniredis-pipe",
		Dialer: func(context.Context, string, string) (net.Conn, error) {
			return m.Dial()
		},
		PoolSize: 1,
		// RESP2 and no handshake extras: the client only ever runs EVAL.
		Protocol:                 2,
		DisableIdentity:          true,
		MaintNotificationsConfig: &maintnotifications.Config{Mode: maintnotifications.ModeDisabled},
		// A large keyspace takes a while to serialise under miniredis's lock.
		ReadTimeout: 30 * time.Second,
	})
	return &redisInstance{m: m, addr: m.Addr(), path: path, log: log, client: client}, nil
}

// snapshot writes the keys to disk now; it is a no-op once stopped, since
// stop wrote the last state and nothing can change it afterwards.
func (r *redisInstance) snapshot() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stopped {
		return nil
	}
	return r.snapshotLocked()
}

func (r *redisInstance) snapshotLocked() error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	snap, skipped, err := captureSnapshot(ctx, r.client, time.Now())
	if err != nil {
		return fmt.Errorf("redis snapshot: %w", err)
	}
	if len(skipped) > 0 {
		r.log.Warn("redis snapshot left out keys of unsupported types", "keys", skipped)
	}
	if err := writeSnapshot(r.path, snap); err != nil {
		return fmt.Errorf("redis snapshot: %w", err)
	}
	return nil
}

// snapshotLoop snapshots every period until ctx is cancelled. Failures are
// logged, not fatal: the next tick retries, and Close reports its own.
func (r *redisInstance) snapshotLoop(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := r.snapshot(); err != nil {
				r.log.Warn("periodic redis snapshot failed", "err", err)
			}
		}
	}
}

// stop writes a final snapshot and shuts miniredis down. The server stops
// even when the snapshot fails; the error is returned so Close can report
// that the file on disk is stale.
func (r *redisInstance) stop() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stopped {
		return nil
	}
	err := r.snapshotLocked()
	r.shutdownLocked()
	return err
}

// close shuts miniredis down without a snapshot; used when Start fails
// before anyone could have written to it.
func (r *redisInstance) close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.stopped {
		r.shutdownLocked()
	}
}

func (r *redisInstance) shutdownLocked() {
	r.stopped = true
	_ = r.client.Close()
	r.m.Close()
}
