package server

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/prometheus/client_golang/prometheus"
)

// MaxBodyBytes bounds every request body (docs/architecture.md: bodies over 1 MiB get 413).
const MaxBodyBytes = 1 << 20

var goodRequestID = regexp.MustCompile(`^[A-Za-z0-9._-]{8,64}$`)

// withRequestID keeps a sane incoming X-Request-Id (from the proxy) or makes one, and puts it
// on the response so that a user's screenshot leads to the log line.
func withRequestID(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		rid := c.Request().Header.Get(echo.HeaderXRequestID)
		if !goodRequestID.MatchString(rid) {
			b := make([]byte, 12)
			_, _ = rand.Read(b)
			rid = hex.EncodeToString(b)
		}
		c.Response().Header().Set(echo.HeaderXRequestID, rid)
		return next(c)
	}
}

// securityHeaders puts X-Content-Type-Options: nosniff on every response, and
// Cache-Control: no-store on every mini-program and admin response (JSON, CSV and XLSX alike:
// they carry personal data). A handler that sets its own Cache-Control (a public, cacheable
// route) keeps it: the default is applied just before the header is written.
func securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set(echo.HeaderXContentTypeOptions, "nosniff")
		if p := c.Request().URL.Path; strings.HasPrefix(p, "/api/v1/mp/") || strings.HasPrefix(p, "/api/v1/admin/") {
			c.Response().Before(func() {
				if h.Get(echo.HeaderCacheControl) == "" {
					h.Set(echo.HeaderCacheControl, "no-store")
				}
			})
		}
		return next(c)
	}
}

func requestID(c echo.Context) string { return c.Response().Header().Get(echo.HeaderXRequestID) }

// routeLabel is echo's route template, never the raw URL, so metrics stay bounded.
func routeLabel(c echo.Context) string {
	if p := c.Path(); p != "" {
		return p
	}
	return "unmatched"
}

type httpMetrics struct {
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
}

func newHTTPMetrics(reg prometheus.Registerer) *httpMetrics {
	m := &httpMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kehou_http_requests_total", Help: "HTTP requests by route template, method and status.",
		}, []string{"method", "route", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "kehou_http_request_duration_seconds", Help: "HTTP request latency by route template, method and status.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"method", "route", "status"}),
	}
	reg.MustRegister(m.requests, m.latency)
	return m
}

// observe logs and measures every request after the error handler has written the answer.
func (s *Server) observe(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		if err != nil {
			c.Error(err) // write the response now so the status below is the real one
		}
		status := c.Response().Status
		route := routeLabel(c)
		d := time.Since(start)
		code := strconv.Itoa(status)
		s.metrics.requests.WithLabelValues(c.Request().Method, route, code).Inc()
		s.metrics.latency.WithLabelValues(c.Request().Method, route, code).Observe(d.Seconds())
		s.log.Info("http", "request_id", requestID(c), "method", c.Request().Method, "route", route,
			"status", status, "ms", d.Milliseconds(), "ip", c.RealIP())
		return nil
	}
}

// recoverPanics turns a panic into a plain 500 and logs the stack with the request id.
func (s *Server) recoverPanics() echo.MiddlewareFunc {
	return middleware.RecoverWithConfig(middleware.RecoverConfig{
		LogErrorFunc: func(c echo.Context, err error, stack []byte) error {
			s.log.Error("panic", "request_id", requestID(c), "route", routeLabel(c), "err", err, "stack", string(stack))
			return errors.New("panic recovered")
		},
	})
}

func bodyLimit() echo.MiddlewareFunc { return middleware.BodyLimit("1M") }
