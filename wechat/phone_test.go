package wechat_test

import (
	"context"
	"errors"
	"net/url"
	"sync"
	"testing"
	"time"

	"kehou/wechat"
	"kehou/wechat/wxfake"
)

func TestPhoneNumber(t *testing.T) {
	f := newFake(t)
	c := newClient(t, f, nil)
	ctx := context.Background()

	phone, err := c.PhoneNumber(ctx, "devphone:13912345678")
	if err != nil || phone != "13912345678" {
		t.Fatalf("PhoneNumber = %q, %v", phone, err)
	}
	for _, code := range []string{"", "bogus", "devphone:abc"} {
		if _, err := c.PhoneNumber(ctx, code); !errors.Is(err, wechat.ErrInvalidCode) || wechat.Retryable(err) {
			t.Errorf("code %q: err = %v, want ErrInvalidCode, not retryable", code, err)
		}
	}
	if n := len(f.Requests(wxfake.EpToken)); n != 1 {
		t.Errorf("fetched %d tokens, want 1 (cached)", n)
	}

	// On a cold cache, concurrent calls in one process share one fetch.
	f.Reset()
	f.Delay(wxfake.EpToken, 50*time.Millisecond)
	if err := c.InvalidateAccessToken(ctx, ""); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() {
			if _, err := c.PhoneNumber(ctx, "devphone:13912345678"); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if n := len(f.Requests(wxfake.EpToken)); n != 1 {
		t.Errorf("concurrent calls fetched %d tokens, want 1", n)
	}
}

// A newer token fetched elsewhere (another tool, a second app instance without the shared
// cache) invalidates ours: PhoneNumber drops it and succeeds with a fresh one.
func TestPhoneNumberRecoversFromStaleToken(t *testing.T) {
	f := newFake(t)
	c := newClient(t, f, nil)
	ctx := context.Background()

	stale, err := c.AccessToken(ctx)
	if err != nil {
		t.Fatal(err)
	}
	fetchTokenElsewhere(t, f)
	if phone, err := c.PhoneNumber(ctx, "devphone:13800000000"); err != nil || phone != "13800000000" {
		t.Fatalf("PhoneNumber = %q, %v", phone, err)
	}
	fresh, err := c.AccessToken(ctx)
	if err != nil || fresh == stale {
		t.Fatalf("token not replaced: %v", err)
	}
	if n := len(f.Requests(wxfake.EpPhoneNumber)); n != 2 {
		t.Errorf("phone calls = %d, want 2 (one retry)", n)
	}

	// Retried once only: a second rejection is returned, and it is retryable.
	f.FailNext(wxfake.EpPhoneNumber, 40001, 2)
	_, err = c.PhoneNumber(ctx, "devphone:13800000000")
	var ae *wechat.APIError
	if !errors.As(err, &ae) || ae.Code != 40001 || !wechat.Retryable(err) {
		t.Fatalf("err = %v, want retryable APIError 40001", err)
	}

	// Token endpoint failures are reported as such.
	if err := c.InvalidateAccessToken(ctx, ""); err != nil {
		t.Fatal(err)
	}
	f.FailNext(wxfake.EpToken, -1, 1)
	_, err = c.PhoneNumber(ctx, "devphone:13800000000")
	if !errors.As(err, &ae) || ae.Code != -1 || ae.Op != "access token" || !wechat.Retryable(err) {
		t.Fatalf("err = %v, want retryable access-token APIError -1", err)
	}
}

func TestInvalidateAccessTokenComparesFirst(t *testing.T) {
	f := newFake(t)
	c := newClient(t, f, nil)
	ctx := context.Background()
	tok, err := c.AccessToken(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.InvalidateAccessToken(ctx, "some-older-token"); err != nil {
		t.Fatal(err)
	}
	if again, _ := c.AccessToken(ctx); again != tok {
		t.Fatal("a mismatching stale token dropped the current one")
	}
	if err := c.InvalidateAccessToken(ctx, tok); err != nil {
		t.Fatal(err)
	}
	if again, _ := c.AccessToken(ctx); again == tok {
		t.Fatal("token was not dropped")
	}
}

// fetchTokenElsewhere asks the fake for a new token directly, as a second process would.
func fetchTokenElsewhere(t *testing.T, f *wxfake.Server) {
	t.Helper()
	q := url.Values{"grant_type": {"client_credential"}, "appid": {testAppID}, "secret": {testSecret}}
	resp, err := f.HTTPClient().Get("https://api.weixin.qq.com/cgi-bin/token?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
}
