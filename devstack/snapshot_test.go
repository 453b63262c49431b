//go:build !noembed

package devstack

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
)

func TestRestoreDropsKeysExpiredWhileDown(t *testing.T) {
	path := filepath.Join(t.TempDir(), "redis.snapshot")
	now := time.Now()
	err := writeSnapshot(path, snapshotFile{Version: snapshotVersion, TakenAt: now, Keys: []snapshotKey{
		{Key: []byte("expired"), Type: "string", Values: [][]byte{[]byte("x")}, ExpireAtMs: now.Add(-time.Second).UnixMilli()},
		{Key: []byte("alive"), Type: "string", Values: [][]byte{[]byte("y")}, ExpireAtMs: now.Add(time.Minute).UnixMilli()},
	}})
	if err != nil {
		t.Fatalf("writeSnapshot: %v", err)
	}
	m := miniredis.NewMiniRedis()
	n, err := restoreSnapshot(m, path, now)
	if err != nil {
		t.Fatalf("restoreSnapshot: %v", err)
	}
	if n != 1 || m.Exists("expired") || !m.Exists("alive") {
		t.Errorf("restored %d keys %v, want only alive", n, m.Keys())
	}
	if ttl := m.TTL("alive"); ttl <= 0 || ttl > time.Minute {
		t.Errorf("TTL alive = %v, want in (0, 1m]", ttl)
	}
}

func TestRestoreRejectsBadVersion(t *testing.T) {
	path := filepath.Join(t.TempDir(), "redis.snapshot")
	if err := writeSnapshot(path, snapshotFile{Version: snapshotVersion + 1}); err != nil {
		t.Fatalf("writeSnapshot: %v", err)
	}
	if _, err := restoreSnapshot(miniredis.NewMiniRedis(), path, time.Now()); err == nil {
		t.Error("restoreSnapshot of a future version succeeded, want an error")
	}
}

// TestSnapshotIsAtomic moves one item back and forth between two lists,
// as asynq moves task ids, while snapshotting: every snapshot must hold the
// item exactly once.
func TestSnapshotIsAtomic(t *testing.T) {
	r, err := startRedis(filepath.Join(t.TempDir(), "redis.snapshot"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("startRedis: %v", err)
	}
	defer r.close()
	ctx := context.Background()
	c := redis.NewClient(&redis.Options{Addr: r.addr})
	defer c.Close()
	if err := c.RPush(ctx, "pending", "task").Err(); err != nil {
		t.Fatal(err)
	}

	stop := make(chan struct{})
	moved := make(chan error, 1)
	go func() {
		from, to := "pending", "active"
		for {
			select {
			case <-stop:
				moved <- nil
				return
			default:
			}
			if err := c.LMove(ctx, from, to, "LEFT", "RIGHT").Err(); err != nil {
				moved <- err
				return
			}
			from, to = to, from
		}
	}()
	for i := range 200 {
		snap, _, err := captureSnapshot(ctx, r.client, time.Now())
		if err != nil {
			t.Fatalf("captureSnapshot: %v", err)
		}
		count := 0
		for _, k := range snap.Keys {
			count += len(k.Values)
		}
		if count != 1 {
			t.Fatalf("snapshot %d holds the item %d times, want 1: %+v", i, count, snap.Keys)
		}
	}
	close(stop)
	if err := <-moved; err != nil {
		t.Fatalf("LMOVE: %v", err)
	}
}
