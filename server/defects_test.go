package server

import (
	"context"
	"net/http"
	"testing"

	"kehou/models"
	"kehou/store"
)

// Renaming or creating a county or school with a name another one has is a 409 naming the
// field, never a 500 (issue 20).
func TestDuplicateNamesAre409WithField(t *testing.T) {
	e := newEnv(t)
	cases := []struct {
		name, method, path string
		body               any
		field              string
	}{
		{"rename county", http.MethodPatch, "/api/v1/admin/counties/" + e.countyB.ID, map[string]any{"name": e.countyA.Name}, "name"},
		{"create county", http.MethodPost, "/api/v1/admin/counties", map[string]any{"name": e.countyA.Name}, "name"},
		{"rename school", http.MethodPatch, "/api/v1/admin/schools/" + e.schoolA2.ID, map[string]any{"name": e.schoolA1.Name}, "name"},
		{"create school", http.MethodPost, "/api/v1/admin/schools", map[string]any{"county_id": e.countyA.ID, "name": e.schoolB1.Name, "location": "urban", "stage": "primary"}, "name"},
		{"create staff", http.MethodPost, "/api/v1/admin/staff", map[string]any{"username": "county-a", "name": "某人", "password": "abcdef123456", "role": "school", "school_id": e.schoolA1.ID}, "username"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := e.req(tc.method, tc.path, e.city, tc.body)
			if r.Code != http.StatusConflict {
				t.Fatalf("%s: %d %s, want 409", tc.name, r.Code, r.Body)
			}
			if env := r.envelope(t); env.Fields[tc.field] == "" {
				t.Fatalf("%s: %s, want fields.%s", tc.name, r.Body, tc.field)
			}
		})
	}
}

// Text with invalid UTF-8 or a NUL is a 422 naming the field on every kind of input (a staff
// body, a parent body, a query parameter, uploaded files), and nothing is stored (issue 20).
func TestBadTextIsRefusedEverywhere(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	p := e.parent("bad-text")
	bodies := []struct {
		name, method, path, token string
		body                      string
		field                     string
	}{
		{"county name with NUL", http.MethodPatch, "/api/v1/admin/counties/" + e.countyB.ID, e.city, `{"name":"乙\u0000县"}`, "name"},
		{"county name with invalid UTF-8", http.MethodPatch, "/api/v1/admin/counties/" + e.countyB.ID, e.city, "{\"name\":\"乙\xff\xfe县\"}", "name"},
		{"school address, nested patch", http.MethodPatch, "/api/v1/admin/schools/" + e.schoolA1.ID, e.city, "{\"address\":\"\xc3\x28\"}", "address"},
		{"parent complaint", http.MethodPost, "/api/v1/mp/complaints", p, `{"school_id":"` + e.schoolA1.ID + `","category":"safety","text":"放学\u0000时校门口拥堵"}`, "text"},
		{"parent complaint, invalid bytes", http.MethodPost, "/api/v1/mp/complaints", p, "{\"school_id\":\"" + e.schoolA1.ID + "\",\"category\":\"safety\",\"text\":\"放学\x80时校门口拥堵\"}", "text"},
	}
	for _, tc := range bodies {
		r := e.req(tc.method, tc.path, tc.token, tc.body)
		if r.Code != http.StatusUnprocessableEntity || r.envelope(t).Fields[tc.field] == "" {
			t.Errorf("%s: %d %s, want 422 naming %s", tc.name, r.Code, r.Body, tc.field)
		}
	}
	if c, _ := e.st.County(ctx, e.countyB.ID); c.Name != e.countyB.Name {
		t.Errorf("county renamed to %q", c.Name)
	}
	if sc, _ := e.st.School(ctx, e.schoolA1.ID); sc.Address != e.schoolA1.Address {
		t.Errorf("school address stored: %q", sc.Address)
	}
	r := e.req(http.MethodGet, "/api/v1/mp/complaints", p, nil)
	e.expect(r, http.StatusOK, "")
	var mine listBody[map[string]any]
	r.json(t, &mine)
	if len(mine.Items) != 0 {
		t.Errorf("a complaint with bad text was stored: %s", r.Body)
	}

	// A nested field is named by its path.
	r = e.req(http.MethodPost, "/api/v1/admin/surveys", e.city, `{"title":"满意度","questions":[{"id":"q1","type":"single","title":"总体满意度","options":[{"id":"a","label":"满意"},{"id":"b","label":"不\u0000满意"}]}]}`)
	if r.Code != http.StatusUnprocessableEntity || r.envelope(t).Fields["questions[0].options[1].label"] == "" {
		t.Errorf("nested: %d %s, want 422 naming questions[0].options[1].label", r.Code, r.Body)
	}

	// Query parameters: 422 naming the parameter; path parameters: 404.
	r = e.req(http.MethodGet, "/api/v1/admin/schools?county_id=%00", e.city, nil)
	if r.Code != http.StatusUnprocessableEntity || r.envelope(t).Fields["county_id"] == "" {
		t.Errorf("query NUL: %d %s", r.Code, r.Body)
	}
	r = e.req(http.MethodGet, "/api/v1/admin/schools?county_id=%FF", e.city, nil)
	if r.Code != http.StatusUnprocessableEntity || r.envelope(t).Fields["county_id"] == "" {
		t.Errorf("query invalid UTF-8: %d %s", r.Code, r.Body)
	}
	e.expect(e.req(http.MethodGet, "/api/v1/admin/counties/%00", e.city, nil), http.StatusNotFound, "not_found")

	// Uploads: a roster and a 12345 export with a NUL or bytes that are neither UTF-8 nor GBK.
	for name, csv := range map[string]string{
		"roster NUL":     "学号,姓名,年级,班级\nS1,张\x00三,3,2\n",
		"roster invalid": "学号,姓名,年级,班级\nS1,张\xff三,3,2\n",
	} {
		r := e.importRoster(e.schoolA1.ID, csv)
		if r.Code != http.StatusUnprocessableEntity || r.envelope(t).Fields["file"] == "" {
			t.Errorf("%s: %d %s", name, r.Code, r.Body)
		}
	}
	if kids, _, _ := e.st.Children(ctx, e.schoolA1.ID, 0, "", store.Page{}); len(kids) != 0 {
		t.Errorf("roster with bad text stored %d pupils", len(kids))
	}
	body, ctype := multipartFile(t, "file", "tickets.csv", []byte("工单编号,受理日期,学校,类别,诉求内容\nT1,2026-11-20,甲一小学,safety,校门口\x00拥堵\n"))
	r = e.req(http.MethodPost, "/api/v1/admin/complaints/import", e.cntyA, body, "Content-Type", ctype)
	if r.Code != http.StatusUnprocessableEntity || r.envelope(t).Fields["file"] == "" {
		t.Errorf("tickets NUL: %d %s", r.Code, r.Body)
	}
	if list, _, _ := e.st.Complaints(ctx, models.Scope{Role: models.RoleCity}, store.ComplaintFilter{}, store.Page{}); len(list) != 0 {
		t.Errorf("tickets with bad text stored: %d", len(list))
	}
}
