package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	var hundred []time.Duration
	for i := 1; i <= 100; i++ {
		hundred = append(hundred, ms(i))
	}
	tests := []struct {
		name   string
		sorted []time.Duration
		p      float64
		want   time.Duration
	}{
		{"empty", nil, 50, 0},
		{"one", []time.Duration{ms(7)}, 99, ms(7)},
		{"median of 100", hundred, 50, ms(50)},
		{"p95 of 100", hundred, 95, ms(95)},
		{"p99 of 100", hundred, 99, ms(99)},
		{"max", hundred, 100, ms(100)},
		{"p99 of 3 is the largest", []time.Duration{ms(1), ms(2), ms(3)}, 99, ms(3)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := percentile(tt.sorted, tt.p); got != tt.want {
				t.Errorf("percentile(%v) = %v, want %v", tt.p, got, tt.want)
			}
		})
	}
}

// fakeKehou answers the few routes the scenarios use, rate-limits after limit logins, and
// remembers who bound what.
type fakeKehou struct {
	mu     sync.Mutex
	logins int
	limit  int
	bound  map[string]bool // token → has bound
	child  string          // when set, the only name a binding accepts
}

func (f *fakeKehou) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	token := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	switch {
	case r.Method == http.MethodPost && (r.URL.Path == "/api/v1/mp/login" || r.URL.Path == "/api/v1/admin/login"):
		var body map[string]string
		_ = json.NewDecoder(r.Body).Decode(&body)
		f.logins++
		if f.limit > 0 && f.logins > f.limit {
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		tok := "t-" + body["code"] + body["username"]
		_ = json.NewEncoder(w).Encode(map[string]string{"token": tok})
	case token == "":
		w.WriteHeader(http.StatusUnauthorized)
	case r.URL.Path == "/api/v1/mp/schools" || r.URL.Path == "/api/v1/admin/schools":
		_, _ = w.Write([]byte(`{"items":[{"id":"s1","name":"东湖区实验小学"},{"id":"s2","name":"别的学校"}]}`))
	case r.Method == http.MethodPost && r.URL.Path == "/api/v1/mp/children":
		if r.Header.Get("Idempotency-Key") == "" {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		var body map[string]string
		_ = json.NewDecoder(r.Body).Decode(&body)
		if f.child != "" && body["name"] != f.child {
			w.WriteHeader(http.StatusUnprocessableEntity)
			_, _ = w.Write([]byte(`{"error":{"code":"bind_mismatch"}}`))
			return
		}
		f.bound[token] = true
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write([]byte(`{"id":"g1"}`))
	case r.URL.Path == "/api/v1/mp/children":
		if f.bound[token] {
			_, _ = w.Write([]byte(`{"items":[{"id":"g1"}]}`))
		} else {
			_, _ = w.Write([]byte(`{"items":[]}`))
		}
	case strings.HasPrefix(r.URL.Path, "/api/v1/admin/schools/"):
		_, _ = w.Write([]byte(`{"items":[]}`))
	default:
		w.WriteHeader(http.StatusNotFound)
	}
}

func TestScenarios(t *testing.T) {
	tests := []struct {
		name      string
		args      []string
		limit     int
		child     string
		adminEnv  string // KEHOU_ADMIN_PASSWORD
		want      []string
		wantNot   []string
		wantError string
	}{
		{name: "login", args: []string{"-scenario", "login"},
			want: []string{"POST /api/v1/mp/login", "status codes:", "200×"}, wantNot: []string{"problem", "warning"}},
		{name: "login rate-limited", args: []string{"-scenario", "login"}, limit: 5,
			want: []string{"429×", "warning: the server rate-limited"}},
		{name: "bind", args: []string{"-scenario", "bind"},
			want: []string{"POST /api/v1/mp/children", "GET /api/v1/mp/children", "201×", "all"}, wantNot: []string{"problem"}},
		{name: "bind finds the seeded name", args: []string{"-scenario", "bind"}, child: "王欣怡",
			want: []string{"child=王欣怡", "201×"}, wantNot: []string{"problem", "422×"}},
		{name: "bind with a wrong name", args: []string{"-scenario", "bind", "-child-name", "李四"}, child: "王欣怡",
			wantError: "no child to bind"},
		{name: "bind unknown school", args: []string{"-scenario", "bind", "-school", "无此学校"}, wantError: "no school named"},
		{name: "admin", args: []string{"-scenario", "admin", "-admin-password", "secret-password"},
			want: []string{"GET /api/v1/admin/schools/:id/children"}, wantNot: []string{"problem"}},
		{name: "admin password from the environment", args: []string{"-scenario", "admin"}, adminEnv: "secret-password",
			want: []string{"user=admin schools=2"}},
		{name: "admin without password", args: []string{"-scenario", "admin", "-admin-password", ""}, wantError: "-admin-password"},
		{name: "unknown scenario", args: []string{"-scenario", "nope"}, wantError: "unknown scenario"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("KEHOU_ADMIN_PASSWORD", tt.adminEnv)
			srv := httptest.NewServer(&fakeKehou{limit: tt.limit, child: tt.child, bound: map[string]bool{}})
			defer srv.Close()
			var out, progress bytes.Buffer
			args := append([]string{"-base", srv.URL, "-c", "4", "-d", "200ms", "-progress", "50ms"}, tt.args...)
			err := run(context.Background(), args, &out, &progress)
			if tt.wantError != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantError) {
					t.Fatalf("run() error = %v, want one containing %q", err, tt.wantError)
				}
				return
			}
			if err != nil {
				t.Fatalf("run(): %v", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("report lacks %q:\n%s", w, out.String())
				}
			}
			if !strings.Contains(progress.String(), "req/s in the last 50ms") {
				t.Errorf("no progress lines on stderr: %q", progress.String())
			}
			for _, w := range tt.wantNot {
				if strings.Contains(out.String(), w) {
					t.Errorf("report has %q:\n%s", w, out.String())
				}
			}
		})
	}
}
