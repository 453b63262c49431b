package server

import (
	"net/http"
	"testing"

	"kehou/models"
)

// TestTypicalCases: a school submits, the county reviews (returning one), features the other,
// and the month's featured list shows it; other scopes are refused.
func TestTypicalCases(t *testing.T) {
	e := newEnv(t)
	mk := func(title string) models.Case {
		r := e.req(http.MethodPost, "/api/v1/admin/cases", e.schA1, map[string]any{"title": title, "text": "我校开设非遗剪纸社团，家长参与度高。",
			"images": []string{"https://img.example.org/1.jpg"}})
		e.expect(r, http.StatusCreated, "")
		var c models.Case
		r.json(t, &c)
		return c
	}
	e.expect(e.req(http.MethodPost, "/api/v1/admin/cases", e.cntyA, map[string]any{"title": "x", "text": "y"}), http.StatusForbidden, "forbidden")
	e.expect(e.req(http.MethodPost, "/api/v1/admin/cases", e.schA1, map[string]any{"title": "x", "text": "y", "images": []string{"http://insecure"}}), http.StatusUnprocessableEntity, "validation_failed")
	good, weak := mk("剪纸社团进校园"), mk("课后服务小结")
	e.expect(e.req(http.MethodPost, "/api/v1/admin/cases/"+good.ID+"/feature", e.cntyA, nil), http.StatusConflict, "case_state")
	e.expect(e.req(http.MethodPost, "/api/v1/admin/cases/"+good.ID+"/review", e.schA1, map[string]any{"approved": true}), http.StatusForbidden, "forbidden")
	b1, _ := e.staffSession("school-b1", scopeB1(e))
	cntyB, _ := e.staffSession("county-b", models.Scope{Role: models.RoleCounty, CountyID: e.countyB.ID})
	e.expect(e.req(http.MethodPost, "/api/v1/admin/cases/"+good.ID+"/review", cntyB, map[string]any{"approved": true}), http.StatusNotFound, "not_found")
	e.expect(e.req(http.MethodPost, "/api/v1/admin/cases/"+weak.ID+"/review", e.cntyA, map[string]any{"approved": false}), http.StatusUnprocessableEntity, "validation_failed")
	e.expect(e.req(http.MethodPost, "/api/v1/admin/cases/"+weak.ID+"/review", e.cntyA, map[string]any{"approved": false, "note": "请补充成效数据"}), http.StatusOK, "")
	e.expect(e.req(http.MethodPost, "/api/v1/admin/cases/"+good.ID+"/review", e.cntyA, map[string]any{"approved": true}), http.StatusOK, "")
	r := e.req(http.MethodPost, "/api/v1/admin/cases/"+good.ID+"/feature", e.city, nil)
	e.expect(r, http.StatusOK, "")
	var got models.Case
	r.json(t, &got)
	if got.Status != models.CaseFeatured || got.FeaturedBy != "city" || got.FeatureMonth != "2026-11" {
		t.Fatalf("featured: %+v", got)
	}
	var list listBody[models.Case]
	e.req(http.MethodGet, "/api/v1/admin/cases/featured?month=2026-11", b1, nil).json(t, &list)
	if len(list.Items) != 1 || list.Items[0].ID != good.ID {
		t.Fatalf("featured list: %+v", list.Items)
	}
	e.req(http.MethodGet, "/api/v1/admin/cases?status=returned", e.schA1, nil).json(t, &list)
	if len(list.Items) != 1 || list.Items[0].ReviewNote != "请补充成效数据" {
		t.Fatalf("returned: %+v", list.Items)
	}
	e.req(http.MethodGet, "/api/v1/admin/cases", b1, nil).json(t, &list)
	if len(list.Items) != 0 {
		t.Fatalf("B1 sees A1's cases: %+v", list.Items)
	}
}
