package wxfake

import (
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestWeComRobot(t *testing.T) {
	s := startServer(t)
	u := "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k1"
	text := func(c string) map[string]any {
		return map[string]any{"msgtype": "text", "text": map[string]string{"content": c}}
	}

	tests := []struct {
		name, url string
		body      any
		want      int
	}{
		{"text", u, text("家长开放日通知"), 0},
		{"markdown", u, map[string]any{"msgtype": "markdown", "markdown": map[string]string{"content": "**通知**"}}, 0},
		{"no key", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send", text("x"), 93000},
		{"image", u, map[string]any{"msgtype": "image"}, 40008},
		{"empty", u, text(""), 44004},
		{"text too long", u, text(strings.Repeat("a", 2049)), 40058},
		{"bad json", u, "{", 40035},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wantCode(t, call(t, s, "POST", tc.url, tc.body), tc.want)
		})
	}
	recs := s.Requests(EpWeComRobot)
	if len(recs) != len(tests) || recs[0].Query.Get("key") != "k1" || !strings.Contains(string(recs[0].Body), "家长开放日通知") {
		t.Fatalf("records = %+v", recs)
	}
}

func TestRobotRateLimit(t *testing.T) {
	s := startServer(t)
	clock := &fakeClock{cur: time.Now()}
	s.mu.Lock() // the server goroutines read now under mu
	s.now = clock.now
	s.mu.Unlock()
	we := func(key string) int {
		return errcode(call(t, s, "POST", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key="+key,
			map[string]any{"msgtype": "text", "text": map[string]string{"content": "hi"}}))
	}
	ding := func(token string) int {
		return errcode(call(t, s, "POST", "https://oapi.dingtalk.com/robot/send?access_token="+token,
			map[string]any{"msgtype": "text", "text": map[string]string{"content": "hi"}}))
	}

	for i := range 20 {
		if c := we("k1"); c != 0 {
			t.Fatalf("WeCom message %d: errcode %d", i+1, c)
		}
		if c := ding("d1"); c != 0 {
			t.Fatalf("DingTalk message %d: errcode %d", i+1, c)
		}
		clock.advance(time.Second)
	}
	if c := we("k1"); c != 45009 {
		t.Fatalf("21st WeCom message: errcode %d, want 45009", c)
	}
	if c := ding("d1"); c != 130101 {
		t.Fatalf("21st DingTalk message: errcode %d, want 130101", c)
	}
	if we("k2") != 0 || ding("d2") != 0 {
		t.Fatal("limits must be per webhook")
	}
	// The window rolls: 40.5 s later only the first message is more than a minute old.
	clock.advance(40500 * time.Millisecond)
	if c := we("k1"); c != 0 {
		t.Fatalf("after the window rolled: errcode %d", c)
	}
	if c := we("k1"); c != 45009 {
		t.Fatalf("only one slot should have freed up: errcode %d", c)
	}
	s.Reset()
	if c := we("k1"); c != 0 {
		t.Fatalf("after Reset: errcode %d", c)
	}
}

func TestDingTalkRobot(t *testing.T) {
	s := startServer(t)
	const secret = "SECtest"
	s.SetDingTalkSecret("tok", secret)
	text := map[string]any{"msgtype": "text", "text": map[string]string{"content": "暑期托管排班"}}
	signed := func(token, sec string, at time.Time) string {
		ts := strconv.FormatInt(at.UnixMilli(), 10)
		return "https://oapi.dingtalk.com/robot/send?access_token=" + token + "&timestamp=" + ts +
			"&sign=" + url.QueryEscape(dingTalkSign(sec, ts))
	}
	now := time.Now()

	tests := []struct {
		name, url string
		body      any
		want      int
	}{
		{"good sign", signed("tok", secret, now), text, 0},
		{"markdown", signed("tok", secret, now), map[string]any{"msgtype": "markdown", "markdown": map[string]string{"title": "t", "text": "**x**"}}, 0},
		{"wrong secret", signed("tok", "other", now), text, 310000},
		{"no sign", "https://oapi.dingtalk.com/robot/send?access_token=tok", text, 310000},
		{"stale timestamp", signed("tok", secret, now.Add(-61*time.Minute)), text, 310000},
		{"future timestamp", signed("tok", secret, now.Add(61*time.Minute)), text, 310000},
		{"unsigned robot", "https://oapi.dingtalk.com/robot/send?access_token=plain", text, 0},
		{"no token", "https://oapi.dingtalk.com/robot/send", text, 300001},
		{"empty text", signed("tok", secret, now), map[string]any{"msgtype": "text", "text": map[string]string{}}, 40035},
		{"bad json", signed("tok", secret, now), "{", 40035},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wantCode(t, call(t, s, "POST", tc.url, tc.body), tc.want)
		})
	}
	s.SetDingTalkSecret("tok", "")
	wantCode(t, call(t, s, "POST", "https://oapi.dingtalk.com/robot/send?access_token=tok", text), 0)
}
