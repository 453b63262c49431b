package dingtalk_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"kehou/bots"
	"kehou/bots/dingtalk"
	"kehou/wechat/wxfake"
)

// startFake starts a fake DingTalk API and returns it with a client pointed at it.
func startFake(t *testing.T) (*wxfake.Server, *dingtalk.Client) {
	t.Helper()
	fake := wxfake.New()
	if _, err := fake.Start(); err != nil {
		t.Fatalf("start fake: %v", err)
	}
	t.Cleanup(func() { _ = fake.Close() })
	return fake, dingtalk.New(fake.HTTPClient())
}

// sentMarkdown decodes the markdown title and text of a recorded robot call.
func sentMarkdown(t *testing.T, r wxfake.Request) (title, text string) {
	t.Helper()
	var body struct {
		MsgType  string `json:"msgtype"`
		Markdown struct {
			Title string `json:"title"`
			Text  string `json:"text"`
		} `json:"markdown"`
	}
	if err := json.Unmarshal(r.Body, &body); err != nil {
		t.Fatalf("decode body %q: %v", r.Body, err)
	}
	if body.MsgType != "markdown" {
		t.Fatalf("msgtype = %q, want markdown", body.MsgType)
	}
	return body.Markdown.Title, body.Markdown.Text
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

func TestSign(t *testing.T) {
	// Computed independently: printf '1700000000000\nSECa' | openssl dgst -sha256 -hmac SECa -binary | base64
	ts, sign := dingtalk.Sign("SECa", time.UnixMilli(1700000000000))
	if ts != "1700000000000" || sign != "4ekVoRzSayY+rG73C/IjxUSQRHZ4aVH505qvFFtN5/8=" {
		t.Errorf("Sign = %q, %q", ts, sign)
	}
}

func TestSendMarkdown(t *testing.T) {
	tests := []struct {
		name, title, text string
		wantTitle         string
		wantText          string
	}{
		{"title and text", "暑期托管报名", "报名于 **7 月 1 日** 开始。", "暑期托管报名", "### 暑期托管报名\n\n报名于 **7 月 1 日** 开始。"},
		{"title from text", "", "\n## 家长开放日\n请准时到校。", "家长开放日", "## 家长开放日\n请准时到校。"},
		{"title only", "致家长的一封信", "", "致家长的一封信", "### 致家长的一封信"},
		{"long first line", "", strings.Repeat("满", 100), strings.Repeat("满", 63) + "…", strings.Repeat("满", 100)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fake, c := startFake(t)
			id, err := c.Send(context.Background(), bots.Message{To: "token-1", Title: tc.title, Text: tc.text})
			if err != nil {
				t.Fatalf("Send: %v", err)
			}
			if id != "" {
				t.Errorf("provider id = %q, want \"\" (the robot returns none)", id)
			}
			recs := fake.Requests(wxfake.EpDingTalkRobot)
			if len(recs) != 1 {
				t.Fatalf("fake got %d requests, want 1", len(recs))
			}
			r := recs[0]
			if r.Method != http.MethodPost || r.Path != "/robot/send" || r.Query.Get("access_token") != "token-1" {
				t.Errorf("request = %s %s?%s", r.Method, r.Path, r.Query.Encode())
			}
			if r.Query.Has("timestamp") || r.Query.Has("sign") {
				t.Errorf("unsigned robot got timestamp/sign: %v", r.Query)
			}
			title, text := sentMarkdown(t, r)
			if title != tc.wantTitle || text != tc.wantText {
				t.Errorf("markdown = %q / %q, want %q / %q", title, text, tc.wantTitle, tc.wantText)
			}
		})
	}
}

func TestSendSigned(t *testing.T) {
	fake, c := startFake(t)
	fake.SetDingTalkSecret("signed-robot", "SECright")
	ctx := context.Background()
	m := bots.Message{To: "signed-robot", Secret: "SECright", Title: "通知", Text: "正文"}

	before := time.Now()
	if _, err := c.Send(ctx, m); err != nil {
		t.Fatalf("correct secret: %v", err)
	}
	q := fake.Requests(wxfake.EpDingTalkRobot)[0].Query
	ms, err := strconv.ParseInt(q.Get("timestamp"), 10, 64)
	if err != nil || time.UnixMilli(ms).Before(before.Truncate(time.Millisecond)) || time.UnixMilli(ms).After(time.Now()) {
		t.Errorf("timestamp = %q, want the send time in ms", q.Get("timestamp"))
	}
	if _, want := dingtalk.Sign("SECright", time.UnixMilli(ms)); q.Get("sign") != want {
		t.Errorf("sign = %q, want %q", q.Get("sign"), want)
	}

	for name, secret := range map[string]string{"wrong secret": "SECwrong", "no secret": ""} {
		m.Secret = secret
		_, err := c.Send(ctx, m)
		t.Run(name, func(t *testing.T) {
			wantError(t, err, true, bots.ReasonProvider, "310000")
			if strings.Contains(err.Error(), "signed-robot") {
				t.Errorf("error leaks the token: %v", err)
			}
		})
	}
}

func TestSendRateLimited(t *testing.T) {
	fake, c := startFake(t)
	// A signed robot: twenty accepted signatures also show that sign is URL-encoded exactly
	// once, as base64's '+' and '/' turn up in almost every one of them.
	fake.SetDingTalkSecret("busy-robot", "SECbusy")
	ctx := context.Background()
	m := bots.Message{To: "busy-robot", Secret: "SECbusy", Title: "通知", Text: "第 n 条"}
	for i := range 20 {
		if _, err := c.Send(ctx, m); err != nil {
			t.Fatalf("message %d: %v", i+1, err)
		}
	}
	_, err := c.Send(ctx, m)
	e := wantError(t, err, false, bots.ReasonRateLimited, "130101")
	if e.Wait != time.Minute {
		t.Errorf("Wait = %v, want 1m", e.Wait)
	}
	if n := len(fake.Requests(wxfake.EpDingTalkRobot)); n != 21 {
		t.Errorf("fake got %d requests, want 21", n)
	}
	// The limit is per robot: another group's robot is unaffected.
	if _, err := c.Send(ctx, bots.Message{To: "quiet-robot", Text: "hi"}); err != nil {
		t.Errorf("other robot: %v", err)
	}
}
