package wxfake

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

func TestTransportRewritesFakedHosts(t *testing.T) {
	s := startServer(t)
	for _, u := range []string{
		"https://api.weixin.qq.com/sns/jscode2session?appid=a&secret=s&js_code=dev:x",
		"http://API.weixin.qq.com:443/sns/jscode2session?appid=a&secret=s&js_code=dev:x",
	} {
		wantCode(t, call(t, s, "GET", u, nil), 0)
	}
	call(t, s, "POST", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k", map[string]any{"msgtype": "text", "text": map[string]string{"content": "x"}})
	call(t, s, "POST", "https://oapi.dingtalk.com/robot/send?access_token=d", map[string]any{"msgtype": "text", "text": map[string]string{"content": "x"}})

	recs := s.Requests(EpCode2Session)
	if len(recs) != 2 || recs[1].Path != "/sns/jscode2session" || recs[1].Query.Get("js_code") != "dev:x" {
		t.Fatalf("records = %+v", recs)
	}
	if len(s.Requests(EpWeComRobot)) != 1 || len(s.Requests(EpDingTalkRobot)) != 1 {
		t.Fatal("robot requests did not arrive")
	}
}

func TestTransportRefusesOtherHosts(t *testing.T) {
	s := startServer(t)
	c := s.HTTPClient()
	for _, u := range []string{
		"https://example.com/sns/jscode2session",
		"https://api.weixin.qq.com.evil.test/cgi-bin/token",
		s.URL() + "/sns/jscode2session", // even the fake's own address: only faked hosts pass
	} {
		body := &closeTracker{Reader: strings.NewReader("{}")}
		req, _ := http.NewRequest("POST", u, body)
		resp, err := c.Do(req)
		if err == nil {
			resp.Body.Close()
			t.Fatalf("%s: request was not refused", u)
		}
		if !strings.Contains(err.Error(), "wxfake: refusing") {
			t.Fatalf("%s: err = %v", u, err)
		}
		if !body.closed {
			t.Fatalf("%s: body not closed", u)
		}
	}
}

func TestTransportInProcessBeforeStart(t *testing.T) {
	s := New()
	defer s.Close()
	wantCode(t, call(t, s, "GET", "https://api.weixin.qq.com/sns/jscode2session?appid=a&secret=s&js_code=dev:x", nil), 0)
	if status, _ := send(t, s.HTTPClient(), "GET", "https://api.weixin.qq.com/nope", nil); status != http.StatusNotFound {
		t.Fatalf("status %d, want 404", status)
	}
	if n := len(s.Requests(EpCode2Session)); n != 1 {
		t.Fatalf("recorded %d requests", n)
	}
}

type closeTracker struct {
	io.Reader
	closed bool
}

func (c *closeTracker) Close() error { c.closed = true; return nil }
