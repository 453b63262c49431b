package main

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"testing"

	"kehou/jobs"
)

// TestQueueMonitorMounted: `kehou run` serves asynqmon at /admin/queues to a city administrator
// holding a ticket, read-only by default, and to nobody else.
func TestQueueMonitorMounted(t *testing.T) {
	r := start(t, map[string]string{"KEHOU_DATA_DIR": t.TempDir(), "KEHOU_ADMIN_PASSWORD": "queues-admin-pass-1"})
	defer r.stop()
	admin := r.login("/api/v1/admin/login", map[string]string{"username": "admin", "password": "queues-admin-pass-1"})
	county := r.login("/api/v1/admin/login", map[string]string{"username": "county-dh", "password": "kehou-demo-2026"})

	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar}
	get := func(path string) (int, string) {
		t.Helper()
		resp, err := browser.Get(r.base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	ticket := func(token string) int {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, r.base+"/api/v1/admin/queues/session", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := browser.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}

	if code, _ := get("/admin/queues/api/queues"); code != http.StatusUnauthorized {
		t.Fatalf("no ticket: %d", code)
	}
	if code := ticket(county); code != http.StatusForbidden {
		t.Fatalf("county ticket: %d", code)
	}
	if code, _ := get("/admin/queues/api/queues"); code != http.StatusUnauthorized {
		t.Fatalf("after the county's refusal: %d", code)
	}
	if code := ticket(admin); code != http.StatusOK {
		t.Fatalf("city ticket: %d", code)
	}
	code, page := get("/admin/queues/")
	if code != http.StatusOK || !strings.Contains(page, `window.FLAG_READ_ONLY="true"`) || !strings.Contains(page, `src="/admin/queues/static/js/`) {
		t.Fatalf("asynqmon page: %d %.600s", code, page)
	}
	if code, body := get("/admin/queues/api/queues"); code != http.StatusOK || !strings.Contains(body, `"queue"`) {
		t.Fatalf("asynqmon queues: %d %s", code, body)
	}
	// Read-only: asynqmon refuses what would change the queues.
	resp, err := browser.Post(r.base+"/admin/queues/api/queues/default:pause", "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("pause in read-only mode: %d", resp.StatusCode)
	}
}

// TestQueueMonitorHidesAnswers: a survey answer's payload (the family's ids and answers) is not
// shown in the monitor; a notice send's (notice, channel, batch) is.
func TestQueueMonitorHidesAnswers(t *testing.T) {
	f := privatePayloads{}
	answer := []byte(`{"member_id":"m1","child_id":"c1","answers":{"q1":"孩子很喜欢"}}`)
	for _, typ := range []string{jobs.TypeSurveyAnswer, jobs.TypeSurveyAnswers} {
		if got := f.FormatPayload(typ, answer); strings.Contains(got, "m1") || strings.Contains(got, "喜欢") {
			t.Fatalf("%s shown: %s", typ, got)
		}
	}
	send := `{"notice_id":"n1","channel":"sms","batch":"b1"}`
	if got := f.FormatPayload(jobs.TypeNoticeSend, []byte(send)); got != send {
		t.Fatalf("notice send: %s", got)
	}
}
