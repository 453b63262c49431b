package server

import (
	"context"
	"crypto/subtle"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// healthz answers as long as the process serves HTTP (liveness).
func (s *Server) healthz(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}

// readyz pings MongoDB and Redis; a load balancer takes the replica out while either is down.
func (s *Server) readyz(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
	defer cancel()
	checks := map[string]string{"mongo": "ok", "redis": "ok"}
	status := http.StatusOK
	if err := s.store.Ping(ctx); err != nil {
		checks["mongo"] = "down"
		status = http.StatusServiceUnavailable
		s.log.Warn("readiness: mongo down", "err", err)
	}
	if err := s.rdb.Ping(ctx).Err(); err != nil {
		checks["redis"] = "down"
		status = http.StatusServiceUnavailable
		s.log.Warn("readiness: redis down", "err", err)
	}
	return c.JSON(status, map[string]any{"status": map[bool]string{true: "ready", false: "not_ready"}[status == http.StatusOK], "checks": checks})
}

func (s *Server) versionInfo(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]string{"version": s.version})
}

// metricsHandler serves /metrics on the API's listener only to a scraper that presents
// KEHOU_METRICS_TOKEN; without a token configured it is not served there at all (404), and
// Prometheus scrapes the separate KEHOU_METRICS_ADDR listener instead (cmd/kehou).
func (s *Server) metricsHandler() echo.HandlerFunc {
	if s.cfg.MetricsToken == "" {
		return func(echo.Context) error { return errNotFound }
	}
	return echo.WrapHandler(MetricsHandler(s.reg, s.cfg.MetricsToken))
}

// MetricsHandler serves the registry in Prometheus' format. With a token, only requests with
// "Authorization: Bearer <token>" get it (compared in constant time); others get 401. An empty
// token serves everyone: for a listener that only the monitoring network reaches.
func MetricsHandler(reg prometheus.Gatherer, token string) http.Handler {
	h := promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
	if token == "" {
		return h
	}
	want := []byte("Bearer " + token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), want) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="metrics"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}
