package main

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

// download GETs a file as staff.
func (r *running) download(t *testing.T, path, token string) []byte {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, r.base+path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, resp.StatusCode, raw)
	}
	return raw
}

// TestSandboxSatisfactionSurvey is the surveys issue's "done": in the sandbox the 东湖区 county
// admin publishes the satisfaction template to two schools, parents answer it in the API, and
// the results, the breakdown and the XLSX export are right.
func TestSandboxSatisfactionSurvey(t *testing.T) {
	r := start(t, map[string]string{"KEHOU_DATA_DIR": t.TempDir()})
	defer r.stop()
	county := r.login("/api/v1/admin/login", map[string]string{"username": "county-dh", "password": "kehou-demo-2026"})
	_, schools := r.call(http.MethodGet, "/api/v1/admin/schools", county, nil)
	ids := map[string]string{}
	for _, s := range schools["items"].([]any) {
		sc := s.(map[string]any)
		ids[sc["name"].(string)] = sc["id"].(string)
	}
	primary, middle := ids["东湖区实验小学"], ids["东湖区第一初级中学"]
	if primary == "" || middle == "" {
		t.Fatalf("demo schools: %v", ids)
	}
	// Parents bind with the school's letter (the middle school needs the binding code).
	parents := func(school, prefix string, n int) []string {
		raw := r.download(t, "/api/v1/admin/schools/"+school+"/binding-codes", county)
		rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(string(raw), "\ufeff"))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		var tokens []string
		for i, row := range rows[1 : n+1] {
			token := r.login("/api/v1/mp/login", map[string]string{"code": fmt.Sprintf("dev:%s%d", prefix, i)})
			status, out := r.call(http.MethodPost, "/api/v1/mp/children", token,
				map[string]string{"school_id": school, "student_no": row[0], "name": row[1], "bind_code": row[4]})
			if status != http.StatusCreated {
				t.Fatalf("bind: %d %v", status, out)
			}
			tokens = append(tokens, token)
		}
		return tokens
	}
	p1, p2 := parents(primary, "p", 5), parents(middle, "m", 5)

	status, sv := r.call(http.MethodPost, "/api/v1/admin/surveys", county, map[string]any{"template": "after_school_satisfaction",
		"audience": map[string]any{"kind": "schools", "school_ids": []string{primary, middle}}})
	if status != http.StatusCreated {
		t.Fatalf("create: %d %v", status, sv)
	}
	id := sv["id"].(string)
	if status, out := r.call(http.MethodPost, "/api/v1/admin/surveys/"+id+"/publish", county, map[string]any{"channels": []string{"wxsubscribe"}}); status != http.StatusOK {
		t.Fatalf("publish: %d %v", status, out)
	}
	answer := func(token string, overall int) {
		_, list := r.call(http.MethodGet, "/api/v1/mp/surveys", token, nil)
		items := list["items"].([]any)
		if len(items) != 1 || items[0].(map[string]any)["status"] != "not_started" {
			t.Fatalf("parent's surveys: %v", list)
		}
		status, out := r.call(http.MethodPost, "/api/v1/mp/surveys/"+id+"/answers", token, map[string]any{"answers": map[string]any{
			"aware": map[string]any{"choice": "A"}, "joined": map[string]any{"choice": "A"},
			"services": map[string]any{"rows": []int{overall, overall, overall, overall, overall}},
			"overall":  map[string]any{"score": overall}}})
		if status != http.StatusAccepted || out["receipt"] == "" {
			t.Fatalf("answer: %d %v", status, out)
		}
	}
	for i, tok := range p1 {
		answer(tok, []int{5, 4, 4, 3, 1}[i])
	}
	for _, tok := range p2 {
		answer(tok, 5)
	}

	var groups []any
	deadline := time.Now().Add(60 * time.Second)
	for {
		_, res := r.call(http.MethodGet, "/api/v1/admin/surveys/"+id+"/results", county, nil)
		groups, _ = res["groups"].([]any)
		if len(groups) > 0 && groups[0].(map[string]any)["responses"] == 10.0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("answers not stored: %v", res)
		}
		time.Sleep(200 * time.Millisecond)
	}
	byName := map[string]map[string]any{}
	for _, g := range groups {
		byName[g.(map[string]any)["name"].(string)] = g.(map[string]any)
	}
	// The primary school: overall 5,4,4,3,1 and the same in every matrix row: 3 of 5 satisfied
	// in each of 6 ratings → 0.6; the middle school all 5s → 1.
	if p := byName["东湖区实验小学"]; p["satisfaction_rate"] != 0.6 || p["too_few"] != false || p["awareness_rate"] != 1.0 {
		t.Fatalf("primary school: %v", p)
	}
	if m := byName["东湖区第一初级中学"]; m["satisfaction_rate"] != 1.0 || m["responses"] != 5.0 || m["response_rate"] != 1.0 {
		t.Fatalf("middle school: %v", m)
	}
	// All ten: 18 + 30 = 48 satisfied of 60 ratings; 10 of the 10 bound families answered.
	if all := groups[0].(map[string]any); all["satisfaction_rate"] != 0.8 || all["response_rate"] != 1.0 {
		t.Fatalf("all: %v", all)
	}

	f, err := excelize.OpenReader(bytes.NewReader(r.download(t, "/api/v1/admin/surveys/"+id+"/export", county)))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, _ := f.GetRows("汇总")
	if len(rows) != 4 || rows[1][5] != "80.0%" || rows[2][1] != "东湖区实验小学" || rows[2][5] != "60.0%" || rows[3][1] != "东湖区第一初级中学" || rows[3][5] != "100.0%" {
		t.Fatalf("summary sheet: %v", rows)
	}
	// The invitation went out as a notice with the subscribe message in the sandbox outbox.
	_, detail := r.call(http.MethodGet, "/api/v1/admin/surveys/"+id, county, nil)
	if detail["notice_id"] == nil {
		t.Fatalf("no invitation: %v", detail)
	}
}
