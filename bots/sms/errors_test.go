package sms_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"kehou/bots"
	"kehou/bots/sms"
)

// TestSendErrorClasses drives each class of Tencent answer through the fake, both as the
// response's Error and (for per-number codes) inside SendStatusSet, as Tencent sends them.
func TestSendErrorClasses(t *testing.T) {
	tests := []struct {
		code      string
		permanent bool
		reason    string
		wait      time.Duration // -1: any positive wait
	}{
		{"InvalidParameterValue.IncorrectPhoneNumber", true, bots.ReasonInvalidRecipient, 0},
		{"FailedOperation.PhoneNumberInBlacklist", true, bots.ReasonInvalidRecipient, 0},
		{"UnsupportedOperation.ContainDomesticAndInternationalPhoneNumber", true, bots.ReasonInvalidRecipient, 0},
		{"FailedOperation.TemplateIncorrectOrUnapproved", true, bots.ReasonTemplateMismatch, 0},
		{"InvalidParameterValue.TemplateParameterFormatError", true, bots.ReasonTemplateMismatch, 0},
		{"FailedOperation.SignatureIncorrectOrUnapproved", true, bots.ReasonTemplateMismatch, 0},
		{"InvalidParameterValue.TemplateParameterLengthLimit", true, bots.ReasonTemplateMismatch, 0},
		{"AuthFailure.UnauthorizedOperation", true, bots.ReasonProvider, 0},
		{"InternalError.Timeout", false, bots.ReasonProvider, 0},
		{"InternalError.OtherError", false, bots.ReasonProvider, 0},
		{"RequestLimitExceeded", false, bots.ReasonRateLimited, 0},
		{"LimitExceeded.PhoneNumberThirtySecondLimit", false, bots.ReasonRateLimited, 30 * time.Second},
		{"LimitExceeded.PhoneNumberOneHourLimit", false, bots.ReasonRateLimited, time.Hour},
		{"LimitExceeded.PhoneNumberDailyLimit", false, bots.ReasonRateLimited, -1},
		{"FailedOperation.InsufficientBalanceInSmsPackage", false, bots.ReasonProvider, 0},
		{"HTTP500", false, bots.ReasonProvider, 0},
		{"HTTP503", false, bots.ReasonProvider, 0},
	}
	f, url := startFake(t)
	c := newClient(t, url, nil)
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			f.FailNext(tt.code, 1)
			_, err := c.Send(context.Background(), message())
			e := classified(t, err)
			if e.Permanent != tt.permanent || e.Reason != tt.reason || e.Code != tt.code {
				t.Errorf("got permanent %v reason %s code %s, want %v %s %s",
					e.Permanent, e.Reason, e.Code, tt.permanent, tt.reason, tt.code)
			}
			if bots.Permanent(err) != tt.permanent {
				t.Errorf("bots.Permanent = %v, want %v", bots.Permanent(err), tt.permanent)
			}
			switch {
			case tt.wait < 0 && (e.Wait <= 0 || e.Wait > 24*time.Hour):
				t.Errorf("wait %v, want until the next day", e.Wait)
			case tt.wait >= 0 && e.Wait != tt.wait:
				t.Errorf("wait %v, want %v", e.Wait, tt.wait)
			}
		})
	}
	if n := len(f.Sent()); n != 0 {
		t.Errorf("fake accepted %d messages while failing every send", n)
	}
}

// Tencent's per-number messages may name the number. The fake's do, so this checks that
// the client masks it in the error text rather than dropping or leaking it.
func TestSendProviderTextIsMasked(t *testing.T) {
	f, url := startFake(t)
	f.FailNext("InvalidParameterValue.IncorrectPhoneNumber", 1)
	_, err := newClient(t, url, nil).Send(context.Background(), message())
	e := classified(t, err)
	if !e.Permanent || e.Reason != bots.ReasonInvalidRecipient {
		t.Errorf("got %+v, want permanent invalid_recipient", e)
	}
	if !strings.Contains(err.Error(), "138****8000") {
		t.Errorf("error %q does not show the masked number", err)
	}
}

func TestSendRejectsNonE164Locally(t *testing.T) {
	f, url := startFake(t)
	c := newClient(t, url, nil)
	for _, to := range []string{"13800138000", "", "+86 138 0013 8000", "openid-abc"} {
		m := message()
		m.To = to
		e := classified(t, errOf(c.Send(context.Background(), m)))
		if !e.Permanent || e.Reason != bots.ReasonInvalidRecipient {
			t.Errorf("To %q: got %+v, want permanent invalid_recipient", sms.MaskPhone(to), e)
		}
	}
	m := message()
	m.TemplateID = ""
	if e := classified(t, errOf(c.Send(context.Background(), m))); !e.Permanent || e.Reason != bots.ReasonTemplateMismatch {
		t.Errorf("no template: got %+v, want permanent template_mismatch", e)
	}
	if len(f.Sent()) != 0 {
		t.Error("invalid messages reached the provider")
	}
}

func TestSendNetworkErrorIsRetryable(t *testing.T) {
	f, url := startFake(t)
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	e := classified(t, errOf(newClient(t, url, nil).Send(context.Background(), message())))
	if e.Permanent || e.Reason != bots.ReasonNetwork {
		t.Errorf("got %+v, want retryable network", e)
	}
}

func TestSendTimeoutIsRetryable(t *testing.T) {
	f, url := startFake(t)
	f.Delay(2 * time.Second)
	c := newClient(t, url, func(cfg *sms.Config) {
		cfg.HTTPClient = &http.Client{Timeout: 100 * time.Millisecond}
	})
	e := classified(t, errOf(c.Send(context.Background(), message())))
	if e.Permanent || e.Reason != bots.ReasonNetwork {
		t.Errorf("got %+v, want retryable network", e)
	}
}

func TestSendHTTP500FromGatewayIsRetryable(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "<html>502 Bad Gateway</html>", http.StatusInternalServerError)
	}))
	defer srv.Close()
	e := classified(t, errOf(newClient(t, srv.URL, nil).Send(context.Background(), message())))
	if e.Permanent || e.Reason != bots.ReasonProvider || e.Code != "HTTP500" {
		t.Errorf("got %+v, want retryable provider_error HTTP500", e)
	}
}

func TestSendUndecodableAnswerIsRetryable(t *testing.T) {
	for name, body := range map[string]string{
		"not json":    "<html>hello</html>",
		"no statuses": `{"Response":{"RequestId":"r1"}}`,
	} {
		t.Run(name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				_, _ = w.Write([]byte(body))
			}))
			defer srv.Close()
			e := classified(t, errOf(newClient(t, srv.URL, nil).Send(context.Background(), message())))
			if e.Permanent || e.Reason != bots.ReasonProvider {
				t.Errorf("got %+v, want retryable provider_error", e)
			}
		})
	}
}

func TestNewValidatesConfig(t *testing.T) {
	for name, edit := range map[string]func(*sms.Config){
		"no region":     func(c *sms.Config) { c.Region = "" },
		"no secret id":  func(c *sms.Config) { c.SecretID = "" },
		"no secret key": func(c *sms.Config) { c.SecretKey = " " },
		"no app id":     func(c *sms.Config) { c.SdkAppID = "" },
		"no sign name":  func(c *sms.Config) { c.SignName = "" },
		"bad endpoint":  func(c *sms.Config) { c.Endpoint = "ftp://example.com" },
	} {
		t.Run(name, func(t *testing.T) {
			cfg := sms.Config{Region: "ap-guangzhou", SecretID: "id", SecretKey: "key",
				SdkAppID: "1400006666", SignName: "课后服务"}
			edit(&cfg)
			if _, err := sms.New(cfg); err == nil {
				t.Error("New accepted an invalid config")
			}
		})
	}
	if _, err := sms.New(sms.Config{Region: "ap-guangzhou", SecretID: "id", SecretKey: "key",
		SdkAppID: "1400006666", SignName: "课后服务"}); err != nil {
		t.Errorf("New with defaults: %v", err)
	}
}
