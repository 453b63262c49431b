//go:build !noembed

package devstack

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// binaryItem is not valid UTF-8 and holds CR LF, like asynq's protobuf.
const binaryItem = "\x00\xff\r\n\x80task\x01"

func redisClient(t *testing.T, addr string, db int) *redis.Client {
	t.Helper()
	// No retries: a stopped server should fail the first command.
	c := redis.NewClient(&redis.Options{Addr: addr, DB: db, MaxRetries: -1})
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// writeFixture stores one key of every supported type, in two databases.
func writeFixture(t *testing.T, addr string) {
	t.Helper()
	ctx := context.Background()
	c := redisClient(t, addr, 0)
	for _, err := range []error{
		c.Set(ctx, "str", "hello", 0).Err(),
		c.HSet(ctx, "hash", "state", "pending", "msg", binaryItem).Err(),
		c.RPush(ctx, "list", "first", binaryItem, "last").Err(),
		c.SAdd(ctx, "set", "a", "b", binaryItem).Err(),
		c.ZAdd(ctx, "zset", redis.Z{Score: 1.5, Member: "x"}, redis.Z{Score: 1767225600, Member: binaryItem}).Err(),
		c.Set(ctx, "ttl", "soon", time.Hour).Err(),
		redisClient(t, addr, 3).Set(ctx, "db3", "three", 0).Err(),
	} {
		if err != nil {
			t.Fatalf("writing fixture: %v", err)
		}
	}
}

// checkFixture verifies every key written by writeFixture.
func checkFixture(t *testing.T, addr string) {
	t.Helper()
	ctx := context.Background()
	c := redisClient(t, addr, 0)
	eq := func(name string, got, want any, err error) {
		t.Helper()
		if err != nil {
			t.Errorf("%s: %v", name, err)
		} else if !reflect.DeepEqual(got, want) {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	s, err := c.Get(ctx, "str").Result()
	eq("GET str", s, "hello", err)
	h, err := c.HGetAll(ctx, "hash").Result()
	eq("HGETALL hash", h, map[string]string{"state": "pending", "msg": binaryItem}, err)
	l, err := c.LRange(ctx, "list", 0, -1).Result()
	eq("LRANGE list", l, []string{"first", binaryItem, "last"}, err)
	m, err := c.SMembersMap(ctx, "set").Result()
	eq("SMEMBERS set", m, map[string]struct{}{"a": {}, "b": {}, binaryItem: {}}, err)
	z, err := c.ZRangeWithScores(ctx, "zset", 0, -1).Result()
	eq("ZRANGE zset", z, []redis.Z{{Score: 1.5, Member: "x"}, {Score: 1767225600, Member: binaryItem}}, err)
	v, err := c.Get(ctx, "ttl").Result()
	eq("GET ttl", v, "soon", err)
	if ttl, err := c.TTL(ctx, "ttl").Result(); err != nil || ttl <= 0 || ttl > time.Hour {
		t.Errorf("TTL ttl = %v, %v; want in (0, 1h]", ttl, err)
	}
	if ttl, err := c.TTL(ctx, "str").Result(); err != nil || ttl != -1 {
		t.Errorf("TTL str = %v, %v; want -1 (no expiry)", ttl, err)
	}
	d3, err := redisClient(t, addr, 3).Get(ctx, "db3").Result()
	eq("GET db3", d3, "three", err)
}

func TestRedisSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	s := startStack(t, dir, -1)
	writeFixture(t, s.RedisAddr())
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	s = startStack(t, dir, -1)
	checkFixture(t, s.RedisAddr())
}

// TestRedisPeriodicSnapshotSurvivesCrash restores from a copy of the file
// taken while the first stack still runs, as after a kill -9.
func TestRedisPeriodicSnapshotSurvivesCrash(t *testing.T) {
	dir := t.TempDir()
	s := startStack(t, dir, 50*time.Millisecond)
	writeFixture(t, s.RedisAddr())

	path := filepath.Join(dir, "redis.snapshot")
	deadline := time.Now().Add(5 * time.Second)
	for {
		snap, err := readSnapshot(path)
		if err != nil {
			t.Fatalf("readSnapshot: %v", err)
		}
		if len(snap.Keys) == 7 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("periodic snapshot has %d keys after 5 s, want 7", len(snap.Keys))
		}
		time.Sleep(20 * time.Millisecond)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	crashed := t.TempDir()
	if err := os.WriteFile(filepath.Join(crashed, "redis.snapshot"), b, 0o600); err != nil {
		t.Fatal(err)
	}
	checkFixture(t, startStack(t, crashed, -1).RedisAddr())
}

func TestStopRedisFailsPing(t *testing.T) {
	dir := t.TempDir()
	s := startStack(t, dir, -1)
	c := redisClient(t, s.RedisAddr(), 0)
	ctx := context.Background()
	if err := c.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatalf("SET before StopRedis: %v", err)
	}
	s.StopRedis()
	s.StopRedis() // idempotent
	if err := c.Ping(ctx).Err(); err == nil {
		t.Fatal("PING after StopRedis succeeded, want an error")
	}
	// StopRedis saved the keys, so nothing written before it is lost.
	if err := s.Snapshot(); err != nil {
		t.Errorf("Snapshot after StopRedis: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	got, err := redisClient(t, startStack(t, dir, -1).RedisAddr(), 0).Get(ctx, "k").Result()
	if err != nil || got != "v" {
		t.Errorf("GET k after restart = %q, %v; want %q", got, err, "v")
	}
}
