package main

import (
	"net/http"
	"testing"
	"time"
)

// TestSandboxOpenDay is the open-days issue's "done": in the sandbox a school admin publishes an
// open day with two sessions, parents fill it, the waiting list moves when someone cancels, and
// a QR code checks in once.
func TestSandboxOpenDay(t *testing.T) {
	r := start(t, map[string]string{"KEHOU_DATA_DIR": t.TempDir()})
	defer r.stop()
	admin := r.login("/api/v1/admin/login", map[string]string{"username": "school-dh1", "password": "kehou-demo-2026"})
	_, me := r.call(http.MethodGet, "/api/v1/admin/me", admin, nil)
	school := me["school_id"].(string)
	parents := r.bindParents(t, admin, school, "3", "openday", 4)

	// The morning session starts within the hour, so its check-in (open from 2 hours before a
	// session starts until it ends) is open while the test runs; the afternoon's is not yet.
	start := time.Now().Add(time.Hour).UTC().Truncate(time.Minute)
	status, ev := r.call(http.MethodPost, "/api/v1/admin/events", admin, map[string]any{"title": "三年级家长开放日", "place": "学校礼堂",
		"audience": map[string]any{"kind": "grades", "grades": []int{3}}, "signup_closes": time.Now().Add(30 * time.Minute).UTC(),
		"sessions": []map[string]any{
			{"label": "上午场", "starts_at": start, "ends_at": start.Add(2 * time.Hour), "capacity": 1, "max_companions": 1},
			{"label": "下午场", "starts_at": start.Add(5 * time.Hour), "ends_at": start.Add(7 * time.Hour), "capacity": 2, "max_companions": 1},
		}})
	if status != http.StatusCreated {
		t.Fatalf("create: %d %v", status, ev)
	}
	id := ev["id"].(string)
	sessions := ev["sessions"].([]any)
	morning, afternoon := sessions[0].(map[string]any)["id"].(string), sessions[1].(map[string]any)["id"].(string)
	if status, out := r.call(http.MethodPost, "/api/v1/admin/events/"+id+"/publish", admin, map[string]any{"channels": []string{"wxsubscribe", "sms"}}); status != http.StatusOK {
		t.Fatalf("publish: %d %v", status, out)
	}
	signUp := func(p sandboxParent, session string) map[string]any {
		status, out := r.call(http.MethodPost, "/api/v1/mp/events/"+id+"/signups", p.token, map[string]any{"child_id": p.child, "session_id": session})
		if status != http.StatusCreated {
			t.Fatalf("sign up: %d %v", status, out)
		}
		return out
	}
	first := signUp(parents[0], morning)
	second := signUp(parents[1], morning)
	early := signUp(parents[2], afternoon)
	signUp(parents[3], afternoon)
	if status, out := r.call(http.MethodPost, "/api/v1/admin/checkins", admin, map[string]any{"token": early["checkin_token"], "event_id": id}); status != http.StatusUnprocessableEntity {
		t.Fatalf("check in 6 hours early: %d %v", status, out)
	}
	if first["status"] != "confirmed" || second["status"] != "waiting" {
		t.Fatalf("morning: %v / %v", first["status"], second["status"])
	}
	// The first family cancels: the waiting one gets the place and a check-in code.
	if status, out := r.call(http.MethodPost, "/api/v1/mp/signups/"+first["id"].(string)+"/cancel", parents[0].token, nil); status != http.StatusOK {
		t.Fatalf("cancel: %d %v", status, out)
	}
	_, mine := r.call(http.MethodGet, "/api/v1/mp/signups", parents[1].token, nil)
	moved := mine["items"].([]any)[0].(map[string]any)
	if moved["status"] != "confirmed" || moved["checkin_token"] == nil {
		t.Fatalf("after the cancellation: %v", moved)
	}
	token := moved["checkin_token"].(string)
	if status, out := r.call(http.MethodPost, "/api/v1/admin/checkins", admin, map[string]any{"token": token, "event_id": id}); status != http.StatusOK || out["checked_in_at"] == nil {
		t.Fatalf("check in: %d %v", status, out)
	}
	if status, out := r.call(http.MethodPost, "/api/v1/admin/checkins", admin, map[string]any{"token": token, "event_id": id}); status != http.StatusConflict {
		t.Fatalf("second check-in: %d %v", status, out)
	}
	_, detail := r.call(http.MethodGet, "/api/v1/admin/events/"+id, admin, nil)
	counts := detail["counts"].(map[string]any)
	m, a := counts[morning].(map[string]any), counts[afternoon].(map[string]any)
	if m["confirmed"] != 1.0 || m["cancelled"] != 1.0 || m["checked_in"] != 1.0 || a["confirmed"] != 2.0 || a["places_held"] != 2.0 {
		t.Fatalf("counts: %v", counts)
	}
}
