package server

import (
	"context"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"
	"github.com/redis/go-redis/v9"

	"kehou/models"
	"kehou/rediskeys"
)

// Rate limits are fixed one-minute windows counted in Redis, so every API replica shares the
// count. When Redis is unreachable a request is let through: refusing every parent because the
// limiter is down would be worse than a minute without limits, and /readyz reports Redis down.
//
// Each count is one script, i.e. one command and one round trip, whatever else it reads.

const (
	bucketIP      = "ip"
	bucketSubject = "subject"
)

// hitScript counts one hit in a window key and gives the key its lifetime on the first hit.
var hitScript = redis.NewScript(`local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return n`)

// gateScript does what every signed-in mini-program request needs from Redis in one command:
// it counts the request against its IP (KEYS[1]) and reads the session entry cached under the
// token's keyed hash (KEYS[2]); when there is one, it counts the request against the member
// named there and reads the member's cached children. So a parent's request costs one Redis
// round trip to be admitted, and the answer route one more to be queued. The member's keys are
// built in the script (ARGV[2] .. member id .. ARGV[3], ARGV[4] .. member id), which a Redis
// Cluster would refuse; kehou uses one Redis (or a primary with replicas), never a cluster.
var gateScript = redis.NewScript(`local ip = redis.call('INCR', KEYS[1])
if ip == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
local sess = redis.call('GET', KEYS[2])
if not sess then return {ip, false, 0, false} end
local member = string.match(sess, '^[^\t]*')
local key = ARGV[2] .. member .. ARGV[3]
local n = redis.call('INCR', key)
if n == 1 then redis.call('EXPIRE', key, ARGV[1]) end
return {ip, sess, n, redis.call('GET', ARGV[4] .. member)}`)

const windowTTL = 61 // seconds: a window's key outlives its minute

// window is the current minute and the seconds until the next one.
func (s *Server) window() (int64, int) {
	now := s.now().Unix()
	return now / 60, int(60 - now%60)
}

func rateKey(bucket, id string, window int64) string {
	return rediskeys.Rate(bucket, id, window)
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

// gate is what gateScript found: whether the IP is over its limit; the cached member (ok false
// when the token is not cached, has expired, or Redis did not answer); whether the member's hit
// was counted and is over the limit; and the member's cached children (kidsOK false when not
// cached).
type gate struct {
	ipOver, counted, memberOver, ok, kidsOK bool
	retry                                   int
	member                                  models.Member
	kids                                    []models.Child
}

func (s *Server) memberGate(ctx context.Context, ip, token string) gate {
	ctx, cancel := cacheCtx(ctx)
	defer cancel()
	w, retry := s.window()
	g := gate{retry: retry}
	res, err := gateScript.Run(ctx, s.rdb, []string{rateKey(bucketIP, ip, w), s.sessionKey(token)}, windowTTL,
		rediskeys.RatePrefix+bucketSubject+":"+memberPrincipal(""), ":"+strconv.FormatInt(w, 10), rediskeys.PupilsPrefix).Slice()
	if err != nil || len(res) != 4 {
		s.log.Warn("rate limiter unavailable", "bucket", bucketIP, "err", err)
		g.counted = true // Redis is down: no limits, and no second attempt at the member's
		return g
	}
	ipHits, _ := res[0].(int64)
	g.ipOver = ipHits > int64(s.cfg.RateIPPerMinute)
	raw, _ := res[1].(string)
	if raw == "" {
		return g
	}
	m, expires, ok := decodeSession(raw)
	memberHits, _ := res[2].(int64)
	g.counted, g.memberOver = true, memberHits > int64(s.cfg.RateMemberPerMin)
	if !ok || !s.now().Before(expires) {
		return g
	}
	g.member, g.ok = m, true
	if kids, cached := res[3].(string); cached {
		g.kids, g.kidsOK = decodePupils(kids)
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
