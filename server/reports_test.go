package server

import (
	"context"
	"net/http"
	"testing"
	"time"

	"kehou/models"
	"kehou/report"
)

// TestMonthlyReport: October's figures on a fixed data set, checked by hand; the stored report
// does not change when late data arrives; the export reads back; each scope sees its own level.
func TestMonthlyReport(t *testing.T) {
	e := newEnv(t)
	e.now = time.Date(2026, 10, 9, 2, 0, 0, 0, time.UTC) // Friday 9 October, 10:00 in Shanghai
	e.relogin()
	e.worker()
	a1 := e.families(e.schoolA1, "A1", 3, 4) // 4 pupils, 4 bound families at A1
	e.families(e.schoolB1, "B1", 2, 2)       // 2 and 2 at B1
	// The satisfaction template at A1, answered by two families: overall 5 and 2, both joined
	// (5 matrix rows each, rated like the overall score), aware A (aware) and C (not aware).
	// Satisfaction is the overall question's: 1 of 2 satisfied (the matrix rows apart); 1 of 2 aware.
	sv := e.createSurvey(e.cntyA, map[string]any{"template": "after_school_satisfaction",
		"audience": map[string]any{"kind": "schools", "school_ids": []string{e.schoolA1.ID}}})
	e.publish(e.cntyA, sv.ID, map[string]any{"channels": []string{}})
	for i, o := range []int{5, 2} {
		aware := map[int]string{0: "A", 1: "C"}[i]
		e.expect(e.req(http.MethodPost, "/api/v1/mp/surveys/"+sv.ID+"/answers", a1[i].token,
			map[string]any{"answers": templateAnswers(o, aware, "A", []int{o, o, o, o, o}, "")}), http.StatusAccepted, "")
	}
	e.waitResponses(sv.ID, 2)
	// A notice of A1 that asks for a receipt, confirmed by one family (twice: counted once).
	n := models.Notice{SchoolID: e.schoolA1.ID, CountyID: e.countyA.ID, Sender: "甲一小学", Kind: models.NoticeGeneral,
		Title: "通知", Body: "内容", RequireConfirm: true, Audience: models.Audience{Kind: models.AudienceScope}}
	if err := e.st.CreateNotice(context.Background(), &n); err != nil {
		t.Fatal(err)
	}
	if _, err := e.st.AddRecipients(context.Background(), n, []string{e.memberID(a1[0].token), e.memberID(a1[1].token)}); err != nil {
		t.Fatal(err)
	}
	e.expect(e.req(http.MethodPost, "/api/v1/mp/notices/"+n.ID+"/confirm", a1[0].token, nil), http.StatusOK, "")
	e.expect(e.req(http.MethodPost, "/api/v1/mp/notices/"+n.ID+"/confirm", a1[0].token, nil), http.StatusOK, "")
	term := "2026-autumn"
	e.expect(e.req(http.MethodPut, "/api/v1/admin/schools/"+e.schoolA1.ID+"/plans/"+term, e.schA1, map[string]any{"days": fullWeek(),
		"items": []map[string]any{planItem("homework", "作业", ""), planItem("sports", "体育", ""), planItem("science", "科学", ""),
			planItem("arts", "艺术", ""), planItem("reading", "阅读", "")}}), http.StatusOK, "")
	e.expect(e.req(http.MethodPut, "/api/v1/admin/schools/"+e.schoolA2.ID+"/plans/"+term, e.cntyA, map[string]any{"days": fullWeek()[:4],
		"items": []map[string]any{planItem("homework", "作业", ""), planItem("sports", "体育", ""), planItem("labour", "劳动", "")}}), http.StatusOK, "")
	// Complaints in October: one closed within the month, one assigned with a 1-day deadline
	// and still open at the month's end (overdue); one in county B.
	a := e.complaint(e.cntyA, map[string]any{"source": "phone", "received_on": "2026-10-09", "category": "fees", "text": "收费问题"})
	e.expect(e.step(e.cntyA, a.ID, "dismiss", map[string]any{"outcome": "重复反映"}), http.StatusOK, "")
	b := e.complaint(e.cntyA, map[string]any{"source": "12345", "source_ref": "GD-10-1", "received_on": "2026-10-09", "category": "safety", "text": "安全问题"})
	e.expect(e.step(e.cntyA, b.ID, "assign", map[string]any{"school_id": e.schoolA1.ID, "deadline_days": 1}), http.StatusOK, "")
	e.complaint(e.city, map[string]any{"source": "email", "received_on": "2026-10-08", "county_id": e.countyB.ID, "category": "food", "text": "餐饮问题"})

	// The report of a month not yet over is refused; October's is built on 2 November.
	e.expect(e.req(http.MethodGet, "/api/v1/admin/reports/2026-10", e.city, nil), http.StatusConflict, "report_not_ready")
	e.now = time.Date(2026, 11, 2, 1, 0, 0, 0, time.UTC)
	b1 := e.relogin()
	e.expect(e.req(http.MethodGet, "/api/v1/admin/reports/2026-13", e.city, nil), http.StatusUnprocessableEntity, "validation_failed")
	var city reportView
	e.req(http.MethodGet, "/api/v1/admin/reports/2026-10", e.city, nil).json(t, &city)
	f := city.Figures
	// A2's plan lists 2+1 services on four days: not 5+2, so not 2+N either.
	if f.Schools != 3 || f.PlansTwoPlusN != 1 || f.PlansFivePlusTwo != 1 || f.UrbanSchools != 3 || f.UrbanTwoPlusThree != 1 ||
		f.Pupils != 6 || f.Families != 6 || f.ComplaintsNew != 3 || f.ComplaintsClosed != 1 || f.ComplaintsOverdue != 1 {
		t.Fatalf("city figures: %+v", f)
	}
	if f.SurveyResponses != 2 || f.Satisfied != 1 || f.Rated != 2 || f.Aware != 1 || f.AwareAsked != 2 || f.NoticesConfirmed != 1 {
		t.Fatalf("city survey and receipt figures: %+v", f)
	}
	if r := city.Rates["two_plus_n"]; r == nil || *r < 0.333 || *r > 0.334 {
		t.Fatalf("2+N rate: %v", r)
	}
	if r := city.Rates["five_plus_two"]; r == nil || *r < 0.333 || *r > 0.334 {
		t.Fatalf("5+2 rate: %v", r)
	}
	if len(city.Counties) != 2 || len(city.Schools) != 3 {
		t.Fatalf("levels: %d counties, %d schools", len(city.Counties), len(city.Schools))
	}
	var county reportView
	e.req(http.MethodGet, "/api/v1/admin/reports/2026-10", e.cntyA, nil).json(t, &county)
	if county.Level != "county" || county.Figures.Schools != 2 || county.Figures.ComplaintsNew != 2 || county.Figures.Pupils != 4 || len(county.Schools) != 2 || county.Counties != nil {
		t.Fatalf("county A's view: %+v", county)
	}
	var school reportView
	e.req(http.MethodGet, "/api/v1/admin/reports/2026-10", b1, nil).json(t, &school)
	if school.Level != "school" || school.Name != e.schoolB1.Name || school.Figures.Pupils != 2 || school.Schools != nil {
		t.Fatalf("B1's view: %+v", school)
	}

	// A complaint about October recorded late does not change October's stored figures.
	e.complaint(e.cntyA, map[string]any{"source": "visit", "received_on": "2026-10-30", "category": "other", "text": "补录"})
	e.req(http.MethodGet, "/api/v1/admin/reports/2026-10", e.city, nil).json(t, &city)
	if city.Figures.ComplaintsNew != 3 {
		t.Fatalf("the stored report changed: %+v", city.Figures)
	}
	if fresh, err := report.New(e.st).Build(context.Background(), "2026-10"); err != nil || fresh.City.ComplaintsNew != 4 {
		t.Fatalf("a rebuild would see the late complaint: %+v %v", fresh.City, err)
	}

	// The export: a sheet per level, figures as on screen.
	rows := e.xlsxRows(e.req(http.MethodGet, "/api/v1/admin/reports/2026-10/export", e.city, nil), "区县")
	col := -1
	for i, h := range rows[0] {
		if h == "新增投诉" {
			col = i
		}
	}
	if len(rows) != 3 || col < 0 {
		t.Fatalf("counties sheet: %v", rows)
	}
	got := map[string]string{rows[1][0]: rows[1][col], rows[2][0]: rows[2][col]}
	if got[e.countyA.Name] != "2" || got[e.countyB.Name] != "1" {
		t.Fatalf("new complaints per county: %v", got)
	}
	schoolRows := e.xlsxRows(e.req(http.MethodGet, "/api/v1/admin/reports/2026-10/export", e.cntyA, nil), "学校")
	if len(schoolRows) != 3 {
		t.Fatalf("county A's schools sheet: %v", schoolRows)
	}

	// The dashboard: October against September, targets beside the policy figures.
	var dash struct {
		Month string     `json:"month"`
		Items []headline `json:"items"`
	}
	e.req(http.MethodGet, "/api/v1/admin/dashboard", e.city, nil).json(t, &dash)
	byKey := map[string]headline{}
	for _, h := range dash.Items {
		byKey[h.Key] = h
	}
	// The plans are the term's, the same in September; the families were bound in October.
	twoN, bound, fiveTwo := byKey["two_plus_n"], byKey["families_bound"], byKey["five_plus_two"]
	if fiveTwo.Value == nil || *fiveTwo.Value < 0.333 || *fiveTwo.Value > 0.334 || fiveTwo.Meets == nil || *fiveTwo.Meets || byKey["urban_two_plus_three"].Key == "" {
		t.Fatalf("dashboard: 5+2 %+v", fiveTwo)
	}
	if dash.Month != "2026-10" || twoN.Meets == nil || *twoN.Meets || *twoN.Target != 1 || *twoN.Change != 0 ||
		bound.Value == nil || *bound.Value != 1 || *bound.Previous != 0 || *bound.Change != 1 {
		t.Fatalf("dashboard: 2+N %+v, bound %+v", twoN, bound)
	}
	if h := byKey["complaints_closed"]; h.Value == nil || *h.Value != 1 || h.Live != nil {
		t.Fatalf("dashboard: closed %+v (no live figures before report:live runs)", h)
	}

	// The months for the charts: September and October, frozen; the live month once report:live
	// has run, beside the headlines too.
	if _, err := report.New(e.st).Live(context.Background()); err != nil {
		t.Fatal(err)
	}
	type level struct {
		ID     string              `json:"id"`
		Name   string              `json:"name"`
		Level  string              `json:"level"`
		Values map[string]*float64 `json:"values"`
	}
	type dashboard struct {
		Month string     `json:"month"`
		Level string     `json:"level"`
		Name  string     `json:"name"`
		Items []headline `json:"items"`
		Trend []struct {
			Month  string              `json:"month"`
			Live   bool                `json:"live"`
			Values map[string]*float64 `json:"values"`
		} `json:"trend"`
		Below []level `json:"below"`
	}
	var full dashboard
	e.req(http.MethodGet, "/api/v1/admin/dashboard", e.city, nil).json(t, &full)
	if len(full.Trend) != 3 || full.Trend[0].Month != "2026-09" || full.Trend[1].Month != "2026-10" || full.Trend[2].Month != "2026-11" ||
		full.Trend[1].Live || !full.Trend[2].Live || *full.Trend[1].Values["complaints_new"] != 3 || *full.Trend[2].Values["complaints_new"] != 0 {
		t.Fatalf("trend: %+v", full.Trend)
	}
	if full.Level != "city" || len(full.Below) != 2 || full.Below[0].Level != "county" || full.Items[0].Live == nil {
		t.Fatalf("city dashboard: %+v", full)
	}

	// Drill-down: the city to county A (its two schools below), county A to school A1; outside
	// the caller's scope is not found.
	var ca dashboard
	e.req(http.MethodGet, "/api/v1/admin/dashboard?county_id="+e.countyA.ID, e.city, nil).json(t, &ca)
	if ca.Level != "county" || ca.Name != e.countyA.Name || len(ca.Below) != 2 || *ca.Items[0].Value != 0.5 || ca.Below[0].Name != e.schoolA1.Name || *ca.Below[0].Values["five_plus_two"] != 1 || *ca.Below[1].Values["five_plus_two"] != 0 {
		t.Fatalf("county A from the city: %+v", ca)
	}
	var sa1 dashboard
	e.req(http.MethodGet, "/api/v1/admin/dashboard?school_id="+e.schoolA1.ID, e.cntyA, nil).json(t, &sa1)
	if sa1.Level != "school" || sa1.Name != e.schoolA1.Name || len(sa1.Below) != 0 || *sa1.Items[0].Value != 1 {
		t.Fatalf("school A1 from county A: %+v", sa1)
	}
	e.expect(e.req(http.MethodGet, "/api/v1/admin/dashboard?county_id="+e.countyB.ID, e.cntyA, nil), http.StatusNotFound, "not_found")
	e.expect(e.req(http.MethodGet, "/api/v1/admin/dashboard?school_id="+e.schoolB1.ID, e.cntyA, nil), http.StatusNotFound, "not_found")
	e.expect(e.req(http.MethodGet, "/api/v1/admin/dashboard?school_id="+e.schoolA1.ID, b1, nil), http.StatusNotFound, "not_found")
}
