package wechat

import (
	"context"
	"errors"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/silenceper/wechat/v2/cache"
)

// RedisCache implements silenceper's cache.Cache and cache.ContextCache on a go-redis v9
// client, so the access token lives in the Redis every kehou process already uses (silenceper's
// own Redis cache needs go-redis v8 and a second connection pool). Keys get a prefix.
//
// Values are stored with Redis SET, so strings (all silenceper caches) round-trip unchanged and
// other values come back as their string form. Redis failures read as a cache miss; silenceper's
// interface has no way to report them.
type RedisCache struct {
	rdb    redis.UniversalClient
	prefix string
}

var (
	_ cache.ContextCache = (*RedisCache)(nil)
	_ compareDeleter     = (*RedisCache)(nil)
)

// NewRedisCache returns a cache storing key k at prefix+k, e.g. prefix "kehou:wechat:".
func NewRedisCache(rdb redis.UniversalClient, prefix string) *RedisCache {
	return &RedisCache{rdb: rdb, prefix: prefix}
}

// Get returns the value at key, or nil when missing.
func (c *RedisCache) Get(key string) any { return c.GetContext(context.Background(), key) }

// GetContext returns the value at key as a string, or nil when missing or on error.
func (c *RedisCache) GetContext(ctx context.Context, key string) any {
	v, err := c.rdb.Get(ctx, c.prefix+key).Result()
	if err != nil {
		return nil
	}
	return v
}

// Set stores val at key for timeout (no expiry when timeout <= 0).
func (c *RedisCache) Set(key string, val any, timeout time.Duration) error {
	return c.SetContext(context.Background(), key, val, timeout)
}

// SetContext stores val at key for timeout (no expiry when timeout <= 0).
func (c *RedisCache) SetContext(ctx context.Context, key string, val any, timeout time.Duration) error {
	// go-redis treats a negative expiration as KEEPTTL; never pass one through.
	timeout = max(timeout, 0)
	return c.rdb.Set(ctx, c.prefix+key, val, timeout).Err()
}

// IsExist reports whether key exists.
func (c *RedisCache) IsExist(key string) bool { return c.IsExistContext(context.Background(), key) }

// IsExistContext reports whether key exists; errors read as false.
func (c *RedisCache) IsExistContext(ctx context.Context, key string) bool {
	n, err := c.rdb.Exists(ctx, c.prefix+key).Result()
	return err == nil && n > 0
}

// Delete removes key.
func (c *RedisCache) Delete(key string) error { return c.DeleteContext(context.Background(), key) }

// DeleteContext removes key.
func (c *RedisCache) DeleteContext(ctx context.Context, key string) error {
	return c.rdb.Del(ctx, c.prefix+key).Err()
}

// compareAndDelete deletes KEYS[1] only while it holds ARGV[1], atomically.
var compareAndDelete = redis.NewScript(`
if redis.call("GET", KEYS[1]) == ARGV[1] then
	return redis.call("DEL", KEYS[1])
end
return 0`)

// CompareAndDelete removes key only while it holds val, in one atomic step, and reports
// whether it did. Client.InvalidateAccessToken uses it so a process that saw a stale token
// cannot delete the fresh token another process has just stored.
func (c *RedisCache) CompareAndDelete(ctx context.Context, key, val string) (bool, error) {
	n, err := compareAndDelete.Run(ctx, c.rdb, []string{c.prefix + key}, val).Int()
	if err != nil && !errors.Is(err, redis.Nil) {
		return false, err
	}
	return n > 0, nil
}
