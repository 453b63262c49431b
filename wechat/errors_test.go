package wechat_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"testing"

	"github.com/silenceper/wechat/v2/miniprogram/subscribe"
	"github.com/silenceper/wechat/v2/util"

	"kehou/wechat"
	"kehou/wechat/wxfake"
)

func TestRetryable(t *testing.T) {
	netErr := &url.Error{Op: "Get", URL: "https://api.weixin.qq.com/x", Err: &net.OpError{Op: "dial", Err: errors.New("connection refused")}}
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"network", netErr, true},
		{"deadline", fmt.Errorf("op: %w", context.DeadlineExceeded), true},
		{"canceled", &url.Error{Op: "Get", URL: "u", Err: context.Canceled}, false},
		{"http 502", &wechat.StatusError{Status: 502}, true},
		{"http 429", &wechat.StatusError{Status: 429}, true},
		{"http 404", &wechat.StatusError{Status: 404}, false},
		{"busy", &wechat.APIError{Code: -1}, true},
		{"quota", &wechat.APIError{Code: 45009}, true},
		{"stale token", &wechat.APIError{Code: 40001}, true},
		{"expired token", &wechat.APIError{Code: 42001}, true},
		{"no consent", &wechat.APIError{Code: 43101}, false},
		{"invalid openid", &wechat.APIError{Code: 40003}, false},
		{"template mismatch", &wechat.APIError{Code: 47003}, false},
		{"invalid code", &wechat.APIError{Code: 40029}, false},
		{"wrapped busy", fmt.Errorf("job: %w", &wechat.APIError{Code: -1}), true},
		{"ErrInvalidCode", wechat.ErrInvalidCode, false},
		{"raw CommonError busy", util.NewCommonError("Send", -1, "system error"), true},
		{"raw CommonError consent", util.NewCommonError("Send", 43101, "user refuse"), false},
		{"raw token error", errors.New("get access_token error : errcode=-1 , errormsg=system error"), true},
		{"raw http status", errors.New("http get error : uri=https://x?secret=s , statusCode=503"), true},
		{"other", errors.New("json: cannot unmarshal"), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := wechat.Retryable(tc.err); got != tc.want {
				t.Fatalf("Retryable(%v) = %v, want %v", tc.err, got, tc.want)
			}
		})
	}
}

func TestWrapErrorRedacts(t *testing.T) {
	raw := []error{
		&url.Error{Op: "Get", URL: "https://api.weixin.qq.com/sns/jscode2session?appid=wx&secret=S3CR3T&js_code=C0DE&grant_type=x",
			Err: errors.New("dial tcp: connection refused")},
		errors.New("http get error : uri=https://api.weixin.qq.com/cgi-bin/token?appid=wx&secret=S3CR3T , statusCode=500"),
		errors.New("weird failure at https://api.weixin.qq.com/x?access_token=S3CR3T&code=C0DE"),
	}
	for _, err := range raw {
		got := wechat.WrapError("op", err)
		if msg := got.Error(); strings.Contains(msg, "S3CR3T") || strings.Contains(msg, "C0DE") || !strings.HasPrefix(msg, "wechat: op:") {
			t.Errorf("WrapError(%q) = %q", err, msg)
		}
	}
	var ue *url.Error
	if got := wechat.WrapError("op", raw[0]); !errors.As(got, &ue) || !wechat.Retryable(got) {
		t.Errorf("network error lost its type: %#v", got)
	}
	var se *wechat.StatusError
	if got := wechat.WrapError("op", raw[1]); !errors.As(got, &se) || se.Status != 500 {
		t.Errorf("status error = %#v", got)
	}
	if wechat.WrapError("op", nil) != nil {
		t.Error("WrapError(nil) != nil")
	}
}

// Errors from the raw silenceper client (as the subscribe-message sender will see them) are
// classified too.
func TestWrapErrorOnLibraryCalls(t *testing.T) {
	f := newFake(t)
	c := newClient(t, f, nil)
	msg := &subscribe.Message{ToUser: "o1", TemplateID: "T1", Data: map[string]*subscribe.DataItem{"thing1": {Value: "开放日报名成功"}}}
	send := func() error { return c.MiniProgram().GetSubscribe().Send(msg) }
	if err := send(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		code      int
		retryable bool
	}{{43101, false}, {45009, true}, {40003, false}, {-1, true}} {
		f.FailNext(wxfake.EpSubscribeSend, tc.code, 1)
		err := wechat.WrapError("subscribe send", send())
		var ae *wechat.APIError
		if !errors.As(err, &ae) || ae.Code != tc.code || ae.Op != "subscribe send" || wechat.Retryable(err) != tc.retryable {
			t.Errorf("errcode %d: err = %v, Retryable = %v", tc.code, err, wechat.Retryable(err))
		}
	}
	if n := len(f.Requests(wxfake.EpSubscribeSend)); n != 5 {
		t.Errorf("subscribe sends = %d, want 5", n)
	}
}
