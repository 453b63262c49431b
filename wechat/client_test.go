package wechat_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"kehou/wechat"
	"kehou/wechat/wxfake"
)

func TestNewRequiresCredentials(t *testing.T) {
	for _, cfg := range []wechat.Config{{AppID: "wx"}, {Secret: "s"}, {}} {
		if _, err := wechat.New(cfg); err == nil {
			t.Errorf("New(%+v) succeeded", cfg)
		}
	}
}

func TestCode2Session(t *testing.T) {
	f := newFake(t)
	c := newClient(t, f, nil)
	ctx := context.Background()

	first, err := c.Code2Session(ctx, "dev:alice")
	if err != nil {
		t.Fatal(err)
	}
	second, err := c.Code2Session(ctx, "dev:alice")
	if err != nil {
		t.Fatal(err)
	}
	if first.OpenID == "" || first.OpenID != second.OpenID || first.UnionID != second.UnionID {
		t.Fatalf("logging in twice gave %v and %v", first, second)
	}
	if first.SessionKey == "" {
		t.Fatal("no session key")
	}
	req := f.Requests(wxfake.EpCode2Session)[0]
	if req.Query.Get("appid") != testAppID || req.Query.Get("secret") != testSecret || req.Query.Get("js_code") != "dev:alice" {
		t.Fatalf("request query = %v", req.Query)
	}

	// Sandbox names may hold characters that are not URL-safe.
	odd, err := c.Code2Session(ctx, "dev:张 三&x")
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte("张 三&x"))
	if want := "dev_" + hex.EncodeToString(sum[:])[:24]; odd.OpenID != want {
		t.Fatalf("openid = %s, want %s", odd.OpenID, want)
	}
}

func TestCode2SessionErrors(t *testing.T) {
	f := newFake(t)
	c := newClient(t, f, nil)
	ctx := context.Background()

	tests := []struct {
		name        string
		setup       func()
		code        string
		invalid     bool // errors.Is ErrInvalidCode
		apiCode     int  // errors.As *APIError with this code, when non-zero
		retryable   bool
		wantTimeout bool
	}{
		{name: "bad code", code: "not-a-dev-code", invalid: true, apiCode: 40029},
		{name: "empty code", code: "", invalid: true},
		{name: "used code", setup: func() { f.FailNext(wxfake.EpCode2Session, 40163, 1) }, code: "dev:alice", invalid: true, apiCode: 40163},
		{name: "system busy", setup: func() { f.FailNext(wxfake.EpCode2Session, -1, 1) }, code: "dev:alice", apiCode: -1, retryable: true},
		{name: "rate limited", setup: func() { f.FailNext(wxfake.EpCode2Session, 45011, 1) }, code: "dev:alice", apiCode: 45011, retryable: true},
		{name: "bad gateway", setup: func() { f.FailNextHTTP(wxfake.EpCode2Session, http.StatusBadGateway, 1) }, code: "dev:alice", retryable: true},
		{name: "timeout", setup: func() { f.Delay(wxfake.EpCode2Session, 2*time.Second) }, code: "dev:alice", retryable: true, wantTimeout: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f.Reset()
			if tc.setup != nil {
				tc.setup()
			}
			cctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
			defer cancel()
			_, err := c.Code2Session(cctx, tc.code)
			if err == nil {
				t.Fatal("no error")
			}
			if got := errors.Is(err, wechat.ErrInvalidCode); got != tc.invalid {
				t.Errorf("errors.Is(ErrInvalidCode) = %v, want %v (%v)", got, tc.invalid, err)
			}
			var ae *wechat.APIError
			if tc.apiCode != 0 && (!errors.As(err, &ae) || ae.Code != tc.apiCode || ae.Op != "code2session") {
				t.Errorf("err = %v, want APIError %d", err, tc.apiCode)
			}
			if got := wechat.Retryable(err); got != tc.retryable {
				t.Errorf("Retryable = %v, want %v (%v)", got, tc.retryable, err)
			}
			if tc.wantTimeout && !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("err = %v, want a deadline", err)
			}
			if msg := err.Error(); strings.Contains(msg, testSecret) || strings.Contains(msg, "alice") {
				t.Errorf("error text leaks credentials: %s", msg)
			}
		})
	}
	f.Reset()
	if _, err := c.Code2Session(ctx, "dev:alice"); err != nil {
		t.Fatalf("after failures: %v", err)
	}
}

func TestSessionHidesKey(t *testing.T) {
	s := wechat.Session{OpenID: "o1", UnionID: "u1", SessionKey: "c2Vzc2lvbmtleQ=="}
	for _, out := range []string{s.String(), s.GoString(), s.LogValue().String(),
		fmtAll(s), fmtAll(&s)} {
		if strings.Contains(out, s.SessionKey) || !strings.Contains(out, "o1") {
			t.Errorf("printed session %q", out)
		}
	}
}
