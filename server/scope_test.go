package server

import (
	"net/http"
	"sort"
	"strings"
	"testing"

	"kehou/models"
)

// TestScopeMatrix checks every school-scoped admin route for the city, a county and a school
// admin against their own school, another school of the same county, and a school of another
// county: what is outside the scope is 404, exactly as if it did not exist.
func TestScopeMatrix(t *testing.T) {
	e := newEnv(t)
	for _, sc := range []string{e.schoolA1.ID, e.schoolA2.ID, e.schoolB1.ID} {
		e.expect(e.importRoster(sc, goodRoster), http.StatusOK, "")
	}
	_, a2Admin := e.staffSession("school-a2", models.Scope{Role: models.RoleSchool, CountyID: e.countyA.ID, SchoolID: e.schoolA2.ID})
	_, b1Admin := e.staffSession("school-b1", scopeB1(e))
	staffOfSchool := map[string]string{e.schoolA1.ID: e.a1ID, e.schoolA2.ID: a2Admin, e.schoolB1.ID: b1Admin}

	routes := []struct {
		method, path string
		body         any
		ctype        string
	}{
		{http.MethodGet, "/api/v1/admin/schools/{id}", nil, ""},
		{http.MethodPatch, "/api/v1/admin/schools/{id}", map[string]string{"contact": "新联系人"}, ""},
		{http.MethodGet, "/api/v1/admin/schools/{id}/children", nil, ""},
		{http.MethodGet, "/api/v1/admin/schools/{id}/guardians", nil, ""},
		{http.MethodGet, "/api/v1/admin/schools/{id}/binding-codes", nil, ""},
		{http.MethodPost, "/api/v1/admin/schools/{id}/roster", goodRoster, "text/csv"},
		{http.MethodGet, "/api/v1/admin/staff/{staff}", nil, ""},
	}
	actors := []struct {
		name    string
		token   string
		visible map[string]bool
	}{
		{"city", e.city, map[string]bool{e.schoolA1.ID: true, e.schoolA2.ID: true, e.schoolB1.ID: true}},
		{"county A", e.cntyA, map[string]bool{e.schoolA1.ID: true, e.schoolA2.ID: true}},
		{"school A1", e.schA1, map[string]bool{e.schoolA1.ID: true}},
	}
	targets := []struct {
		name string
		id   string
	}{{"own school A1", e.schoolA1.ID}, {"same-county school A2", e.schoolA2.ID}, {"other-county school B1", e.schoolB1.ID}}

	for _, a := range actors {
		for _, tg := range targets {
			for _, rt := range routes {
				path := strings.NewReplacer("{id}", tg.id, "{staff}", staffOfSchool[tg.id]).Replace(rt.path)
				t.Run(a.name+"/"+tg.name+"/"+rt.method+" "+rt.path, func(t *testing.T) {
					var headers []string
					if rt.ctype != "" {
						headers = []string{"Content-Type", rt.ctype}
					}
					r := e.req(rt.method, path, a.token, rt.body, headers...)
					if a.visible[tg.id] {
						if r.Code >= 400 {
							t.Fatalf("in scope but got %d %s", r.Code, r.Body)
						}
					} else if r.Code != http.StatusNotFound || r.errorCode() != "not_found" {
						t.Fatalf("out of scope must be 404, got %d %s", r.Code, r.Body)
					}
				})
			}
		}
	}

	// Lists show only what is in scope.
	lists := []struct {
		token string
		want  []string
	}{
		{e.city, []string{"乙一小学", "甲一小学", "甲二小学"}},
		{e.cntyA, []string{"甲一小学", "甲二小学"}},
		{e.schA1, []string{"甲一小学"}},
	}
	for _, l := range lists {
		var got listBody[models.School]
		e.req(http.MethodGet, "/api/v1/admin/schools", l.token, nil).json(t, &got)
		var names []string
		for _, s := range got.Items {
			names = append(names, s.Name)
		}
		sort.Strings(names)
		if strings.Join(names, ",") != strings.Join(l.want, ",") {
			t.Fatalf("school list = %v, want %v", names, l.want)
		}
	}
	// A county admin sees its own county only; a school admin sees none.
	e.expect(e.req(http.MethodGet, "/api/v1/admin/counties/"+e.countyB.ID, e.cntyA, nil), http.StatusNotFound, "not_found")
	e.expect(e.req(http.MethodGet, "/api/v1/admin/counties/"+e.countyA.ID, e.cntyA, nil), http.StatusOK, "")
	e.expect(e.req(http.MethodGet, "/api/v1/admin/counties/"+e.countyA.ID, e.schA1, nil), http.StatusNotFound, "not_found")
}

func TestStaffManagementRules(t *testing.T) {
	e := newEnv(t)
	create := func(token string, body map[string]string) resp {
		return e.req(http.MethodPost, "/api/v1/admin/staff", token, body)
	}
	schoolAdmin := func(school, user string) map[string]string {
		return map[string]string{"username": user, "name": "管理员", "password": "long enough pw 2026", "role": "school", "school_id": school}
	}
	e.expect(create(e.cntyA, schoolAdmin(e.schoolA2.ID, "a2-admin")), http.StatusCreated, "")
	e.expect(create(e.cntyA, schoolAdmin(e.schoolB1.ID, "b1-admin")), http.StatusForbidden, "forbidden")
	e.expect(create(e.cntyA, map[string]string{"username": "county2", "name": "x", "password": "long enough pw 2026", "role": "county", "county_id": e.countyA.ID}), http.StatusForbidden, "forbidden")
	e.expect(create(e.schA1, schoolAdmin(e.schoolA1.ID, "a1-second")), http.StatusForbidden, "forbidden")
	e.expect(create(e.city, schoolAdmin(e.schoolB1.ID, "b1-admin")), http.StatusCreated, "")
	e.expect(create(e.city, schoolAdmin(e.schoolB1.ID, "b1-admin")), http.StatusConflict, "conflict")
	r := create(e.city, map[string]string{"username": "X", "name": "", "password": "short", "role": "mayor"})
	e.expect(r, http.StatusUnprocessableEntity, "validation_failed")
	if f := r.envelope(t).Fields; f["username"] == "" || f["name"] == "" || f["password"] == "" || f["role"] == "" {
		t.Fatalf("every bad field must be named: %v", f)
	}

	// Counties and schools are created by the city (schools also by counties, in their county).
	e.expect(e.req(http.MethodPost, "/api/v1/admin/counties", e.cntyA, map[string]string{"name": "丙区"}), http.StatusForbidden, "forbidden")
	e.expect(e.req(http.MethodPost, "/api/v1/admin/counties", e.city, map[string]string{"name": "丙区"}), http.StatusCreated, "")
	school := map[string]string{"county_id": e.countyB.ID, "name": "乙二小学", "location": "rural", "stage": "primary"}
	e.expect(e.req(http.MethodPost, "/api/v1/admin/schools", e.cntyA, school), http.StatusUnprocessableEntity, "validation_failed")
	school["county_id"] = e.countyA.ID
	e.expect(e.req(http.MethodPost, "/api/v1/admin/schools", e.schA1, school), http.StatusForbidden, "forbidden")
	e.expect(e.req(http.MethodPost, "/api/v1/admin/schools", e.cntyA, school), http.StatusCreated, "")
	// A school admin may change its contact details but not its name.
	e.expect(e.req(http.MethodPatch, "/api/v1/admin/schools/"+e.schoolA1.ID, e.schA1, map[string]string{"name": "改名"}), http.StatusForbidden, "forbidden")
	e.expect(e.req(http.MethodPatch, "/api/v1/admin/schools/"+e.schoolA1.ID, e.schA1, map[string]string{"contact": "周老师"}), http.StatusOK, "")

	// Every one of those writes is in the audit log; the school admin sees only its school's.
	var all, mine listBody[models.AuditEntry]
	e.req(http.MethodGet, "/api/v1/admin/audit", e.city, nil).json(t, &all)
	e.req(http.MethodGet, "/api/v1/admin/audit", e.schA1, nil).json(t, &mine)
	var actions []string
	for _, a := range all.Items {
		actions = append(actions, a.Action)
	}
	if got := strings.Join(actions, ","); got != "school.update,school.create,county.create,staff.create,staff.create" { // newest first
		t.Fatalf("audit actions = %s", got)
	}
	for _, a := range all.Items {
		if a.Username == "" || a.IP == "" || a.RequestID == "" || a.At.IsZero() {
			t.Fatalf("audit entry lacks who/where/when: %+v", a)
		}
	}
	if len(mine.Items) != 1 || mine.Items[0].Action != "school.update" {
		t.Fatalf("school admin must see exactly its own school's entries: %+v", mine.Items)
	}
}

func TestDisablingStaffEndsSessions(t *testing.T) {
	e := newEnv(t)
	e.expect(e.req(http.MethodPatch, "/api/v1/admin/staff/"+e.a1ID, e.cntyA, map[string]bool{"disabled": true}), http.StatusOK, "")
	e.expect(e.req(http.MethodGet, "/api/v1/admin/me", e.schA1, nil), http.StatusUnauthorized, "unauthenticated")
	e.expect(e.req(http.MethodPatch, "/api/v1/admin/staff/"+e.cityID, e.city, map[string]bool{"disabled": true}), http.StatusUnprocessableEntity, "validation_failed")
}
