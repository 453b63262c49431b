package dingtalk_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"kehou/bots"
	"kehou/bots/dingtalk"
	"kehou/wechat/wxfake"
)

func TestSendClassifiesAnswers(t *testing.T) {
	tests := []struct {
		name      string
		errcode   int // injected errcode, or 0 with status set
		status    int // injected HTTP status
		permanent bool
		reason    string
		code      string
	}{
		{name: "token missing", errcode: 300001, permanent: true, reason: bots.ReasonInvalidRecipient, code: "300001"},
		{name: "token invalid", errcode: 400013, permanent: true, reason: bots.ReasonInvalidRecipient, code: "400013"},
		{name: "security check failed", errcode: 310000, permanent: true, reason: bots.ReasonProvider, code: "310000"},
		{name: "too fast", errcode: 130101, reason: bots.ReasonRateLimited, code: "130101"},
		{name: "too fast, newer code", errcode: 660026, reason: bots.ReasonRateLimited, code: "660026"},
		{name: "system busy", errcode: -1, reason: bots.ReasonProvider, code: "-1"},
		{name: "unknown code", errcode: 40035, reason: bots.ReasonProvider, code: "40035"},
		{name: "bad gateway", status: http.StatusBadGateway, reason: bots.ReasonProvider, code: "http_502"},
		{name: "http 429", status: http.StatusTooManyRequests, reason: bots.ReasonRateLimited, code: "http_429"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fake, c := startFake(t)
			if tc.status != 0 {
				fake.FailNextHTTP(wxfake.EpDingTalkRobot, tc.status, 1)
			} else {
				fake.FailNext(wxfake.EpDingTalkRobot, tc.errcode, 1)
			}
			m := bots.Message{To: "token-1", Text: "x"}
			_, err := c.Send(context.Background(), m)
			e := wantError(t, err, tc.permanent, tc.reason, tc.code)
			if bots.Permanent(err) != tc.permanent {
				t.Errorf("bots.Permanent = %v", bots.Permanent(err))
			}
			if wantWait := tc.reason == bots.ReasonRateLimited; (e.Wait == time.Minute) != wantWait {
				t.Errorf("Wait = %v", e.Wait)
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
	_, err := c.Send(context.Background(), bots.Message{Text: "no token"})
	wantError(t, err, true, bots.ReasonInvalidRecipient, "")
	_, err = c.Send(context.Background(), bots.Message{To: "t", Title: " \n ", Text: "\t"})
	wantError(t, err, true, bots.ReasonTemplateMismatch, "")
	if n := len(fake.Requests(wxfake.EpDingTalkRobot)); n != 0 {
		t.Errorf("fake got %d requests, want 0", n)
	}
}

// redirect sends every request to addr, standing in for a DingTalk host that cannot be reached.
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
	c := dingtalk.New(&http.Client{Transport: redirect{addr}, Timeout: 5 * time.Second})
	_, err = c.Send(context.Background(), bots.Message{To: "token-secret-1", Secret: "SECx", Text: "x"})
	wantError(t, err, false, bots.ReasonNetwork, "")
	if strings.Contains(err.Error(), "token-secret-1") || strings.Contains(err.Error(), "sign=") {
		t.Errorf("error leaks the token or signature: %v", err)
	}

	_, c2 := startFake(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = c2.Send(ctx, bots.Message{To: "t", Text: "x"})
	wantError(t, err, false, bots.ReasonNetwork, "")
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want it to wrap context.Canceled", err)
	}
}
