package sms_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"kehou/bots"
	"kehou/bots/sms"
	"kehou/bots/sms/smsfake"
)

const (
	testID    = "AKIDtestsecretid0000000000000000"
	testKey   = "testsecretkey00000000000000000000"
	testPhone = "+8613800138000"
	// testNational is the part of testPhone no error string may contain.
	testNational = "13800138000"
)

// startFake starts a fake endpoint for the test and returns it with its URL.
func startFake(t *testing.T) (*smsfake.Server, string) {
	t.Helper()
	f := smsfake.New(testID, testKey)
	url, err := f.Start()
	if err != nil {
		t.Fatalf("start fake: %v", err)
	}
	t.Cleanup(func() { _ = f.Close() })
	return f, url
}

// newClient returns a client for endpoint; edit adjusts the config first.
func newClient(t *testing.T, endpoint string, edit func(*sms.Config)) *sms.Client {
	t.Helper()
	cfg := sms.Config{Endpoint: endpoint, Region: "ap-guangzhou", SecretID: testID,
		SecretKey: testKey, SdkAppID: "1400006666", SignName: "课后服务"}
	if edit != nil {
		edit(&cfg)
	}
	c, err := sms.New(cfg)
	if err != nil {
		t.Fatalf("sms.New: %v", err)
	}
	return c
}

func message() bots.Message {
	return bots.Message{To: testPhone, TemplateID: "1110", Params: []string{"张三", "7月15日"},
		Ref: "delivery-42"}
}

// classified asserts err is a *bots.Error that keeps the phone number out of its text.
func classified(t *testing.T, err error) *bots.Error {
	t.Helper()
	var e *bots.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not a *bots.Error", err, err)
	}
	if strings.Contains(err.Error(), testNational) {
		t.Errorf("error text leaks the phone number: %s", err)
	}
	return e
}

func TestSendHappyPath(t *testing.T) {
	f, url := startFake(t)
	c := newClient(t, url, nil)
	serial, err := c.Send(context.Background(), message())
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	sent := f.Sent()
	if len(sent) != 1 {
		t.Fatalf("fake received %d messages, want 1", len(sent))
	}
	got := sent[0]
	if got.Phone != testPhone || got.TemplateID != "1110" || !slices.Equal(got.Params, message().Params) ||
		got.SessionContext != "delivery-42" || got.SignName != "课后服务" || got.SdkAppID != "1400006666" {
		t.Errorf("fake received %+v, want the message as sent", got)
	}
	if serial == "" || serial != got.SerialNo {
		t.Errorf("Send returned serial %q, fake issued %q", serial, got.SerialNo)
	}
}

func TestSendWithoutParamsSendsEmptyArray(t *testing.T) {
	f, url := startFake(t)
	m := message()
	m.Params = nil
	if _, err := newClient(t, url, nil).Send(context.Background(), m); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if s := f.Sent(); len(s) != 1 || len(s[0].Params) != 0 {
		t.Errorf("fake received %+v, want one message without params", s)
	}
}

func TestSendWrongSecretKeyIsPermanentAuthFailure(t *testing.T) {
	f, url := startFake(t)
	c := newClient(t, url, func(cfg *sms.Config) { cfg.SecretKey = "not-the-key" })
	_, err := c.Send(context.Background(), message())
	e := classified(t, err)
	if !e.Permanent || e.Reason != bots.ReasonProvider || e.Code != "AuthFailure.SignatureFailure" {
		t.Errorf("got %+v, want permanent provider_error AuthFailure.SignatureFailure", e)
	}
	if len(f.Sent()) != 0 {
		t.Error("fake accepted a badly signed message")
	}
}

func TestSendWrongSecretIDIsPermanent(t *testing.T) {
	_, url := startFake(t)
	c := newClient(t, url, func(cfg *sms.Config) { cfg.SecretID = "AKIDsomeoneelse" })
	e := classified(t, errOf(c.Send(context.Background(), message())))
	if !e.Permanent || e.Code != "AuthFailure.SecretIdNotFound" {
		t.Errorf("got %+v, want permanent AuthFailure.SecretIdNotFound", e)
	}
}

func TestSendSkewedClockIsSignatureExpire(t *testing.T) {
	_, url := startFake(t)
	c := newClient(t, url, func(cfg *sms.Config) {
		cfg.Now = func() time.Time { return time.Now().Add(-6 * time.Minute) }
	})
	e := classified(t, errOf(c.Send(context.Background(), message())))
	if !e.Permanent || e.Code != "AuthFailure.SignatureExpire" {
		t.Errorf("got %+v, want permanent AuthFailure.SignatureExpire", e)
	}
}

func errOf(_ string, err error) error { return err }
