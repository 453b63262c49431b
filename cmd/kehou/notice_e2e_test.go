package main

import (
	"encoding/csv"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestSandboxOpenDayNotice is the notices issue's "done": in the sandbox a school admin sends
// an open-day notice to grade 3; the parents of grade-3 pupils see it in their inbox, the
// outbox holds a subscribe message for the parent who consented and an SMS for the one who
// gave a phone number, a grade-1 parent gets nothing, and the report adds up.
func TestSandboxOpenDayNotice(t *testing.T) {
	r := start(t, map[string]string{"KEHOU_DATA_DIR": t.TempDir()})
	defer r.stop()
	admin := r.login("/api/v1/admin/login", map[string]string{"username": "school-dh1", "password": "kehou-demo-2026"})
	_, me := r.call(http.MethodGet, "/api/v1/admin/me", admin, nil)
	school := me["school_id"].(string)

	// The letter-to-parents list gives full names, as a school would hand them out.
	req, _ := http.NewRequest(http.MethodGet, r.base+"/api/v1/admin/schools/"+school+"/binding-codes", nil)
	req.Header.Set("Authorization", "Bearer "+admin)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(string(raw), "\ufeff"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var grade3, grade1 [][]string
	for _, row := range rows[1:] {
		switch row[2] {
		case "3":
			grade3 = append(grade3, row)
		case "1":
			grade1 = append(grade1, row)
		}
	}
	bind := func(code string, row []string) string {
		token := r.login("/api/v1/mp/login", map[string]string{"code": code})
		if status, out := r.call(http.MethodPost, "/api/v1/mp/children", token, map[string]string{"school_id": school, "student_no": row[0], "name": row[1]}); status != http.StatusCreated {
			t.Fatalf("bind %s: %d %v", row[1], status, out)
		}
		return token
	}
	mum := bind("dev:mum3", grade3[0])
	dad := bind("dev:dad3", grade3[1])
	grandpa := bind("dev:grandpa1", grade1[0])
	if status, out := r.call(http.MethodPost, "/api/v1/mp/subscriptions", mum, map[string]any{"results": map[string]string{"sandbox-notice": "accept"}}); status != http.StatusOK {
		t.Fatalf("subscribe: %d %v", status, out)
	}
	if status, out := r.call(http.MethodPost, "/api/v1/mp/phone", dad, map[string]string{"code": "devphone:13800000003"}); status != http.StatusOK {
		t.Fatalf("phone: %d %v", status, out)
	}

	status, robot := r.call(http.MethodPost, "/api/v1/admin/robots", admin, map[string]string{"kind": "wecom", "name": "三年级教师群", "key": "demo-robot-key"})
	if status != http.StatusCreated {
		t.Fatalf("robot: %d %v", status, robot)
	}
	status, notice := r.call(http.MethodPost, "/api/v1/admin/notices", admin, map[string]any{
		"kind": "open_day", "title": "三年级家长开放日", "body": "12月5日上午9点，欢迎家长到校参加开放日。",
		"audience": map[string]any{"kind": "grades", "grades": []int{3}}, "channels": []string{"wxsubscribe", "sms"},
		"robots": []string{robot["id"].(string)},
		"urgent": true, "require_confirm": true, // urgent: the test must not depend on the time of day
	})
	if status != http.StatusCreated {
		t.Fatalf("create notice: %d %v", status, notice)
	}
	id := notice["id"].(string)
	var report map[string]any
	deadline := time.Now().Add(60 * time.Second)
	for {
		_, detail := r.call(http.MethodGet, "/api/v1/admin/notices/"+id, admin, nil)
		report, _ = detail["report"].(map[string]any)
		if detail["status"] == "sent" && settled(report, "wxsubscribe", "sms", "wecom") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("notice did not go out: %v", detail)
		}
		time.Sleep(200 * time.Millisecond)
	}
	channels := report["channels"].(map[string]any)
	sub, sms, robotCh := channels["wxsubscribe"].(map[string]any), channels["sms"].(map[string]any), channels["wecom"].(map[string]any)
	// Grade 3 of the demo school has 20 pupils but only two bound parents; the teachers' group
	// robot gets it too.
	if report["targeted"] != 2.0 || sub["sent"] != 1.0 || sub["skipped"] != 1.0 || sms["sent"] != 1.0 || robotCh["sent"] != 1.0 {
		t.Fatalf("report: %v", report)
	}
	_, outbox := r.call(http.MethodGet, "/api/v1/admin/notices/"+id+"/outbox", admin, nil)
	msgs := outbox["items"].([]any)
	var sawSMS, sawSub, sawRobot bool
	for _, m := range msgs {
		msg := m.(map[string]any)
		switch msg["channel"] {
		case "sms":
			sawSMS = msg["to"] == "138****0003"
		case "wxsubscribe":
			sawSub = msg["template_id"] == "sandbox-notice"
		case "wecom":
			sawRobot = msg["title"] == "三年级家长开放日" && msg["to"] != "demo-robot-key"
		}
	}
	if len(msgs) != 3 || !sawSMS || !sawSub || !sawRobot {
		t.Fatalf("outbox: %v", outbox)
	}
	for _, tok := range []string{mum, dad} {
		_, inbox := r.call(http.MethodGet, "/api/v1/mp/notices", tok, nil)
		if items := inbox["items"].([]any); len(items) != 1 || items[0].(map[string]any)["title"] != "三年级家长开放日" {
			t.Fatalf("grade-3 parent's inbox: %v", inbox)
		}
	}
	if _, inbox := r.call(http.MethodGet, "/api/v1/mp/notices", grandpa, nil); len(inbox["items"].([]any)) != 0 {
		t.Fatalf("a grade-1 parent must not get it: %v", inbox)
	}
	if status, _ := r.call(http.MethodPost, "/api/v1/mp/notices/"+id+"/confirm", mum, nil); status != http.StatusOK {
		t.Fatalf("confirm: %d", status)
	}
	_, detail := r.call(http.MethodGet, "/api/v1/admin/notices/"+id, admin, nil)
	if rep := detail["report"].(map[string]any); rep["read"] != 1.0 || rep["confirmed"] != 1.0 {
		t.Fatalf("report after confirming: %v", rep)
	}
}

// settled reports whether every named channel has deliveries and none is still open.
func settled(report map[string]any, want ...string) bool {
	channels, _ := report["channels"].(map[string]any)
	for _, ch := range want {
		if channels[ch] == nil {
			return false
		}
	}
	for _, byStatus := range channels {
		st := byStatus.(map[string]any)
		if st["queued"] != nil || st["sending"] != nil {
			return false
		}
	}
	return true
}
