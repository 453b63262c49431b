package server

import (
	"net/http"
	neturl "net/url"
	"strings"
	"testing"

	"kehou/models"
)

func fullWeek() []map[string]any {
	var days []map[string]any
	for d := 1; d <= 5; d++ {
		days = append(days, map[string]any{"weekday": d, "start": "16:30", "end": "18:30"})
	}
	return days
}

func planItem(cat, name, inst string) map[string]any {
	it := map[string]any{"category": cat, "name": name, "provider": "teachers"}
	if inst != "" {
		it["provider"], it["institution_id"] = "institution", inst
	}
	return it
}

// TestPlansAndCompliance: plans are validated, compliance is computed (never typed in), the
// bureau view counts and lists the schools that fall short, and suspending an institution flags
// the plans that use it.
func TestPlansAndCompliance(t *testing.T) {
	e := newEnv(t)
	term := "2026-autumn"
	// The registry: county A registers an institution; a school may not.
	e.expect(e.req(http.MethodPost, "/api/v1/admin/institutions", e.schA1, map[string]any{"name": "x", "licence": "1", "categories": []string{"arts"}}), http.StatusForbidden, "forbidden")
	r := e.req(http.MethodPost, "/api/v1/admin/institutions", e.cntyA, map[string]any{"name": "星光艺术", "licence": "L-001", "categories": []string{"arts"}})
	e.expect(r, http.StatusCreated, "")
	var inst models.Institution
	r.json(t, &inst)

	url := "/api/v1/admin/schools/" + e.schoolA1.ID + "/plans/" + term
	bad := e.req(http.MethodPut, url, e.schA1, map[string]any{"days": []map[string]any{{"weekday": 8, "start": "16:30", "end": "18:30"}},
		"items": []map[string]any{{"category": "gaming", "name": "x", "provider": "teachers"}, planItem("arts", "舞蹈", "nope")}})
	if f := bad.envelope(t).Fields; f["days[0].weekday"] == "" || f["items[0].category"] == "" || f["items[1].institution_id"] == "" {
		t.Fatalf("bad plan: %s", bad.Body)
	}
	// A1: 5+2 and 2+3 (arts by the approved institution).
	r = e.req(http.MethodPut, url, e.schA1, map[string]any{"days": fullWeek(), "items": []map[string]any{planItem("homework", "作业辅导", ""),
		planItem("sports", "体育", ""), planItem("science", "科学", ""), planItem("reading", "阅读", ""), planItem("arts", "舞蹈", inst.ID)}})
	e.expect(r, http.StatusOK, "")
	var v planView
	r.json(t, &v)
	if !v.Compliance.FivePlusTwo || !v.Compliance.TwoPlusThree || v.Compliance.N != 3 {
		t.Fatalf("A1 compliance: %+v", v.Compliance)
	}
	// A2 (urban): four days and 2+1 (not 5+2, so not 2+N either).
	e.expect(e.req(http.MethodPut, "/api/v1/admin/schools/"+e.schoolA2.ID+"/plans/"+term, e.cntyA, map[string]any{"days": fullWeek()[:4],
		"items": []map[string]any{planItem("homework", "作业辅导", ""), planItem("sports", "体育", ""), planItem("labour", "劳动", "")}}), http.StatusOK, "")
	// A school admin cannot write another school's plan; B1's is not county A's business.
	e.expect(e.req(http.MethodPut, "/api/v1/admin/schools/"+e.schoolA2.ID+"/plans/"+term, e.schA1, map[string]any{"days": fullWeek()}), http.StatusNotFound, "not_found")
	e.expect(e.req(http.MethodGet, "/api/v1/admin/schools/"+e.schoolB1.ID+"/plans/"+term, e.cntyA, nil), http.StatusNotFound, "not_found")

	var rep complianceReport
	e.req(http.MethodGet, "/api/v1/admin/plans?term="+term, e.city, nil).json(t, &rep)
	if rep.Total.Schools != 3 || rep.Total.WithPlan != 2 || rep.Total.TwoPlusN != 1 || rep.Total.FivePlusTwo != 1 || rep.Total.Urban != 3 ||
		rep.Total.UrbanTwoPlusThree != 1 || rep.Total.MeetsTarget || len(rep.Counties) != 2 || len(rep.Short) != 2 {
		t.Fatalf("city report: %+v", rep.Total)
	}
	reasons := map[string]string{}
	for _, s := range rep.Short {
		reasons[s.SchoolID] = strings.Join(s.Reasons, "；")
	}
	if !strings.Contains(reasons[e.schoolA2.ID], "星期五未安排") || !strings.Contains(reasons[e.schoolA2.ID], "拓展服务1类") ||
		!strings.Contains(reasons[e.schoolB1.ID], "未提交") {
		t.Fatalf("reasons: %v", reasons)
	}
	var county complianceReport
	e.req(http.MethodGet, "/api/v1/admin/plans?term="+term, e.cntyA, nil).json(t, &county)
	if county.Total.Schools != 2 || len(county.Counties) != 1 {
		t.Fatalf("county A's view: %+v", county.Total)
	}
	e.expect(e.req(http.MethodGet, "/api/v1/admin/plans?term=autumn", e.city, nil), http.StatusUnprocessableEntity, "validation_failed")
	// The console lists the schools a page at a time, by name or only those short; the figures
	// still cover the whole scope.
	var page complianceReport
	e.req(http.MethodGet, "/api/v1/admin/plans?term="+term+"&limit=2", e.city, nil).json(t, &page)
	if len(page.Schools) != 2 || page.NextCursor != "2" || page.Total.Schools != 3 {
		t.Fatalf("first page: %d schools, next %q, total %+v", len(page.Schools), page.NextCursor, page.Total)
	}
	page = complianceReport{}
	e.req(http.MethodGet, "/api/v1/admin/plans?term="+term+"&limit=2&cursor=2", e.city, nil).json(t, &page)
	if len(page.Schools) != 1 || page.NextCursor != "" {
		t.Fatalf("last page: %d schools, next %q", len(page.Schools), page.NextCursor)
	}
	page = complianceReport{}
	e.req(http.MethodGet, "/api/v1/admin/plans?term="+term+"&limit=50&short=true&q="+neturl.QueryEscape(e.schoolA2.Name), e.city, nil).json(t, &page)
	if len(page.Schools) != 1 || page.Schools[0].School.ID != e.schoolA2.ID {
		t.Fatalf("short schools named %s: %+v", e.schoolA2.Name, page.Schools)
	}
	e.expect(e.req(http.MethodGet, "/api/v1/admin/plans?limit=2&cursor=x", e.city, nil), http.StatusUnprocessableEntity, "validation_failed")

	// Suspending the institution flags A1's plan: its arts item stops counting (2+2 now).
	r = e.req(http.MethodPatch, "/api/v1/admin/institutions/"+inst.ID, e.cntyA, map[string]any{"status": "suspended", "notes": "投诉核实"})
	e.expect(r, http.StatusOK, "")
	var upd institutionUpdate
	r.json(t, &upd)
	if len(upd.AffectedPlans) != 1 || upd.AffectedPlans[0] != models.PlanID(e.schoolA1.ID, term) {
		t.Fatalf("affected plans: %+v", upd)
	}
	e.req(http.MethodGet, url, e.schA1, nil).json(t, &v)
	if v.Compliance.TwoPlusThree || len(v.Compliance.Flagged) != 1 || !strings.Contains(v.Compliance.Flagged[0], "已暂停") {
		t.Fatalf("A1 after the suspension: %+v", v.Compliance)
	}
	// A suspended institution cannot be named in a plan; the city's entries are the city's.
	r = e.req(http.MethodPut, url, e.schA1, map[string]any{"days": fullWeek(), "items": []map[string]any{planItem("arts", "舞蹈", inst.ID)}})
	if r.envelope(t).Fields["items[0].institution_id"] == "" {
		t.Fatalf("suspended institution accepted: %s", r.Body)
	}
	r = e.req(http.MethodPost, "/api/v1/admin/institutions", e.city, map[string]any{"name": "市少年宫", "licence": "C-1", "categories": []string{"science"}})
	var cityInst models.Institution
	r.json(t, &cityInst)
	e.expect(e.req(http.MethodPatch, "/api/v1/admin/institutions/"+cityInst.ID, e.cntyA, map[string]any{"status": "exited"}), http.StatusForbidden, "forbidden")
}
