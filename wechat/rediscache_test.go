package wechat_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"kehou/wechat"
	"kehou/wechat/wxfake"
)

func TestRedisCache(t *testing.T) {
	rdb := testRedis(t)
	ctx := context.Background()
	c := wechat.NewRedisCache(rdb, "kehou:test:")

	if c.Get("k") != nil || c.IsExist("k") {
		t.Fatal("missing key reads as present")
	}
	if err := c.Set("k", "v1", time.Minute); err != nil {
		t.Fatal(err)
	}
	if got := c.Get("k"); got != "v1" || !c.IsExist("k") {
		t.Fatalf("Get = %v", got)
	}
	if raw, err := rdb.Get(ctx, "kehou:test:k").Result(); err != nil || raw != "v1" {
		t.Fatalf("stored as %q, %v; want under the prefix", raw, err)
	}
	if ttl := rdb.TTL(ctx, "kehou:test:k").Val(); ttl <= 0 || ttl > time.Minute {
		t.Fatalf("TTL = %v", ttl)
	}
	if other := wechat.NewRedisCache(rdb, "other:"); other.Get("k") != nil {
		t.Fatal("prefixes do not isolate")
	}
	if err := c.SetContext(ctx, "n", 42, time.Minute); err != nil || c.GetContext(ctx, "n") != "42" {
		t.Fatalf("non-string value: %v, %v", c.GetContext(ctx, "n"), err)
	}

	if ok, err := c.CompareAndDelete(ctx, "k", "old"); ok || err != nil || !c.IsExist("k") {
		t.Fatalf("CompareAndDelete(mismatch) = %v, %v", ok, err)
	}
	if ok, err := c.CompareAndDelete(ctx, "k", "v1"); !ok || err != nil || c.IsExist("k") {
		t.Fatalf("CompareAndDelete(match) = %v, %v", ok, err)
	}
	if ok, err := c.CompareAndDelete(ctx, "gone", "v1"); ok || err != nil {
		t.Fatalf("CompareAndDelete(missing) = %v, %v", ok, err)
	}

	if err := c.Set("short", "v", 150*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	time.Sleep(400 * time.Millisecond) // waits out the TTL on the real Redis: the expiry is under test
	if c.IsExistContext(ctx, "short") {
		t.Fatal("value outlived its timeout")
	}
	if err := c.Set("d", "v", time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := c.Delete("d"); err != nil || c.IsExist("d") {
		t.Fatalf("Delete: %v", err)
	}
	if err := c.DeleteContext(ctx, "never-there"); err != nil {
		t.Fatal(err)
	}
}

// Two processes sharing one Redis share one access token: WeChat is asked once, so neither
// invalidates the other's token.
func TestRedisCacheSharesAccessToken(t *testing.T) {
	rdb := testRedis(t)
	f := newFake(t)
	a := newClient(t, f, wechat.NewRedisCache(rdb, "kehou:wechat:"))
	b := newClient(t, f, wechat.NewRedisCache(rdb, "kehou:wechat:"))
	ctx := context.Background()
	f.Delay(wxfake.EpToken, 100*time.Millisecond) // widen the cold-cache race

	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for i := range 20 {
		cli := a
		if i%2 == 1 {
			cli = b
		}
		wg.Go(func() {
			if _, err := cli.PhoneNumber(ctx, "devphone:13800000000"); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	ta, _ := a.AccessToken(ctx)
	tb, _ := b.AccessToken(ctx)
	if ta == "" || ta != tb {
		t.Fatalf("tokens differ: %q vs %q", ta, tb)
	}
	// The fetch lock in Redis lets only one of them ask WeChat, even on a cold cache.
	if n := len(f.Requests(wxfake.EpToken)); n != 1 {
		t.Fatalf("fetched %d tokens, want 1", n)
	}

	// After one of them drops the stale token, the other picks up the fresh one.
	f.Delay(wxfake.EpToken, 0)
	fetchTokenElsewhere(t, f)
	if _, err := a.PhoneNumber(ctx, "devphone:13800000000"); err != nil {
		t.Fatal(err)
	}
	before := len(f.Requests(wxfake.EpToken))
	if _, err := b.PhoneNumber(ctx, "devphone:13800000000"); err != nil {
		t.Fatal(err)
	}
	if after := len(f.Requests(wxfake.EpToken)); after != before {
		t.Fatalf("b fetched its own token (%d -> %d)", before, after)
	}
}
