package server

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"kehou/models"
)

// withQueueMonitor mounts a stand-in for asynqmon behind the queue monitor's gate, as main does.
func withQueueMonitor(e *env) {
	e.extra = func(ec *echo.Echo, _ echo.MiddlewareFunc) {
		MountQueues(ec, e.st, e.rdb, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write([]byte("asynqmon " + r.Method + " " + r.URL.Path))
		}))
	}
}

// queueTicketCookie asks for a ticket with token and returns the cookie it set.
func queueTicketCookie(t *testing.T, e *env, token string) *http.Cookie {
	t.Helper()
	r := e.req(http.MethodPost, "/api/v1/admin/queues/session", token, nil)
	e.expect(r, http.StatusOK, "")
	var body queuesSessionBody
	r.json(t, &body)
	if body.URL != "/admin/queues/" || !body.ReadOnly || !body.ExpiresAt.After(e.now) {
		t.Fatalf("session body %+v", body)
	}
	cookies := (&http.Response{Header: r.Header}).Cookies()
	if len(cookies) != 1 || cookies[0].Name != queuesCookie {
		t.Fatalf("cookies %v", r.Header.Values("Set-Cookie"))
	}
	return cookies[0]
}

// TestQueueMonitorGate: only a city administrator gets a ticket; the monitor answers a request
// with a live ticket and refuses one without, with a forged one, or after signing out.
func TestQueueMonitorGate(t *testing.T) {
	e := newEnv(t, withQueueMonitor)
	html := []string{"Accept", "text/html,application/xhtml+xml"}

	t.Run("no cookie", func(t *testing.T) {
		r := e.req(http.MethodGet, "/admin/queues/", "", nil, html...)
		if r.Code != http.StatusUnauthorized || !strings.Contains(string(r.Body), "/console/system/queues") {
			t.Fatalf("browser without a ticket: %d %s", r.Code, r.Body)
		}
		e.expect(e.req(http.MethodGet, "/admin/queues/api/queues", "", nil), http.StatusUnauthorized, "unauthenticated")
		// The bearer token alone is not a ticket.
		e.expect(e.req(http.MethodGet, "/admin/queues/api/queues", e.city, nil), http.StatusUnauthorized, "unauthenticated")
	})

	t.Run("county and school refused", func(t *testing.T) {
		e.expect(e.req(http.MethodPost, "/api/v1/admin/queues/session", e.cntyA, nil), http.StatusForbidden, "forbidden")
		e.expect(e.req(http.MethodPost, "/api/v1/admin/queues/session", e.schA1, nil), http.StatusForbidden, "forbidden")
		e.expect(e.req(http.MethodPost, "/api/v1/admin/queues/session", "", nil), http.StatusUnauthorized, "unauthenticated")
	})

	t.Run("forged cookie", func(t *testing.T) {
		e.expect(e.req(http.MethodGet, "/admin/queues/api/queues", "", nil, "Cookie", queuesCookie+"=not-a-ticket"), http.StatusUnauthorized, "unauthenticated")
	})

	t.Run("city gets in", func(t *testing.T) {
		ck := queueTicketCookie(t, e, e.city)
		if ck.Path != QueuesPath || !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode || ck.MaxAge != int(queueTicketTTL.Seconds()) {
			t.Fatalf("cookie %+v", ck)
		}
		for _, path := range []string{"/admin/queues", "/admin/queues/", "/admin/queues/api/queues"} {
			r := e.req(http.MethodGet, path, "", nil, "Cookie", ck.String())
			if r.Code != http.StatusOK || string(r.Body) != "asynqmon GET "+path {
				t.Fatalf("%s with a ticket: %d %s", path, r.Code, r.Body)
			}
			if csp := r.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "connect-src 'self'") {
				t.Fatalf("%s CSP %q", path, csp)
			}
		}
		// Redis holds the ticket's hash only, and neither the ticket nor the bearer token.
		keys, err := e.rdb.Keys(context.Background(), "kehou:qt:*").Result()
		if err != nil || len(keys) == 0 {
			t.Fatalf("ticket keys %v %v", keys, err)
		}
		for _, k := range keys {
			v, _ := e.rdb.Get(context.Background(), k).Result()
			if strings.Contains(k+v, ck.Value) || strings.Contains(k+v, e.city) {
				t.Fatalf("Redis keeps a secret in clear: %s = %s", k, v)
			}
			if ttl := e.rdb.TTL(context.Background(), k).Val(); ttl <= 0 || ttl > queueTicketTTL {
				t.Fatalf("ticket TTL %s", ttl)
			}
		}
	})

	t.Run("a ticket ends with its session", func(t *testing.T) {
		token, _ := e.staffSession("city-2", models.Scope{Role: models.RoleCity})
		ck := queueTicketCookie(t, e, token)
		e.expect(e.req(http.MethodGet, "/admin/queues/api/queues", "", nil, "Cookie", ck.String()), http.StatusOK, "")
		e.expect(e.req(http.MethodPost, "/api/v1/admin/logout", token, nil), http.StatusNoContent, "")
		e.expect(e.req(http.MethodGet, "/admin/queues/api/queues", "", nil, "Cookie", ck.String()), http.StatusUnauthorized, "unauthenticated")
	})
}
