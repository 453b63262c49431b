package server

import (
	"context"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
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

func (s *Server) metricsHandler() echo.HandlerFunc {
	return echo.WrapHandler(promhttp.HandlerFor(s.reg, promhttp.HandlerOpts{}))
}
