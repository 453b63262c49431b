package server

import (
	"context"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"
	"github.com/redis/go-redis/v9"

	"kehou/models"
)

// Rate limits are fixed one-minute windows counted in Redis, so every API replica shares the
// count. When Redis is unreachable a request is let through: refusing every parent because the
// limiter is down would be worse than a minute without limits, and /readyz reports Redis down.
//
// Each count is one script, i.e. one command: the API's Redis client pipelines the commands of
// concurrent requests into shared round trips (see cmd/kehou), which a MULTI/EXEC block would
// bypass.

const (
	bucketIP      = "ip"
	bucketSubject = "subject"
)

// hitScript counts one hit in a window key and gives the key its lifetime on the first hit.
var hitScript = redis.NewScript(`local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return n`)

// gateScript does the three checks of every signed-in mini-program request in one command:
// it counts the request against its IP (KEYS[1]), reads the session cache entry of its token
// (KEYS[2]) and, when there is one, counts the request against the member named there. The
// member's key is built in the script (ARGV[2] .. member id .. ARGV[3]), which a Redis Cluster
// would refuse; kehou uses one Redis (or a primary with replicas), never a cluster.
var gateScript = redis.NewScript(`local ip = redis.call('INCR', KEYS[1])
if ip == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
local sess = redis.call('GET', KEYS[2])
if not sess then return {ip, false, 0} end
local key = ARGV[2] .. string.match(sess, '^[^\t]*') .. ARGV[3]
local n = redis.call('INCR', key)
if n == 1 then redis.call('EXPIRE', key, ARGV[1]) end
return {ip, sess, n}`)

const windowTTL = 61 // seconds: a window's key outlives its minute

// window is the current minute and the seconds until the next one.
func (s *Server) window() (int64, int) {
	now := s.now().Unix()
	return now / 60, int(60 - now%60)
}

func rateKey(bucket, id string, window int64) string {
	return "kehou:rl:" + bucket + ":" + id + ":" + strconv.FormatInt(window, 10)
}

// allow counts one request against limit per minute in the named bucket.
func (s *Server) allow(ctx context.Context, bucket, id string, limit int) (bool, int) {
	// A limiter that waits on a dead Redis would make every request slow; give it a moment only.
	ctx, cancel := cacheCtx(ctx)
	defer cancel()
	w, retry := s.window()
	n, err := hitScript.Run(ctx, s.rdb, []string{rateKey(bucket, id, w)}, windowTTL).Int64()
	if err != nil {
		s.log.Warn("rate limiter unavailable", "bucket", bucket, "err", err)
		return true, 0
	}
	return n <= int64(limit), retry
}

// gate is what gateScript found: whether the IP is over its limit, the cached member (ok false
// when the token is not cached or Redis did not answer) and whether the member's hit was
// counted (and is over the limit).
type gate struct {
	ipOver, counted, memberOver, ok bool
	retry                           int
	member                          models.Member
}

func (s *Server) memberGate(ctx context.Context, ip, token string) gate {
	ctx, cancel := cacheCtx(ctx)
	defer cancel()
	w, retry := s.window()
	g := gate{retry: retry}
	res, err := gateScript.Run(ctx, s.rdb, []string{rateKey(bucketIP, ip, w), sessionKey(token)},
		windowTTL, "kehou:rl:"+bucketSubject+":"+memberPrincipal(""), ":"+strconv.FormatInt(w, 10)).Slice()
	if err != nil || len(res) != 3 {
		s.log.Warn("rate limiter unavailable", "bucket", bucketIP, "err", err)
		g.counted = true // Redis is down: no limits, and no second attempt at the member's
		return g
	}
	ipHits, _ := res[0].(int64)
	g.ipOver = ipHits > int64(s.cfg.RateIPPerMinute)
	if raw, _ := res[1].(string); raw != "" {
		m, expires, ok := decodeSession(raw)
		g.member, g.ok = m, ok && s.now().Before(expires)
		memberHits, _ := res[2].(int64)
		g.counted, g.memberOver = true, memberHits > int64(s.cfg.RateMemberPerMin)
	}
	return g
}

func errRateLimited(retryAfter int) *apiError {
	return &apiError{Status: http.StatusTooManyRequests, Code: "rate_limited", Message: "请求过于频繁，请稍后再试", RetryAfter: max(retryAfter, 1)}
}

// limitIP limits requests per client IP in the named bucket.
func (s *Server) limitIP(bucket string, limit int) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if ok, retry := s.allow(c.Request().Context(), bucket, c.RealIP(), limit); !ok {
				return errRateLimited(retry)
			}
			return next(c)
		}
	}
}

// limitSubject limits requests per signed-in member or staff account; it runs after auth.
func (s *Server) limitSubject(bucket string, limit int) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if ok, retry := s.allow(c.Request().Context(), bucket, principal(c), limit); !ok {
				return errRateLimited(retry)
			}
			return next(c)
		}
	}
}
