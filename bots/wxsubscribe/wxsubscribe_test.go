package wxsubscribe

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"kehou/bots"
	"kehou/wechat"
	"kehou/wechat/wxfake"
)

func TestFit(t *testing.T) {
	tests := []struct{ key, in, want string }{
		{"thing1", "三年级家长开放日活动安排通知请各位家长准时参加", "三年级家长开放日活动安排通知请各位家长…"},
		{"thing2", "短标题", "短标题"},
		{"phrase3", "已报名成功", "已报名成功"},
		{"phrase3", "报名已经成功", "报名已经…"},
		{"time4", "2026年12月05日 09:00", "2026年12月05日 09:00"},
		{"unknown9", "不限长度不限长度不限长度不限长度不限长度不限长度", "不限长度不限长度不限长度不限长度不限长度不限长度"},
	}
	for _, tt := range tests {
		if got := Fit(tt.key, tt.in); got != tt.want {
			t.Errorf("Fit(%s, %q) = %q, want %q", tt.key, tt.in, got, tt.want)
		}
	}
}

func TestSendAndClassify(t *testing.T) {
	fake := wxfake.New()
	if _, err := fake.Start(); err != nil {
		t.Fatal(err)
	}
	defer fake.Close()
	rdb := redis.NewClient(&redis.Options{Addr: miniredis.RunT(t).Addr()})
	wx, err := wechat.New(wechat.Config{AppID: "wxtest", Secret: "s", HTTPClient: fake.HTTPClient(), Cache: wechat.NewRedisCache(rdb, "t:")})
	if err != nil {
		t.Fatal(err)
	}
	c := New(wx)
	msg := bots.Message{To: "openid-1", TemplateID: "tmpl", Data: map[string]string{"thing1": "开放日"}, Page: "pages/notice/detail?id=1"}
	if _, err := c.Send(context.Background(), msg); err != nil {
		t.Fatalf("send: %v", err)
	}
	tests := []struct {
		name      string
		code      int
		permanent bool
		reason    string
	}{
		{"no consent", 43101, true, bots.ReasonNoConsent},
		{"invalid openid", 40003, true, bots.ReasonInvalidRecipient},
		{"template mismatch", 47003, true, bots.ReasonTemplateMismatch},
		{"system busy", -1, false, bots.ReasonProvider},
		{"quota", 45009, false, bots.ReasonRateLimited},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake.FailNext(wxfake.EpSubscribeSend, tt.code, 1)
			_, err := c.Send(context.Background(), msg)
			if err == nil || bots.Permanent(err) != tt.permanent || bots.Reason(err) != tt.reason {
				t.Fatalf("err = %v, want permanent=%v reason=%s", err, tt.permanent, tt.reason)
			}
		})
	}
	// A stale token (40001) is refreshed once and the send retried.
	fake.FailNext(wxfake.EpSubscribeSend, 40001, 1)
	if _, err := c.Send(context.Background(), msg); err != nil {
		t.Fatalf("after 40001: %v", err)
	}
}

// TestTimeoutKeepsItsKind: a call the HTTP client gave up on reports a timeout through its
// chain (the sender then records it unknown and never sends it again), and its text does not
// quote the access token.
func TestTimeoutKeepsItsKind(t *testing.T) {
	fake := wxfake.New()
	if _, err := fake.Start(); err != nil {
		t.Fatal(err)
	}
	defer fake.Close()
	rdb := redis.NewClient(&redis.Options{Addr: miniredis.RunT(t).Addr()})
	impatient := &http.Client{Transport: fake.HTTPClient().Transport, Timeout: 100 * time.Millisecond}
	wx, err := wechat.New(wechat.Config{AppID: "wxtest", Secret: "s", HTTPClient: impatient, Cache: wechat.NewRedisCache(rdb, "t:")})
	if err != nil {
		t.Fatal(err)
	}
	c := New(wx)
	token, err := wx.AccessToken(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	fake.Delay(wxfake.EpSubscribeSend, time.Second)
	_, err = c.Send(context.Background(), bots.Message{To: "openid-1", TemplateID: "tmpl", Data: map[string]string{"thing1": "开放日"}})
	ne, ok := errors.AsType[net.Error](err)
	if err == nil || !ok || !ne.Timeout() {
		t.Fatalf("err = %v, want a net.Error that timed out in its chain", err)
	}
	if strings.Contains(err.Error(), token) {
		t.Fatalf("error quotes the access token: %v", err)
	}
}
