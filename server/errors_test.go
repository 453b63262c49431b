package server

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
)

func TestErrorEnvelope(t *testing.T) {
	e := newEnv(t)
	big := `{"name":"` + strings.Repeat("x", MaxBodyBytes) + `"}`
	tests := []struct {
		name   string
		body   string
		ctype  string
		status int
		code   string
		field  string
	}{
		{"malformed json", `{"name":`, "", http.StatusBadRequest, "malformed_json", ""},
		{"not an object", `[1,2]`, "", http.StatusUnprocessableEntity, "validation_failed", ""},
		{"trailing data", `{"name":"丙区"} {"name":"丁区"}`, "", http.StatusBadRequest, "malformed_json", ""},
		{"empty body", ``, "", http.StatusBadRequest, "malformed_json", ""},
		{"unknown field", `{"name":"丙区","mayor":"x"}`, "", http.StatusBadRequest, "unknown_field", "mayor"},
		{"wrong type", `{"name":42}`, "", http.StatusUnprocessableEntity, "validation_failed", "name"},
		{"missing field", `{}`, "", http.StatusUnprocessableEntity, "validation_failed", "name"},
		{"blank field", `{"name":"   "}`, "", http.StatusUnprocessableEntity, "validation_failed", "name"},
		{"oversized body", big, "", http.StatusRequestEntityTooLarge, "body_too_large", ""},
		{"not json", `name=x`, "application/x-www-form-urlencoded", http.StatusUnsupportedMediaType, "unsupported_media_type", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var hdr []string
			if tt.ctype != "" {
				hdr = []string{"Content-Type", tt.ctype}
			}
			r := e.req(http.MethodPost, "/api/v1/admin/counties", e.city, tt.body, hdr...)
			e.expect(r, tt.status, tt.code)
			env := r.envelope(t)
			if env.Message == "" || env.RequestID == "" || env.RequestID != r.Header.Get(echo.HeaderXRequestID) {
				t.Fatalf("envelope lacks message or request id: %s", r.Body)
			}
			if tt.field != "" && env.Fields[tt.field] == "" {
				t.Fatalf("field %q not named: %s", tt.field, r.Body)
			}
		})
	}
	var counties listBody[struct{ Name string }]
	e.req(http.MethodGet, "/api/v1/admin/counties", e.city, nil).json(t, &counties)
	if len(counties.Items) != 2 {
		t.Fatalf("a rejected request created something: %+v", counties.Items)
	}
	e.expect(e.req(http.MethodGet, "/api/v1/nowhere", "", nil), http.StatusNotFound, "not_found")
}

func TestPanicIsA500WithoutInternals(t *testing.T) {
	e := newEnv(t, func(e *env) {
		e.extra = func(ec *echo.Echo, _ echo.MiddlewareFunc) {
			ec.GET("/test/panic", func(echo.Context) error { panic("secret internal detail") })
			ec.GET("/test/error", func(echo.Context) error { return errors.New("mongo: connection string mongodb://u:pw@db") })
		}
	})
	for _, path := range []string{"/test/panic", "/test/error"} {
		r := e.req(http.MethodGet, path, "", nil)
		e.expect(r, http.StatusInternalServerError, "internal")
		if strings.Contains(string(r.Body), "secret") || strings.Contains(string(r.Body), "pw@") {
			t.Fatalf("internal detail leaked: %s", r.Body)
		}
	}
	// The server keeps serving.
	e.expect(e.req(http.MethodGet, "/healthz", "", nil), http.StatusOK, "")
}

func TestIdempotencyKey(t *testing.T) {
	e := newEnv(t)
	body := map[string]string{"name": "丙区"}
	first := e.req(http.MethodPost, "/api/v1/admin/counties", e.city, body, "Idempotency-Key", "k-1")
	e.expect(first, http.StatusCreated, "")
	again := e.req(http.MethodPost, "/api/v1/admin/counties", e.city, body, "Idempotency-Key", "k-1")
	if again.Code != http.StatusCreated || string(again.Body) != string(first.Body) || again.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("replay = %d %s (replayed=%q), want the first answer %s", again.Code, again.Body, again.Header.Get("Idempotent-Replayed"), first.Body)
	}
	e.expect(e.req(http.MethodPost, "/api/v1/admin/counties", e.city, map[string]string{"name": "丁区"}, "Idempotency-Key", "k-1"),
		http.StatusUnprocessableEntity, "idempotency_key_reused")
	// Keys belong to their caller: the county admin's k-1 is another key (and is forbidden).
	e.expect(e.req(http.MethodPost, "/api/v1/admin/counties", e.cntyA, body, "Idempotency-Key", "k-1"), http.StatusForbidden, "forbidden")
	// Without a key, a second create is a conflict, proving the replay did not run twice.
	e.expect(e.req(http.MethodPost, "/api/v1/admin/counties", e.city, body), http.StatusConflict, "conflict")
	e.expect(e.req(http.MethodPost, "/api/v1/admin/counties", e.city, body, "Idempotency-Key", strings.Repeat("k", 200)), http.StatusBadRequest, "bad_idempotency_key")

	// A parent binding retried with the same key after a dropped answer gets the same binding.
	e.importRoster(e.schoolA1.ID, goodRoster)
	mum := e.parent("mum")
	bind := map[string]string{"school_id": e.schoolA1.ID, "student_no": "20260101", "name": "张小明"}
	b1 := e.req(http.MethodPost, "/api/v1/mp/children", mum, bind, "Idempotency-Key", "bind-1")
	b2 := e.req(http.MethodPost, "/api/v1/mp/children", mum, bind, "Idempotency-Key", "bind-1")
	if b1.Code != http.StatusCreated || string(b1.Body) != string(b2.Body) {
		t.Fatalf("bind replay: %s / %s", b1.Body, b2.Body)
	}
}

func TestMemberRateLimit(t *testing.T) {
	e := newEnv(t)
	e.cfg.RateMemberPerMin = 5
	e.rebuild()
	mum := e.parent("mum")
	for i := 0; i < 5; i++ {
		e.expect(e.req(http.MethodGet, "/api/v1/mp/me", mum, nil), http.StatusOK, "")
	}
	e.expect(e.req(http.MethodGet, "/api/v1/mp/me", mum, nil), http.StatusTooManyRequests, "rate_limited")
	// Another member from the same address is not affected.
	e.expect(e.req(http.MethodGet, "/api/v1/mp/me", e.parent("dad"), nil), http.StatusOK, "")
	// The limit slides: a minute later the burst still counts in part; two minutes later it is gone.
	e.now = e.now.Add(61e9)
	e.expect(e.req(http.MethodGet, "/api/v1/mp/me", mum, nil), http.StatusTooManyRequests, "rate_limited")
	e.now = e.now.Add(120e9)
	e.expect(e.req(http.MethodGet, "/api/v1/mp/me", mum, nil), http.StatusOK, "")
}

// Signed-in parents are limited per IP and per member whether their session is cached in Redis
// (one script does both counts and the lookup) or read from MongoDB (the counts are separate).
func TestLimitsWithAndWithoutSessionCache(t *testing.T) {
	e := newEnv(t)
	e.cfg.RateIPPerMinute, e.cfg.RateMemberPerMin = 8, 3
	e.rebuild()
	ctx := context.Background()
	e.ip = "192.0.2.66"                          // an address the fixture's staff logins did not use
	mum, dad := e.parent("mum"), e.parent("dad") // two logins: 2 of this IP's 8
	forget := func() {
		keys, err := e.rdb.Keys(ctx, "kehou:s:*").Result()
		if err != nil || len(keys) == 0 {
			t.Fatalf("session cache keys: %v %v", keys, err)
		}
		e.rdb.Del(ctx, keys...)
	}
	e.expect(e.req(http.MethodGet, "/api/v1/mp/me", mum, nil), http.StatusOK, "") // cached
	forget()
	e.expect(e.req(http.MethodGet, "/api/v1/mp/me", mum, nil), http.StatusOK, "") // from MongoDB
	e.expect(e.req(http.MethodGet, "/api/v1/mp/me", mum, nil), http.StatusOK, "") // cached again
	r := e.req(http.MethodGet, "/api/v1/mp/me", mum, nil)
	e.expect(r, http.StatusTooManyRequests, "rate_limited") // mum's 4th this minute
	if r.Header.Get("Retry-After") == "" {
		t.Fatal("429 without Retry-After")
	}
	forget()
	e.expect(e.req(http.MethodGet, "/api/v1/mp/me", mum, nil), http.StatusTooManyRequests, "rate_limited")
	// dad is another member (IP: 7 of 8 so far), then the IP's limit stops everyone.
	e.expect(e.req(http.MethodGet, "/api/v1/mp/me", dad, nil), http.StatusOK, "")
	e.expect(e.req(http.MethodGet, "/api/v1/mp/me", dad, nil), http.StatusTooManyRequests, "rate_limited")
	e.expect(e.req(http.MethodGet, "/api/v1/mp/me", "", nil), http.StatusTooManyRequests, "rate_limited")
	e.expect(e.req(http.MethodPost, "/api/v1/mp/login", "", map[string]string{"code": "dev:gran"}), http.StatusTooManyRequests, "rate_limited")
	// Another address is not affected; a bad token there is refused as such.
	e.ip = "192.0.2.77"
	e.expect(e.req(http.MethodGet, "/api/v1/mp/me", dad, nil), http.StatusOK, "")
	e.expect(e.req(http.MethodGet, "/api/v1/mp/me", "not-a-token", nil), http.StatusUnauthorized, "unauthenticated")
	// A logged-out token is refused (two minutes on, so that dad is within his limit).
	e.now = e.now.Add(121e9)
	e.expect(e.req(http.MethodPost, "/api/v1/mp/logout", dad, nil), http.StatusNoContent, "")
	e.expect(e.req(http.MethodGet, "/api/v1/mp/me", dad, nil), http.StatusUnauthorized, "unauthenticated")
}
