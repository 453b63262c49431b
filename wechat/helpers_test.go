package wechat_test

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
	"github.com/silenceper/wechat/v2/cache"

	"kehou/wechat"
	"kehou/wechat/wxfake"
)

// Credentials of the test mini-program; the secret must never show up in error text.
const (
	testAppID  = "wxtestapp"
	testSecret = "topsecret-do-not-log"
)

// newFake starts a fake WeChat server for one test.
func newFake(t *testing.T) *wxfake.Server {
	t.Helper()
	f := wxfake.New()
	if _, err := f.Start(); err != nil {
		t.Fatalf("start fake: %v", err)
	}
	t.Cleanup(func() { _ = f.Close() })
	return f
}

// newClient returns a client talking to f. It installs f's HTTP client as silenceper's global
// client, which is why the tests in this package do not run in parallel.
func newClient(t *testing.T, f *wxfake.Server, c cache.Cache) *wechat.Client {
	t.Helper()
	cli, err := wechat.New(wechat.Config{AppID: testAppID, Secret: testSecret, HTTPClient: f.HTTPClient(), Cache: c})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return cli
}

// testRedis returns a Redis client: the server at KEHOU_TEST_REDIS_ADDR (DB 15, flushed before
// and after) when set, else an in-process miniredis whose TTLs follow the wall clock. It never
// skips, so CI always exercises the cache.
func testRedis(t *testing.T) redis.UniversalClient {
	t.Helper()
	ctx := context.Background()
	if addr := os.Getenv("KEHOU_TEST_REDIS_ADDR"); addr != "" {
		rdb := redis.NewClient(&redis.Options{Addr: addr, DB: 15})
		if err := rdb.FlushDB(ctx).Err(); err != nil {
			t.Fatalf("redis at %s: %v", addr, err)
		}
		t.Cleanup(func() {
			_ = rdb.FlushDB(ctx).Err()
			_ = rdb.Close()
		})
		return rdb
	}
	mr := miniredis.RunT(t)
	mr.ClockTTL(true)
	rdb := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	t.Cleanup(func() { _ = rdb.Close() })
	return rdb
}

// fmtAll prints v with every fmt verb a log line might use.
func fmtAll(v any) string {
	return fmt.Sprintf("%v %+v %#v %s", v, v, v, v)
}
