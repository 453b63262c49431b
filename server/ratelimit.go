package server

import (
	"context"
	"math"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"
	"github.com/redis/go-redis/v9"

	"kehou/models"
	"kehou/rediskeys"
)

// Rate limits are sliding one-minute windows counted in Redis, so every API replica shares the
// count. A fixed window per wall-clock minute let a burst straddling a minute's end through
// twice; the sliding-window counter weighs the previous minute's count by the part of it that
// still lies within the last 60 seconds: estimate = previous × (60 − elapsed)/60 + current.
// A burst of the limit at 09:00:59 therefore still counts in full at 09:01:00, and fades out
// over that minute. (It is an approximation: it assumes the previous minute's hits were spread
// evenly, which errs on the strict side for a burst at the end of the minute.) Every hit is
// counted, refused ones too, as before: a client that keeps hammering stays refused.
//
// When Redis is unreachable a request is let through: refusing every parent because the
// limiter is down would be worse than a minute without limits, and /readyz reports Redis down.
//
// Each check is one script, i.e. one command and one round trip, whatever else it reads.

const (
	bucketIP      = "ip"
	bucketSubject = "subject"
)

// hitScript counts one hit in the current minute's key (KEYS[1]), giving it its lifetime on the
// first hit, and reads the previous minute's count (KEYS[2]).
var hitScript = redis.NewScript(`local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return {n, tonumber(redis.call('GET', KEYS[2]) or '0')}`)

// gateScript does what every signed-in mini-program request needs from Redis in one command:
// it counts the request against its IP (KEYS[1], the previous minute's count in KEYS[2]) and
// reads the session entry cached under the token's keyed hash (KEYS[3]); when there is one, it
// counts the request against the member named there (and reads the member's previous minute)
// and reads the member's cached children. So a parent's request costs one Redis round trip to
// be admitted, and the answer route one more to be queued. The member's keys are built in the
// script (ARGV[2] .. member id .. ARGV[3] for this minute, ARGV[5] for the previous one,
// ARGV[4] .. member id for the children), which a Redis Cluster would refuse; kehou uses one
// Redis (or a primary with replicas), never a cluster.
var gateScript = redis.NewScript(`local ip = redis.call('INCR', KEYS[1])
if ip == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
local ipPrev = tonumber(redis.call('GET', KEYS[2]) or '0')
local sess = redis.call('GET', KEYS[3])
if not sess then return {ip, false, 0, false, ipPrev, 0} end
local member = string.match(sess, '^[^\t]*')
local key = ARGV[2] .. member .. ARGV[3]
local n = redis.call('INCR', key)
if n == 1 then redis.call('EXPIRE', key, ARGV[1]) end
local prev = tonumber(redis.call('GET', ARGV[2] .. member .. ARGV[5]) or '0')
return {ip, sess, n, redis.call('GET', ARGV[4] .. member), ipPrev, prev}`)

// windowTTL keeps a minute's key through the next minute, where it is the previous one.
const windowTTL = 121 // seconds

// slidingWindow is the current minute and how far into it now is.
type slidingWindow struct {
	minute  int64
	elapsed float64 // seconds into the minute, 0 ≤ elapsed < 60
}

func (s *Server) window() slidingWindow {
	ms := s.now().UnixMilli()
	return slidingWindow{minute: ms / 60000, elapsed: float64(ms%60000) / 1000}
}

// over reports whether cur hits this minute (this one included) and prev in the previous
// minute exceed limit over the last 60 seconds, and if so how many seconds until one more hit
// would be allowed, were no other hit to come.
func (w slidingWindow) over(cur, prev int64, limit int) (bool, int) {
	weight := (60 - w.elapsed) / 60
	if float64(prev)*weight+float64(cur) <= float64(limit) {
		return false, 0
	}
	// The next hit is cur+1 with the previous minute fading: find when
	// prev × (60 − elapsed − t)/60 + cur + 1 ≤ limit, within this minute or else the next.
	room := float64(limit) - float64(cur) - 1
	if room >= 0 && prev > 0 {
		t := 60 - w.elapsed - 60*room/float64(prev)
		return true, max(int(math.Ceil(t)), 1)
	}
	t := 60 - w.elapsed // this minute's hits become the previous minute's
	if cur > 0 {
		t += max(60*(1-float64(limit-1)/float64(cur)), 0)
	}
	return true, max(int(math.Ceil(t)), 1)
}

func rateKey(bucket, id string, minute int64) string {
	return rediskeys.Rate(bucket, id, minute)
}

// allow counts one request against limit per sliding minute in the named bucket.
func (s *Server) allow(ctx context.Context, bucket, id string, limit int) (bool, int) {
	// A limiter that waits on a dead Redis would make every request slow; give it a moment only.
	ctx, cancel := cacheCtx(ctx)
	defer cancel()
	w := s.window()
	res, err := hitScript.Run(ctx, s.rdb, []string{rateKey(bucket, id, w.minute), rateKey(bucket, id, w.minute-1)}, windowTTL).Int64Slice()
	if err != nil || len(res) != 2 {
		s.log.Warn("rate limiter unavailable", "bucket", bucket, "err", err)
		return true, 0
	}
	over, retry := w.over(res[0], res[1], limit)
	return !over, retry
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
	w := s.window()
	g := gate{}
	res, err := gateScript.Run(ctx, s.rdb, []string{rateKey(bucketIP, ip, w.minute), rateKey(bucketIP, ip, w.minute-1), s.sessionKey(token)}, windowTTL,
		rediskeys.RatePrefix+bucketSubject+":"+memberPrincipal(""), ":"+strconv.FormatInt(w.minute, 10), rediskeys.PupilsPrefix,
		":"+strconv.FormatInt(w.minute-1, 10)).Slice()
	if err != nil || len(res) != 6 {
		s.log.Warn("rate limiter unavailable", "bucket", bucketIP, "err", err)
		g.counted = true // Redis is down: no limits, and no second attempt at the member's
		return g
	}
	ipHits, _ := res[0].(int64)
	ipPrev, _ := res[4].(int64)
	g.ipOver, g.retry = w.over(ipHits, ipPrev, s.cfg.RateIPPerMinute)
	raw, _ := res[1].(string)
	if raw == "" {
		return g
	}
	m, expires, ok := decodeSession(raw)
	memberHits, _ := res[2].(int64)
	memberPrev, _ := res[5].(int64)
	g.counted = true
	if over, retry := w.over(memberHits, memberPrev, s.cfg.RateMemberPerMin); over {
		g.memberOver, g.retry = true, max(g.retry, retry)
	}
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
