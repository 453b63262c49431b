package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// syncBuffer collects the command's stdout while it runs.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// running is one `kehou run` in the background.
type running struct {
	t      *testing.T
	base   string
	stdout *syncBuffer
	cancel context.CancelFunc
	done   chan error
}

func start(t *testing.T, env map[string]string) *running {
	t.Helper()
	addr := freeAddr(t)
	env["KEHOU_HTTP_ADDR"] = addr
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{t: t, base: "http://" + addr, stdout: &syncBuffer{}, cancel: cancel, done: make(chan error, 1)}
	logs := io.Discard
	if os.Getenv("KEHOU_TEST_LOG") != "" {
		logs = os.Stderr
	}
	go func() { r.done <- run(ctx, []string{"run"}, func(k string) string { return env[k] }, r.stdout, logs) }()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(r.base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return r
			}
		}
		select {
		case err := <-r.done:
			t.Fatalf("kehou run exited early: %v", err)
		case <-time.After(100 * time.Millisecond):
		}
	}
	t.Fatal("kehou run did not become ready")
	return nil
}

// stop sends the equivalent of Ctrl-C and waits for a clean exit.
func (r *running) stop() {
	r.t.Helper()
	r.cancel()
	select {
	case err := <-r.done:
		if err != nil {
			r.t.Fatalf("kehou run exited with %v", err)
		}
	case <-time.After(60 * time.Second):
		r.t.Fatal("kehou run did not stop")
	}
}

func (r *running) call(method, path, token string, body any) (int, map[string]any) {
	r.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, r.base+path, rd)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	out := map[string]any{}
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

func (r *running) login(path string, body any) string {
	r.t.Helper()
	code, out := r.call(http.MethodPost, path, "", body)
	if code != http.StatusOK {
		r.t.Fatalf("login %s: %d %v", path, code, out)
	}
	return out["token"].(string)
}

// TestRunRestartKeepsData is the newcomer's path end to end: `kehou run` on an empty data
// directory creates the city admin (password printed once) and the demo city; a sandbox parent
// binds a demo child; after Ctrl-C and a second start everything is still there, including the
// encrypted child name, and no second password is printed.
func TestRunRestartKeepsData(t *testing.T) {
	env := map[string]string{"KEHOU_DATA_DIR": t.TempDir()}
	first := start(t, env)
	m := regexp.MustCompile(`password: (\S+)`).FindStringSubmatch(first.stdout.String())
	if m == nil {
		t.Fatalf("no generated admin password printed:\n%s", first.stdout.String())
	}
	password := m[1]
	admin := first.login("/api/v1/admin/login", map[string]string{"username": "admin", "password": password})
	school := demoSchoolID(t, first, admin, "东湖区实验小学")
	parent := first.login("/api/v1/mp/login", map[string]string{"code": "dev:newcomer"})
	bind := map[string]string{"school_id": school, "student_no": "2026010101", "name": "张小明"}
	if code, out := first.call(http.MethodPost, "/api/v1/mp/children", parent, bind); code != http.StatusCreated || out["name"] != "张*明" {
		t.Fatalf("bind demo child: %d %v", code, out)
	}
	first.stop()

	// The operator's recount on the stopped system: the counters rebuilt from the data.
	var recount bytes.Buffer
	if err := run(context.Background(), []string{"recount"}, func(k string) string { return env[k] }, &recount, io.Discard); err != nil ||
		!strings.Contains(recount.String(), "Report counters rebuilt") {
		t.Fatalf("recount: %v %s", err, recount.String())
	}

	second := start(t, env)
	defer second.stop()
	if strings.Contains(second.stdout.String(), "password:") {
		t.Fatal("the admin password must be printed only once")
	}
	admin = second.login("/api/v1/admin/login", map[string]string{"username": "admin", "password": password})
	// The parent's session survived the restart, and so did the binding.
	code, out := second.call(http.MethodGet, "/api/v1/mp/children", parent, nil)
	items, _ := out["items"].([]any)
	if code != http.StatusOK || len(items) != 1 {
		t.Fatalf("binding lost across restart: %d %v", code, out)
	}
	// Binding again with the same name still matches: the key in the data dir survived.
	if code, _ := second.call(http.MethodPost, "/api/v1/mp/children", parent, bind); code != http.StatusCreated {
		t.Fatalf("encrypted names unreadable after restart: %d", code)
	}
	// The demo city was not seeded twice.
	_, counties := second.call(http.MethodGet, "/api/v1/admin/counties", admin, nil)
	if n := len(counties["items"].([]any)); n != 2 {
		t.Fatalf("counties after restart = %d, want 2", n)
	}
	// A demo school admin can log in with the demo password.
	second.login("/api/v1/admin/login", map[string]string{"username": "school-dh1", "password": "kehou-demo-2026"})
}

func demoSchoolID(t *testing.T, r *running, token, name string) string {
	t.Helper()
	_, out := r.call(http.MethodGet, "/api/v1/admin/schools", token, nil)
	for _, it := range out["items"].([]any) {
		s := it.(map[string]any)
		if s["name"] == name {
			return s["id"].(string)
		}
	}
	t.Fatalf("demo school %s not found in %v", name, out)
	return ""
}

func TestBadConfigNamesTheVariable(t *testing.T) {
	var stderr bytes.Buffer
	err := run(context.Background(), []string{"run"}, func(k string) string {
		return map[string]string{"KEHOU_LOGIN_LOCKOUT": "forever"}[k]
	}, io.Discard, &stderr)
	if err == nil || !strings.Contains(err.Error(), "KEHOU_LOGIN_LOCKOUT") {
		t.Fatalf("err = %v", err)
	}
	err = run(context.Background(), []string{"api"}, func(string) string { return "" }, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "KEHOU_MONGO_URI") {
		t.Fatalf("api without URIs: %v", err)
	}
	err = run(context.Background(), []string{"run"}, func(k string) string {
		return map[string]string{"KEHOU_ENV": "production"}[k]
	}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "sandbox") {
		t.Fatalf("production with sandbox: %v", err)
	}
	// A weak KEHOU_ADMIN_PASSWORD stops the start, saying what the rule is.
	err = run(context.Background(), []string{"run"}, func(k string) string {
		return map[string]string{"KEHOU_ADMIN_PASSWORD": "a \t \t \t \t b"}[k]
	}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "KEHOU_ADMIN_PASSWORD: must be at least 10 characters, with letters and digits") {
		t.Fatalf("weak admin password: %v", err)
	}
	for env, pw := range map[string]string{"KEHOU_ADMIN_PASSWORD": "correct horse battery", "KEHOU_DEMO_PASSWORD": "1234567890"} {
		err = run(context.Background(), []string{"run"}, func(k string) string { return map[string]string{env: pw}[k] }, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), env+": must be") {
			t.Fatalf("%s %q: %v", env, pw, err)
		}
	}
	var out bytes.Buffer
	if err := run(context.Background(), []string{"version"}, nil, &out, io.Discard); err != nil || strings.TrimSpace(out.String()) != version {
		t.Fatalf("version: %q %v", out.String(), err)
	}
}

func flushRedis(t *testing.T, addr, db string) {
	t.Helper()
	n, _ := strconv.Atoi(db)
	rdb := redis.NewClient(&redis.Options{Addr: addr, DB: n})
	defer rdb.Close()
	if err := rdb.FlushDB(context.Background()).Err(); err != nil {
		t.Fatal(err)
	}
}

// /metrics is not served on the API's listener without a token; KEHOU_METRICS_ADDR serves it on
// a listener of its own (issue 20).
func TestMetricsOnItsOwnListener(t *testing.T) {
	metrics := freeAddr(t)
	r := start(t, map[string]string{"KEHOU_DATA_DIR": t.TempDir(), "KEHOU_METRICS_ADDR": metrics})
	defer r.stop()
	get := func(url string) (int, string) {
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, _ := get(r.base + "/metrics"); code != http.StatusNotFound {
		t.Fatalf("/metrics on KEHOU_HTTP_ADDR: %d, want 404", code)
	}
	code, body := get("http://" + metrics + "/metrics")
	if code != http.StatusOK || !strings.Contains(body, "kehou_http_requests_total") {
		t.Fatalf("/metrics on KEHOU_METRICS_ADDR: %d %.200s", code, body)
	}
}
