package server

import (
	"net/http"
	"testing"
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
