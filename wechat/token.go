package wechat

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/url"
	"sync"
	"time"

	"github.com/silenceper/wechat/v2/cache"
	"github.com/silenceper/wechat/v2/credential"
)

const (
	// tokenURL is WeChat's ordinary access-token endpoint.
	tokenURL = "https://api.weixin.qq.com/cgi-bin/token?grant_type=client_credential&appid=%s&secret=%s"
	// tokenMargin is taken off expires_in so a cached token is replaced well before it dies
	// (silenceper uses the same margin).
	tokenMargin = 1500 * time.Second
	// fetchLockTTL bounds how long a crashed fetcher can hold the fetch lock.
	fetchLockTTL = 10 * time.Second
	// fetchPoll is how often a process waiting for another's fetch looks at the cache.
	fetchPoll = 50 * time.Millisecond
)

// tokenHandle is the Client's access-token source (a credential.AccessTokenContextHandle).
// Fetching a token invalidates the previous one, so at most one fetch may run at a time across
// all processes sharing the cache: a mutex serialises this process, and with a RedisCache a
// Redis lock serialises the others, who wait for the winner's token to appear in the cache.
// silenceper's DefaultAccessToken has only the in-process lock, and on a cold cache two
// processes would invalidate each other's tokens.
type tokenHandle struct {
	appID, secret string
	cache         cache.Cache
	key           string
	mu            sync.Mutex
}

var _ credential.AccessTokenContextHandle = (*tokenHandle)(nil)

// GetAccessToken implements credential.AccessTokenHandle.
func (h *tokenHandle) GetAccessToken() (string, error) {
	return h.GetAccessTokenContext(context.Background())
}

// GetAccessTokenContext returns the cached token, fetching one if none is cached.
func (h *tokenHandle) GetAccessTokenContext(ctx context.Context) (string, error) {
	if tok := h.cached(ctx); tok != "" {
		return tok, nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if tok := h.cached(ctx); tok != "" {
		return tok, nil
	}
	rc, ok := h.cache.(*RedisCache)
	if !ok {
		return h.fetch(ctx)
	}
	for {
		owner, locked, err := rc.tryLock(ctx, h.key+":lock", fetchLockTTL)
		if err != nil {
			// Redis is failing, so the cache cannot be shared anyway: serve this call.
			return h.fetch(ctx)
		}
		if locked {
			defer func() { _, _ = rc.CompareAndDelete(context.WithoutCancel(ctx), h.key+":lock", owner) }()
			if tok := h.cached(ctx); tok != "" {
				return tok, nil
			}
			return h.fetch(ctx)
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(fetchPoll):
		}
		if tok := h.cached(ctx); tok != "" {
			return tok, nil
		}
	}
}

func (h *tokenHandle) cached(ctx context.Context) string {
	tok, _ := cache.GetContext(ctx, h.cache, h.key).(string)
	return tok
}

// fetch asks WeChat for a new token and caches it.
func (h *tokenHandle) fetch(ctx context.Context) (string, error) {
	const op = "access token"
	u := fmt.Sprintf(tokenURL, url.QueryEscape(h.appID), url.QueryEscape(h.secret))
	res, err := credential.GetTokenFromServerContext(ctx, u)
	if res.ErrCode != 0 {
		return "", &APIError{Code: int(res.ErrCode), Msg: res.ErrMsg, Op: op}
	}
	if err != nil {
		return "", WrapError(op, err)
	}
	if res.AccessToken == "" || res.ExpiresIn <= 0 {
		return "", errors.New("wechat: access token: answer without access_token or expires_in")
	}
	ttl := time.Duration(res.ExpiresIn)*time.Second - tokenMargin
	if ttl <= 0 {
		ttl = time.Duration(res.ExpiresIn) * time.Second / 2
	}
	// A failed Set only means the token is not shared; it is still good for this call.
	_ = cache.SetContext(ctx, h.cache, h.key, res.AccessToken, ttl)
	return res.AccessToken, nil
}

// tryLock takes key with a random owner value for ttl if nobody holds it.
func (c *RedisCache) tryLock(ctx context.Context, key string, ttl time.Duration) (owner string, ok bool, err error) {
	owner = rand.Text()
	ok, err = c.rdb.SetNX(ctx, c.prefix+key, owner, ttl).Result()
	return owner, ok, err
}
