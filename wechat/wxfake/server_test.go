package wxfake

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"testing"
	"time"
)

const loginURL = "https://api.weixin.qq.com/sns/jscode2session?appid=a&secret=s&js_code=dev:alice"

func TestFailNextCountsDown(t *testing.T) {
	s := startServer(t)
	s.FailNext(EpCode2Session, -1, 2)
	s.FailNext(EpCode2Session, 45009, 1)
	s.FailNext(EpCode2Session, 40029, 0) // no-op
	for i, want := range []int{-1, -1, 45009, 0, 0} {
		m := call(t, s, "GET", loginURL, nil)
		if got := errcode(m); got != want {
			t.Fatalf("call %d: errcode %d, want %d (%v)", i+1, got, want, m)
		}
		if want != 0 && m["errmsg"] == "" {
			t.Fatalf("call %d: empty errmsg", i+1)
		}
	}
	// Failures are per endpoint and recorded like any request.
	s.FailNext(EpToken, 40001, 1)
	wantCode(t, call(t, s, "GET", loginURL, nil), 0)
	if n := len(s.Requests(EpCode2Session)); n != 6 {
		t.Fatalf("recorded %d code2session calls, want 6", n)
	}

	s.FailNextHTTP(EpCode2Session, http.StatusBadGateway, 1)
	if status, _ := send(t, s.HTTPClient(), "GET", loginURL, nil); status != http.StatusBadGateway {
		t.Fatalf("status %d, want 502", status)
	}
	wantCode(t, call(t, s, "GET", loginURL, nil), 0)
}

func TestDelay(t *testing.T) {
	s := startServer(t)
	s.Delay(EpCode2Session, 150*time.Millisecond)
	start := time.Now()
	wantCode(t, call(t, s, "GET", loginURL, nil), 0)
	if d := time.Since(start); d < 150*time.Millisecond {
		t.Fatalf("answered after %v, want >= 150ms", d)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", loginURL, nil)
	if _, err := s.HTTPClient().Do(req); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want deadline exceeded", err)
	}

	s.Delay(EpCode2Session, 0)
	start = time.Now()
	call(t, s, "GET", loginURL, nil)
	if d := time.Since(start); d > 100*time.Millisecond {
		t.Fatalf("delay not cleared: %v", d)
	}
}

func TestRequestsResetAndInspect(t *testing.T) {
	s := startServer(t)
	call(t, s, "GET", loginURL, nil)
	call(t, s, "POST", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k", map[string]any{"msgtype": "text", "text": map[string]string{"content": "通知"}})

	recs := s.Requests(EpCode2Session)
	if len(recs) != 1 || recs[0].Method != "GET" || recs[0].Path != "/sns/jscode2session" ||
		recs[0].Query.Get("js_code") != "dev:alice" || recs[0].Time.IsZero() || recs[0].Endpoint != EpCode2Session {
		t.Fatalf("records = %+v", recs)
	}
	recs[0].Query.Set("js_code", "changed") // callers get copies
	if s.Requests(EpCode2Session)[0].Query.Get("js_code") != "dev:alice" {
		t.Fatal("Requests returned shared state")
	}

	var got struct {
		Requests []struct {
			Endpoint string          `json:"endpoint"`
			Path     string          `json:"path"`
			Body     json.RawMessage `json:"body"`
		} `json:"requests"`
	}
	status, data := send(t, http.DefaultClient, "GET", s.URL()+"/_fake/requests?endpoint=wecom_robot", nil)
	if err := json.Unmarshal(data, &got); status != 200 || err != nil {
		t.Fatalf("inspect: %d %s %v", status, data, err)
	}
	if len(got.Requests) != 1 || got.Requests[0].Endpoint != "wecom_robot" || !json.Valid(got.Requests[0].Body) {
		t.Fatalf("inspect = %s", data)
	}
	_, data = send(t, http.DefaultClient, "GET", s.URL()+"/_fake/requests", nil)
	if err := json.Unmarshal(data, &got); err != nil || len(got.Requests) != 2 || got.Requests[0].Endpoint != "code2session" {
		t.Fatalf("inspect all = %s", data)
	}
	if status, _ := send(t, http.DefaultClient, "GET", s.URL()+"/_fake/requests?endpoint=nope", nil); status != http.StatusBadRequest {
		t.Fatalf("unknown endpoint: status %d", status)
	}
	if status, _ := send(t, http.DefaultClient, "POST", s.URL()+"/_fake/requests", ""); status != http.StatusMethodNotAllowed {
		t.Fatalf("POST inspect: status %d", status)
	}

	s.FailNext(EpCode2Session, -1, 5)
	s.Delay(EpCode2Session, time.Second)
	s.Reset()
	if len(s.Requests(EpCode2Session)) != 0 || len(s.Requests(EpWeComRobot)) != 0 {
		t.Fatal("Reset kept records")
	}
	start := time.Now()
	wantCode(t, call(t, s, "GET", loginURL, nil), 0)
	if time.Since(start) > 500*time.Millisecond {
		t.Fatal("Reset kept the delay")
	}
}

func TestUnknownPathAndLifecycle(t *testing.T) {
	s := startServer(t)
	if status, _ := send(t, s.HTTPClient(), "GET", "https://api.weixin.qq.com/cgi-bin/nope", nil); status != http.StatusNotFound {
		t.Fatalf("status %d, want 404", status)
	}
	if _, err := s.Start(); err == nil {
		t.Fatal("second Start succeeded")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if s.URL() != "" {
		t.Fatal("URL after Close")
	}
	if err := New().Close(); err != nil {
		t.Fatalf("Close of unstarted server: %v", err)
	}
}
