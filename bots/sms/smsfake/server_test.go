package smsfake_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"kehou/bots"
	"kehou/bots/sms"
	"kehou/bots/sms/smsfake"
)

const (
	id  = "AKIDfaketest"
	key = "fake-test-key"
)

func start(t *testing.T) (*smsfake.Server, string) {
	t.Helper()
	f := smsfake.New(id, key)
	url, err := f.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = f.Close() })
	if f.URL() != url {
		t.Fatalf("URL() = %q, Start returned %q", f.URL(), url)
	}
	return f, url
}

func client(t *testing.T, url string, edit func(*sms.Config)) *sms.Client {
	t.Helper()
	cfg := sms.Config{Endpoint: url, Region: "ap-guangzhou", SecretID: id, SecretKey: key,
		SdkAppID: "1400006666", SignName: "课后服务"}
	if edit != nil {
		edit(&cfg)
	}
	c, err := sms.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func msg(i int) bots.Message {
	return bots.Message{To: fmt.Sprintf("+86138%08d", i), TemplateID: "1110",
		Params: []string{"p"}, Ref: fmt.Sprint("d", i)}
}

func code(err error) string {
	var e *bots.Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// tamper is a RoundTripper that changes a request after the client signed it.
type tamper func(*http.Request)

func (f tamper) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	f(r)
	return http.DefaultTransport.RoundTrip(r)
}

func TestFakeRefusesRequestsChangedAfterSigning(t *testing.T) {
	tests := map[string]func(*http.Request){
		// Same length, another recipient: what an attacker on the path would try.
		"body": func(r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			b = bytes.Replace(b, []byte("+8613800000001"), []byte("+8613900000001"), 1)
			r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(b)), int64(len(b))
		},
		"timestamp": func(r *http.Request) {
			r.Header.Set("X-TC-Timestamp", fmt.Sprint(time.Now().Unix()-1))
		},
	}
	for name, change := range tests {
		t.Run(name, func(t *testing.T) {
			f, url := start(t)
			c := client(t, url, func(cfg *sms.Config) {
				// A fixed, whole-second clock so the timestamp change is always a real change.
				now := time.Unix(time.Now().Unix()+10, 0)
				cfg.Now = func() time.Time { return now }
				cfg.HTTPClient = &http.Client{Transport: tamper(change)}
			})
			_, err := c.Send(context.Background(), msg(1))
			if code(err) != "AuthFailure.SignatureFailure" || !bots.Permanent(err) {
				t.Errorf("err = %v, want permanent AuthFailure.SignatureFailure", err)
			}
			if len(f.Sent()) != 0 {
				t.Error("fake accepted a tampered request")
			}
		})
	}
}

func TestFakeRefusesExpiredTimestamp(t *testing.T) {
	f, url := start(t)
	c := client(t, url, func(cfg *sms.Config) {
		cfg.Now = func() time.Time { return time.Now().Add(-10 * time.Minute) }
	})
	if _, err := c.Send(context.Background(), msg(1)); code(err) != "AuthFailure.SignatureExpire" {
		t.Errorf("err = %v, want AuthFailure.SignatureExpire", err)
	}
	if len(f.Sent()) != 0 {
		t.Error("fake accepted an expired request")
	}
}

func TestFailNextCountsDown(t *testing.T) {
	f, url := start(t)
	c := client(t, url, nil)
	f.FailNext("InternalError.Timeout", 3)
	var codes []string
	for i := range 5 {
		_, err := c.Send(context.Background(), msg(i))
		codes = append(codes, code(err))
	}
	want := []string{"InternalError.Timeout", "InternalError.Timeout", "InternalError.Timeout", "", ""}
	if fmt.Sprint(codes) != fmt.Sprint(want) {
		t.Errorf("codes = %q, want %q", codes, want)
	}
	if sent := f.Sent(); len(sent) != 2 || sent[0].Phone != msg(3).To || sent[1].Phone != msg(4).To {
		t.Errorf("sent = %+v, want the last two messages", sent)
	}
}

func TestFailRateIsRoughlyTheFraction(t *testing.T) {
	f, url := start(t)
	c := client(t, url, nil)
	pattern := func(n int) []bool {
		f.FailRate("LimitExceeded.PhoneNumberThirtySecondLimit", 0.3)
		out := make([]bool, n)
		for i := range n {
			_, err := c.Send(context.Background(), msg(i))
			if err != nil && code(err) != "LimitExceeded.PhoneNumberThirtySecondLimit" {
				t.Fatalf("send %d: unexpected %v", i, err)
			}
			out[i] = err != nil
		}
		return out
	}
	first := pattern(1000)
	failed := 0
	for _, fail := range first {
		if fail {
			failed++
		}
	}
	if failed < 250 || failed > 350 {
		t.Errorf("%d of 1000 sends failed, want about 300", failed)
	}
	if got := len(f.Sent()); got != 1000-failed {
		t.Errorf("fake recorded %d, want %d", got, 1000-failed)
	}
	// FailRate reseeds, so the same calls fail the same sends: load runs are reproducible.
	if again := pattern(100); fmt.Sprint(again) != fmt.Sprint(first[:100]) {
		t.Error("FailRate is not reproducible after reseeding")
	}
	f.FailRate("", 0)
	for i := range 20 {
		if _, err := c.Send(context.Background(), msg(i)); err != nil {
			t.Fatalf("after clearing FailRate: %v", err)
		}
	}
}

func TestResetClearsEverything(t *testing.T) {
	f, url := start(t)
	c := client(t, url, nil)
	if _, err := c.Send(context.Background(), msg(1)); err != nil {
		t.Fatal(err)
	}
	f.FailNext("InternalError.Timeout", 5)
	f.FailRate("InternalError.Timeout", 1)
	f.Delay(time.Hour)
	f.Reset()
	if len(f.Sent()) != 0 {
		t.Error("Reset kept sent messages")
	}
	if _, err := c.Send(context.Background(), msg(2)); err != nil {
		t.Errorf("send after Reset: %v", err)
	}
}

func TestFakeIsSafeForConcurrentUse(t *testing.T) {
	f, url := start(t)
	c := client(t, url, nil)
	f.FailRate("InternalError.Timeout", 0.5)
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok := 0
	for i := range 50 {
		wg.Go(func() {
			if _, err := c.Send(context.Background(), msg(i)); err == nil {
				mu.Lock()
				ok++
				mu.Unlock()
			}
			_ = f.Sent()
		})
	}
	wg.Wait()
	if len(f.Sent()) != ok {
		t.Errorf("fake recorded %d, client saw %d accepted", len(f.Sent()), ok)
	}
}

func TestCloseBeforeStartAndDoubleStart(t *testing.T) {
	f := smsfake.New(id, key)
	if err := f.Close(); err != nil {
		t.Errorf("Close before Start: %v", err)
	}
	if _, err := f.Start(); err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Start(); err == nil {
		t.Error("second Start succeeded")
	}
}

// A held answer does not hold the message back: it is recorded when accepted, whether the
// client waits for the answer or gives up on it.
func TestHoldAnswersRecordsBeforeAnswering(t *testing.T) {
	f, url := start(t)
	c := client(t, url, nil)
	f.HoldAnswers(time.Hour)
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, err := c.Send(ctx, msg(1))
		errc <- err
	}()
	for deadline := time.Now().Add(5 * time.Second); len(f.Sent()) == 0; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the held message was not recorded")
		}
	}
	cancel()
	if err := <-errc; err == nil {
		t.Fatal("a send given up on reported success")
	}
	f.HoldAnswers(0)
	if _, err := c.Send(context.Background(), msg(2)); err != nil {
		t.Fatalf("after clearing the hold: %v", err)
	}
	if got := f.Sent(); len(got) != 2 || got[0].SessionContext != "d1" {
		t.Fatalf("sent %+v, want d1 and d2", got)
	}
}
