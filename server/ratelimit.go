package server

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
)

// allow counts one request against limit per minute in a fixed window kept in Redis, so every
// API replica shares the count. When Redis is unreachable it lets the request through: refusing
// every parent because the limiter is down would be worse than a minute without limits, and
// /readyz already reports Redis down.
func (s *Server) allow(ctx context.Context, bucket, id string, limit int) (bool, int) {
	// A limiter that waits on a dead Redis would make every request slow; give it a moment only.
	ctx, cancel := context.WithTimeout(ctx, 250*time.Millisecond)
	defer cancel()
	now := s.now()
	window := now.Unix() / 60
	key := fmt.Sprintf("kehou:rl:%s:%s:%d", bucket, id, window)
	pipe := s.rdb.TxPipeline()
	incr := pipe.Incr(ctx, key)
	pipe.Expire(ctx, key, 61*time.Second)
	if _, err := pipe.Exec(ctx); err != nil {
		s.log.Warn("rate limiter unavailable", "bucket", bucket, "err", err)
		return true, 0
	}
	if incr.Val() > int64(limit) {
		return false, int(60 - now.Unix()%60)
	}
	return true, 0
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
