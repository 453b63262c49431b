package main

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestSandboxCourseSelection is the plans issue's "done": in the sandbox the demo schools' plans
// show which meet 2+3, a school runs a course selection with an oversubscribed club, the draw is
// published and a family verifies its result with `kehou verify-draw`.
func TestSandboxCourseSelection(t *testing.T) {
	r := start(t, map[string]string{"KEHOU_DATA_DIR": t.TempDir(), "KEHOU_ADMIN_PASSWORD": "kehou-city-admin-2026"})
	defer r.stop()
	city := r.login("/api/v1/admin/login", map[string]string{"username": "admin", "password": "kehou-city-admin-2026"})
	_, rep := r.call(http.MethodGet, "/api/v1/admin/plans", city, nil)
	meets, flagged := map[string]bool{}, map[string]int{}
	for _, v := range rep["schools"].([]any) {
		sv := v.(map[string]any)
		name, cp := sv["school"].(map[string]any)["name"].(string), sv["compliance"].(map[string]any)
		meets[name] = cp["two_plus_three"].(bool)
		if f, ok := cp["flagged"].([]any); ok {
			flagged[name] = len(f)
		}
	}
	// Short: the urban junior school at 2+2 and the village school serving four days; the
	// rural junior school's dance (by a suspended institution) is flagged and not counted, but a
	// rural school needs only 2+N.
	if !meets["东湖区实验小学"] || meets["东湖区第一初级中学"] || meets["西山县青石初级中学"] || len(rep["short"].([]any)) != 2 || flagged["西山县青石初级中学"] != 1 {
		t.Fatalf("demo plans: %v, flagged %v, short %v", meets, flagged, rep["short"])
	}

	admin := r.login("/api/v1/admin/login", map[string]string{"username": "school-dh1", "password": "kehou-demo-2026"})
	_, me := r.call(http.MethodGet, "/api/v1/admin/me", admin, nil)
	parents := r.bindParents(t, admin, me["school_id"].(string), "3", "club", 4)
	opens := time.Now().UTC()
	closes := opens.Add(6 * time.Second)
	status, sel := r.call(http.MethodPost, "/api/v1/admin/selections", admin, map[string]any{"term": "2026-autumn", "title": "三年级社团",
		"rules": map[string]any{"max_courses": 1, "max_extended": 1, "max_choices": 2}, "opens": opens, "closes": closes,
		"courses": []map[string]any{
			{"name": "陶艺", "category": "arts", "grades": []int{3}, "weekday": 1, "start": "16:30", "end": "17:30", "capacity": 2},
			{"name": "围棋", "category": "clubs", "grades": []int{3}, "weekday": 3, "start": "16:30", "end": "17:30", "capacity": 10}}})
	if status != http.StatusCreated {
		t.Fatalf("selection: %d %v", status, sel)
	}
	id := sel["id"].(string)
	courses := sel["courses"].([]any)
	clay, weiqi := courses[0].(map[string]any)["id"].(string), courses[1].(map[string]any)["id"].(string)
	if status, out := r.call(http.MethodPost, "/api/v1/admin/selections/"+id+"/publish", admin, map[string]any{}); status != http.StatusOK {
		t.Fatalf("publish: %d %v", status, out)
	}
	var code string
	for i, p := range parents {
		status, out := r.call(http.MethodPut, "/api/v1/mp/selections/"+id+"/requests", p.token, map[string]any{"child_id": p.child, "choices": []string{clay, weiqi}})
		if status != http.StatusOK {
			t.Fatalf("request: %d %v", status, out)
		}
		if i == 0 {
			code = out["children"].([]any)[0].(map[string]any)["code"].(string)
		}
	}
	// The server closes the selection by the real clock; waiting that out is part of the test.
	time.Sleep(time.Until(closes) + 200*time.Millisecond)
	if status, out := r.call(http.MethodPost, "/api/v1/admin/selections/"+id+"/draw", admin, nil); status != http.StatusOK {
		t.Fatalf("draw: %d %v", status, out)
	}

	// A family fetches the public draw and verifies it, and its own result, offline. (Those
	// who lost 陶艺 got their second choice, 围棋: placed, so on no waiting list.)
	raw := r.download(t, "/api/v1/public/draws/"+id, "")
	file := filepath.Join(t.TempDir(), "draw.json")
	if err := os.WriteFile(file, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := verifyDraw(context.Background(), []string{file, code}, &out); err != nil {
		t.Fatalf("verify-draw: %v\n%s", err, out.String())
	}
	text := out.String()
	if !strings.Contains(text, "verified: 4 requests") || !strings.Contains(text, "陶艺: 2 places, ranked by 4, given 2") ||
		!strings.Contains(text, "围棋: 10 places, ranked by 4, given 2") ||
		!strings.Contains(text, "code "+code+": drawn ") {
		t.Fatalf("verify-draw said:\n%s", text)
	}
	// A result tampered with after the draw does not verify.
	tampered := bytes.Replace(raw, []byte(`"seed":"`), []byte(`"seed":"0`), 1)
	if err := os.WriteFile(file, tampered, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := verifyDraw(context.Background(), []string{file}, &out); err == nil || !strings.Contains(err.Error(), "NOT VERIFIED") {
		t.Fatalf("tampered draw: %v", err)
	}
}
