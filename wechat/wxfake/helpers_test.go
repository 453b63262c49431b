package wxfake

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"
)

// startServer starts a fake and stops it when the test ends.
func startServer(t *testing.T) *Server {
	t.Helper()
	s := New()
	if _, err := s.Start(); err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// call sends a request through the fake's own client and decodes the JSON answer. body may be
// nil, a string (sent raw) or any value (sent as JSON).
func call(t *testing.T, s *Server, method, rawURL string, body any) map[string]any {
	t.Helper()
	status, data := send(t, s.HTTPClient(), method, rawURL, body)
	if status != http.StatusOK {
		t.Fatalf("%s %s: status %d: %s", method, rawURL, status, data)
	}
	var out map[string]any
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatalf("%s %s: decode %q: %v", method, rawURL, data, err)
	}
	return out
}

func send(t *testing.T, c *http.Client, method, rawURL string, body any) (int, []byte) {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = bytes.NewBufferString(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, rawURL, rd)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, rawURL, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, data
}

// errcode returns the answer's errcode, 0 when absent.
func errcode(m map[string]any) int {
	f, _ := m["errcode"].(float64)
	return int(f)
}

// wantCode fails the test unless the answer carries errcode want.
func wantCode(t *testing.T, m map[string]any, want int) {
	t.Helper()
	if got := errcode(m); got != want {
		t.Fatalf("errcode = %d, want %d (answer %v)", got, want, m)
	}
}

// getToken fetches an ordinary access token for appID.
func getToken(t *testing.T, s *Server, appID string) string {
	t.Helper()
	m := call(t, s, "GET", "https://api.weixin.qq.com/cgi-bin/token?grant_type=client_credential&appid="+appID+"&secret=s", nil)
	tok, _ := m["access_token"].(string)
	if tok == "" {
		t.Fatalf("no access_token in %v", m)
	}
	return tok
}

// fakeClock is a settable clock for the server's now func.
type fakeClock struct {
	mu  sync.Mutex
	cur time.Time
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cur
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.cur = c.cur.Add(d)
}
