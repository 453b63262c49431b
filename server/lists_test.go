package server

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"kehou/models"
)

// TestListsAreItems: every list the API answers is {items, next_cursor}. It walks the served
// GET routes (so a new list route is checked without being added here), fills a path's ids
// with the fixture's, and requires a top-level "items" array; the only other keys allowed are
// next_cursor and the context a few lists carry (listContext).
func TestListsAreItems(t *testing.T) {
	e := newEnv(t)
	p := e.careProgramme(e.schA1, "", 5, 5)
	volunteer, _ := e.volunteer("小周", models.VolunteerStudent, "", "13900005555")
	// Not lists: single resources, reports and files.
	notLists := []string{
		"/api/v1/mp/me", "/api/v1/mp/volunteer", "/api/v1/mp/volunteer/certificate",
		"/api/v1/admin/me", "/api/v1/admin/plans", "/api/v1/admin/complaints/stats", "/api/v1/admin/complaints/export",
		"/api/v1/meta/labels",
	}
	// Lists whose items come with context: the year and grouping of hours, the months compared.
	listContext := map[string][]string{
		"/api/v1/mp/volunteer/hours":    {"year", "minutes", "hours"},
		"/api/v1/admin/volunteer-hours": {"year", "by"},
		"/api/v1/admin/dashboard":       {"month", "previous_month", "level", "name", "county_id", "school_id", "trend", "below", "live"},
	}
	ids := map[string]string{
		"/api/v1/admin/schools/:id/children":      e.schoolA1.ID,
		"/api/v1/admin/schools/:id/guardians":     e.schoolA1.ID,
		"/api/v1/admin/programmes/:id/shifts":     p.ID,
		"/api/v1/admin/programmes/:id/enrolments": p.ID + "|period=" + p.Periods[0].ID,
	}
	checked := 0
	for _, r := range e.srv.Echo().Routes() {
		path := r.Path
		if r.Method != http.MethodGet || !strings.HasPrefix(path, "/api/v1/") || strings.HasSuffix(path, "/*") ||
			slices.Contains(notLists, path) || strings.HasSuffix(path, "/export") || strings.HasSuffix(path, "/binding-codes") ||
			strings.HasSuffix(path, "/teacher-hours") {
			continue
		}
		if strings.Contains(path, ":") {
			id, ok := ids[path]
			if !ok {
				continue // a single resource (or a list that needs more fixtures than this test makes)
			}
			id, query, _ := strings.Cut(id, "|")
			path = strings.Replace(path, ":id", id, 1)
			if query != "" {
				path += "?" + query
			}
		}
		token := e.city
		if strings.HasPrefix(path, "/api/v1/mp/") {
			token = volunteer
		}
		res := e.req(http.MethodGet, path, token, nil)
		if res.Code != http.StatusOK || !strings.HasPrefix(res.Header.Get(echo.HeaderContentType), echo.MIMEApplicationJSON) {
			t.Errorf("GET %s: %d %s", path, res.Code, res.Body)
			continue
		}
		var body map[string]json.RawMessage
		if err := json.Unmarshal(res.Body, &body); err != nil {
			t.Errorf("GET %s: not an object: %s", r.Path, res.Body)
			continue
		}
		if items := strings.TrimSpace(string(body["items"])); !strings.HasPrefix(items, "[") {
			t.Errorf("GET %s: no items array: %s", r.Path, res.Body)
		}
		for k := range body {
			if k != "items" && k != "next_cursor" && !slices.Contains(listContext[r.Path], k) {
				t.Errorf("GET %s: key %q beside items", r.Path, k)
			}
		}
		checked++
	}
	if checked < 35 {
		t.Fatalf("only %d list routes checked", checked)
	}
}
