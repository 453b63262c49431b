package wecom_test

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"kehou/bots"
	"kehou/bots/wecom"
	"kehou/wechat/wxfake"
)

// startFake starts a fake WeCom API and returns it with a client pointed at it.
func startFake(t *testing.T) (*wxfake.Server, *wecom.Client) {
	t.Helper()
	fake := wxfake.New()
	if _, err := fake.Start(); err != nil {
		t.Fatalf("start fake: %v", err)
	}
	t.Cleanup(func() { _ = fake.Close() })
	return fake, wecom.New(fake.HTTPClient())
}

// sentContent decodes the markdown content of a recorded webhook call.
func sentContent(t *testing.T, r wxfake.Request) string {
	t.Helper()
	var body struct {
		MsgType  string `json:"msgtype"`
		Markdown struct {
			Content string `json:"content"`
		} `json:"markdown"`
	}
	if err := json.Unmarshal(r.Body, &body); err != nil {
		t.Fatalf("decode body %q: %v", r.Body, err)
	}
	if body.MsgType != "markdown" {
		t.Fatalf("msgtype = %q, want markdown", body.MsgType)
	}
	return body.Markdown.Content
}

// wantError checks that err is a *bots.Error with the given classification.
func wantError(t *testing.T, err error, permanent bool, reason, code string) *bots.Error {
	t.Helper()
	var e *bots.Error
	if !errors.As(err, &e) {
		t.Fatalf("err = %v (%T), want *bots.Error", err, err)
	}
	if e.Permanent != permanent || e.Reason != reason || e.Code != code {
		t.Fatalf("err = %+v, want permanent=%v reason=%s code=%s", e, permanent, reason, code)
	}
	return e
}

func TestSendMarkdown(t *testing.T) {
	tests := []struct {
		name, title, text, want string
	}{
		{"title and text", "暑期托管报名", "报名于 **7 月 1 日** 开始。", "# 暑期托管报名\n报名于 **7 月 1 日** 开始。"},
		{"text only", "", "明天家长开放日", "明天家长开放日"},
		{"title only", "致家长的一封信", "", "# 致家长的一封信"},
		{"title with line break", "第一行\n第二行", "正文", "# 第一行 第二行\n正文"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fake, c := startFake(t)
			id, err := c.Send(context.Background(), bots.Message{To: "robot-key-1", Title: tc.title, Text: tc.text})
			if err != nil {
				t.Fatalf("Send: %v", err)
			}
			if id != "" {
				t.Errorf("provider id = %q, want \"\" (the robot returns none)", id)
			}
			recs := fake.Requests(wxfake.EpWeComRobot)
			if len(recs) != 1 {
				t.Fatalf("fake got %d requests, want 1", len(recs))
			}
			r := recs[0]
			if r.Method != http.MethodPost || r.Path != "/cgi-bin/webhook/send" || r.Query.Get("key") != "robot-key-1" {
				t.Errorf("request = %s %s?%s", r.Method, r.Path, r.Query.Encode())
			}
			if got := sentContent(t, r); got != tc.want {
				t.Errorf("content = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestSendRateLimited(t *testing.T) {
	fake, c := startFake(t)
	ctx := context.Background()
	m := bots.Message{To: "busy-robot", Title: "通知", Text: "第 n 条"}
	for i := range 20 {
		if _, err := c.Send(ctx, m); err != nil {
			t.Fatalf("message %d: %v", i+1, err)
		}
	}
	_, err := c.Send(ctx, m)
	e := wantError(t, err, false, bots.ReasonRateLimited, "45009")
	if e.Wait != time.Minute {
		t.Errorf("Wait = %v, want 1m", e.Wait)
	}
	if n := len(fake.Requests(wxfake.EpWeComRobot)); n != 21 {
		t.Errorf("fake got %d requests, want 21", n)
	}
	// The limit is per robot: another group's robot is unaffected.
	if _, err := c.Send(ctx, bots.Message{To: "quiet-robot", Text: "hi"}); err != nil {
		t.Errorf("other robot: %v", err)
	}
}

func TestSendClassifiesAnswers(t *testing.T) {
	tests := []struct {
		name      string
		errcode   int // injected errcode, or 0 with status set
		status    int // injected HTTP status
		permanent bool
		reason    string
		code      string
	}{
		{name: "invalid key", errcode: 93000, permanent: true, reason: bots.ReasonInvalidRecipient, code: "93000"},
		{name: "invalid msgtype", errcode: 40008, permanent: true, reason: bots.ReasonTemplateMismatch, code: "40008"},
		{name: "too long", errcode: 40058, permanent: true, reason: bots.ReasonTemplateMismatch, code: "40058"},
		{name: "empty content", errcode: 44004, permanent: true, reason: bots.ReasonTemplateMismatch, code: "44004"},
		{name: "system busy", errcode: -1, reason: bots.ReasonProvider, code: "-1"},
		{name: "rate limited", errcode: 45009, reason: bots.ReasonRateLimited, code: "45009"},
		{name: "unknown code", errcode: 99999, reason: bots.ReasonProvider, code: "99999"},
		{name: "bad gateway", status: http.StatusBadGateway, reason: bots.ReasonProvider, code: "http_502"},
		{name: "http 429", status: http.StatusTooManyRequests, reason: bots.ReasonRateLimited, code: "http_429"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fake, c := startFake(t)
			if tc.status != 0 {
				fake.FailNextHTTP(wxfake.EpWeComRobot, tc.status, 1)
			} else {
				fake.FailNext(wxfake.EpWeComRobot, tc.errcode, 1)
			}
			m := bots.Message{To: "secret-key-123", Text: "x"}
			_, err := c.Send(context.Background(), m)
			wantError(t, err, tc.permanent, tc.reason, tc.code)
			if bots.Permanent(err) != tc.permanent {
				t.Errorf("bots.Permanent = %v", bots.Permanent(err))
			}
			// Only the injected failure: the next send goes through.
			if _, err := c.Send(context.Background(), m); err != nil {
				t.Errorf("second send: %v", err)
			}
		})
	}
}

func TestSendRefusesWithoutCalling(t *testing.T) {
	fake, c := startFake(t)
	_, err := c.Send(context.Background(), bots.Message{Text: "no key"})
	wantError(t, err, true, bots.ReasonInvalidRecipient, "")
	_, err = c.Send(context.Background(), bots.Message{To: "k", Title: " \n ", Text: "\t"})
	wantError(t, err, true, bots.ReasonTemplateMismatch, "")
	if n := len(fake.Requests(wxfake.EpWeComRobot)); n != 0 {
		t.Errorf("fake got %d requests, want 0", n)
	}
}

// redirect sends every request to addr, standing in for a WeCom host that cannot be reached.
type redirect struct{ addr string }

func (r redirect) RoundTrip(req *http.Request) (*http.Response, error) {
	out := req.Clone(req.Context())
	out.URL.Scheme, out.URL.Host = "http", r.addr
	return http.DefaultTransport.RoundTrip(out)
}

func TestSendNetworkErrors(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there any more: connections are refused
	c := wecom.New(&http.Client{Transport: redirect{addr}, Timeout: 5 * time.Second})
	_, err = c.Send(context.Background(), bots.Message{To: "secret-key-123", Text: "x"})
	wantError(t, err, false, bots.ReasonNetwork, "")
	if strings.Contains(err.Error(), "secret-key-123") {
		t.Errorf("error leaks the webhook key: %v", err)
	}

	_, c2 := startFake(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = c2.Send(ctx, bots.Message{To: "k", Text: "x"})
	wantError(t, err, false, bots.ReasonNetwork, "")
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want it to wrap context.Canceled", err)
	}
}

func TestSendTruncatesChinese(t *testing.T) {
	fake, c := startFake(t)
	// 3 bytes a character: far beyond 4,096 bytes, and the cut falls inside a character
	// unless it is moved to a boundary.
	text := strings.Repeat("课后服务满意度调查", 300)
	if _, err := c.Send(context.Background(), bots.Message{To: "k", Title: "问卷", Text: text}); err != nil {
		t.Fatalf("Send: %v (the fake refuses content over 4,096 bytes)", err)
	}
	recs := fake.Requests(wxfake.EpWeComRobot)
	if len(recs) != 1 {
		t.Fatalf("fake got %d requests, want 1", len(recs))
	}
	got := sentContent(t, recs[0])
	if !utf8.ValidString(got) || len(got) > 4096 || len(got) < 4096-6 {
		t.Errorf("content: valid=%v len=%d", utf8.ValidString(got), len(got))
	}
	if !strings.HasPrefix(got, "# 问卷\n课后服务") || !strings.HasSuffix(got, "…") {
		t.Errorf("content = %q…%q", got[:20], got[len(got)-20:])
	}
}
