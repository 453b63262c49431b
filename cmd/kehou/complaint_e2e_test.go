package main

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"kehou/models"
)

// TestSandboxComplaints is the complaints issue's "done": in the sandbox a 12345 ticket is
// imported, assigned, rectified, verified and closed; the overdue ticket of the demo ledger is
// escalated by the sweep that runs at start; and the month's report and its XLSX show them.
func TestSandboxComplaints(t *testing.T) {
	r := start(t, map[string]string{"KEHOU_DATA_DIR": t.TempDir()})
	defer r.stop()
	county := r.login("/api/v1/admin/login", map[string]string{"username": "county-dh", "password": "kehou-demo-2026"})
	school := r.login("/api/v1/admin/login", map[string]string{"username": "school-dh1", "password": "kehou-demo-2026"})

	// The demo ledger's tickets are two months old; this one is from the same month.
	now := time.Now()
	month := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, models.Shanghai).AddDate(0, -2, 0)
	csv := "工单编号,受理日期,学校,类别,诉求内容\nGD-E2E-1," + month.AddDate(0, 0, 14).Format("2006-01-02") + ",东湖区实验小学,收费,课后服务收费未公示\n"
	req, _ := http.NewRequest(http.MethodPost, r.base+"/api/v1/admin/complaints/import", strings.NewReader(csv))
	req.Header.Set("Authorization", "Bearer "+county)
	req.Header.Set("Content-Type", "text/csv")
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("import: %v %v", resp, err)
	}
	resp.Body.Close()
	_, list := r.call(http.MethodGet, "/api/v1/admin/complaints?source=12345", county, nil)
	var id, lateID string
	for _, it := range list["items"].([]any) {
		c := it.(map[string]any)
		switch {
		case c["source_ref"] == "GD-E2E-1":
			id = c["id"].(string)
		case strings.HasSuffix(c["source_ref"].(string), "-002"):
			lateID = c["id"].(string)
		}
	}
	_, me := r.call(http.MethodGet, "/api/v1/admin/me", school, nil)
	steps := []struct {
		token, step string
		body        map[string]any
	}{
		{county, "assign", map[string]any{"school_id": me["school_id"]}},
		{school, "rectify", map[string]any{"outcome": "已在校门口公示收费标准"}},
		{county, "verify", map[string]any{"accepted": true}},
		{county, "close", map[string]any{}},
	}
	for _, s := range steps {
		if status, out := r.call(http.MethodPost, "/api/v1/admin/complaints/"+id+"/"+s.step, s.token, s.body); status != http.StatusOK {
			t.Fatalf("%s: %d %v", s.step, status, out)
		}
	}
	// The sweep at start escalates the demo ticket left overdue.
	deadline := time.Now().Add(20 * time.Second)
	for {
		_, c := r.call(http.MethodGet, "/api/v1/admin/complaints/"+lateID, county, nil)
		if c["escalated"] == true {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the overdue ticket was not escalated: %v", c)
		}
		time.Sleep(300 * time.Millisecond)
	}
	// The report of that month, built on first request, counts the three tickets; two were
	// overdue at its end (the demo tickets' deadlines fell in it and they were closed, if at
	// all, only now); its XLSX shows the same.
	m := month.Format("2006-01")
	status, rep := r.call(http.MethodGet, "/api/v1/admin/reports/"+m, county, nil)
	f, _ := rep["figures"].(map[string]any)
	if status != http.StatusOK || f["complaints_new"] != 3.0 || f["complaints_overdue"] != 2.0 {
		t.Fatalf("report %s: %d %v", m, status, rep)
	}
	raw := r.download(t, "/api/v1/admin/reports/"+m+"/export", county)
	x, err := excelize.OpenReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	rows, _ := x.GetRows("区县")
	col := -1
	for i, h := range rows[0] {
		if h == "新增投诉" {
			col = i
		}
	}
	if len(rows) != 2 || col < 0 || rows[1][col] != "3" {
		t.Fatalf("report XLSX: %v", rows)
	}
	// The ledger export shows the ticket closed and the demo one overdue.
	lx, err := excelize.OpenReader(bytes.NewReader(r.download(t, "/api/v1/admin/complaints/export", county)))
	if err != nil {
		t.Fatal(err)
	}
	defer lx.Close()
	lrows, _ := lx.GetRows("投诉台账")
	ledger := map[string]string{}
	for _, row := range lrows[1:] {
		ledger[row[2]] = row[8]
	}
	if ledger["GD-E2E-1"] != "已办结" || !strings.Contains(ledger["DEMO-"+month.Format("200601")+"-002"], "逾期") {
		t.Fatalf("ledger export: %v", lrows)
	}
}
