package main

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"kehou/models"
)

type sandboxParent struct{ token, child string }

// bindParents signs in n parents (dev:<prefix><i>) and binds each to a pupil of the grade of the
// school, through the binding codes the school downloads.
func (r *running) bindParents(t *testing.T, admin, school, grade, prefix string, n int) []sandboxParent {
	t.Helper()
	raw := r.download(t, "/api/v1/admin/schools/"+school+"/binding-codes", admin)
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(string(raw), "\ufeff"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var out []sandboxParent
	for i, row := range rows[1:] {
		if row[2] != grade || len(out) == n {
			continue
		}
		token := r.login("/api/v1/mp/login", map[string]string{"code": fmt.Sprintf("dev:%s%d", prefix, i)})
		status, body := r.call(http.MethodPost, "/api/v1/mp/children", token, map[string]string{"school_id": school, "student_no": row[0], "name": row[1]})
		if status != http.StatusCreated {
			t.Fatalf("bind: %d %v", status, body)
		}
		out = append(out, sandboxParent{token, body["child_id"].(string)})
	}
	return out
}

// TestSandboxSummerCare is the summer-care issue's "done": in the sandbox a school publishes a
// two-week programme, families enrol children, a college student and a teacher sign up for a
// shift, the school approves them, they check in and out, and the teacher's yearly hours appear
// in the school's export.
func TestSandboxSummerCare(t *testing.T) {
	r := start(t, map[string]string{"KEHOU_DATA_DIR": t.TempDir()})
	defer r.stop()
	admin := r.login("/api/v1/admin/login", map[string]string{"username": "school-dh1", "password": "kehou-demo-2026"})
	_, me := r.call(http.MethodGet, "/api/v1/admin/me", admin, nil)
	school, county := me["school_id"].(string), me["county_id"].(string)
	parents := r.bindParents(t, admin, school, "3", "care", 3)

	// A two-week programme that began yesterday, enrolment open for the second week meanwhile.
	now := time.Now()
	day := func(d int) string { return now.AddDate(0, 0, d).In(models.Shanghai).Format("2006-01-02") }
	status, prog := r.call(http.MethodPost, "/api/v1/admin/programmes", admin, map[string]any{"title": "暑期托管", "daily_start": "08:00",
		"daily_end": "17:30", "offerings": []string{"homework", "sports", "reading"}, "fee_note": "免费", "enrol_closes": now.Add(7 * 24 * time.Hour),
		"periods": []map[string]any{
			{"label": "第一周", "start_date": day(-1), "end_date": day(5), "capacity": 2},
			{"label": "第二周", "start_date": day(6), "end_date": day(12), "capacity": 30}}})
	if status != http.StatusCreated {
		t.Fatalf("create programme: %d %v", status, prog)
	}
	id := prog["id"].(string)
	week1 := prog["periods"].([]any)[0].(map[string]any)["id"].(string)
	if status, out := r.call(http.MethodPost, "/api/v1/admin/programmes/"+id+"/publish", admin, map[string]any{"channels": []string{"wxsubscribe", "sms"}}); status != http.StatusOK {
		t.Fatalf("publish: %d %v", status, out)
	}
	var statuses []any
	for _, p := range parents {
		status, out := r.call(http.MethodPost, "/api/v1/mp/programmes/"+id+"/enrolments", p.token, map[string]any{"child_id": p.child, "period_id": week1})
		if status != http.StatusCreated {
			t.Fatalf("enrol: %d %v", status, out)
		}
		statuses = append(statuses, out["status"])
	}
	if fmt.Sprint(statuses) != "[confirmed confirmed waiting]" {
		t.Fatalf("enrolment statuses: %v", statuses)
	}

	// A shift that began three hours ago and takes volunteers until it ends.
	start := now.Add(-3 * time.Hour).UTC().Truncate(time.Minute)
	status, shift := r.call(http.MethodPost, "/api/v1/admin/programmes/"+id+"/shifts", admin, map[string]any{"role": "作业辅导",
		"starts_at": start, "ends_at": start.Add(4 * time.Hour), "needed": 2, "deadline": start.Add(4 * time.Hour)})
	if status != http.StatusCreated {
		t.Fatalf("shift: %d %v", status, shift)
	}
	shiftID := shift["id"].(string)
	volunteer := func(code, name, typ, phone string, schoolID string) (string, string) {
		token := r.login("/api/v1/mp/login", map[string]string{"code": "dev:" + code})
		status, v := r.call(http.MethodPut, "/api/v1/mp/volunteer", token, map[string]any{"name": name, "phone": phone, "type": typ,
			"organisation": "师范大学", "school_id": schoolID, "county_id": county})
		if status != http.StatusOK || v["phone"] != phone[:3]+"****"+phone[7:] {
			t.Fatalf("profile: %d %v", status, v)
		}
		status, a := r.call(http.MethodPost, "/api/v1/mp/shifts/"+shiftID+"/applications", token, nil)
		if status != http.StatusCreated {
			t.Fatalf("apply: %d %v", status, a)
		}
		return token, a["id"].(string)
	}
	studentTok, studentApp := volunteer("student", "林同学", "student", "13700001111", "")
	_, teacherApp := volunteer("teacher", "周老师", "teacher", "13700002222", school)
	for _, app := range []string{studentApp, teacherApp} {
		if status, out := r.call(http.MethodPost, "/api/v1/admin/applications/"+app+"/approve", admin, nil); status != http.StatusOK || out["status"] != "approved" {
			t.Fatalf("approve: %d %v", status, out)
		}
	}
	// The student arrived on time (recorded by staff) and checks out by code now: three hours.
	attend := func(app string, body map[string]any) map[string]any {
		status, out := r.call(http.MethodPost, "/api/v1/admin/applications/"+app+"/attendance", admin, body)
		if status != http.StatusOK {
			t.Fatalf("attendance: %d %v", status, out)
		}
		return out
	}
	attend(studentApp, map[string]any{"action": "check_in", "at": start})
	_, mine := r.call(http.MethodGet, "/api/v1/mp/applications", studentTok, nil)
	code := mine["items"].([]any)[0].(map[string]any)["checkin_token"].(string)
	status, out := r.call(http.MethodPost, "/api/v1/admin/attendance", admin, map[string]any{"token": code, "action": "check_out"})
	if status != http.StatusOK || out["minutes"].(float64) < 180 {
		t.Fatalf("check out by code: %d %v", status, out)
	}
	// The teacher worked the first two hours.
	attend(teacherApp, map[string]any{"action": "check_in", "at": start})
	if out := attend(teacherApp, map[string]any{"action": "check_out", "at": start.Add(2 * time.Hour)}); out["minutes"] != 120.0 {
		t.Fatalf("teacher's minutes: %v", out)
	}

	year := start.In(models.Shanghai).Year()
	raw := r.download(t, fmt.Sprintf("/api/v1/admin/schools/%s/teacher-hours?year=%d", school, year), admin)
	x, err := excelize.OpenReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	rows, err := x.GetRows(fmt.Sprintf("%d年教师志愿服务", year))
	if err != nil || len(rows) != 2 || rows[1][1] != "周老师" || rows[1][5] != "2" {
		t.Fatalf("teacher export: %v %v", rows, err)
	}
}
