package server

import (
	"net/http"
	"testing"
)

// The staff routes name each school admin's school, so a list of accounts reads without one
// look-up per row; city and county accounts have none.
func TestStaffAnswersNameTheSchool(t *testing.T) {
	e := newEnv(t)
	type item struct {
		Username   string `json:"username"`
		SchoolName string `json:"school_name"`
	}
	var list listBody[item]
	e.req(http.MethodGet, "/api/v1/admin/staff?limit=50", e.city, nil).json(t, &list)
	got := map[string]string{}
	for _, it := range list.Items {
		got[it.Username] = it.SchoolName
	}
	if got["school-a1"] != e.schoolA1.Name || got["county-a"] != "" {
		t.Fatalf("school names in the staff list: %v", got)
	}

	var created item
	r := e.req(http.MethodPost, "/api/v1/admin/staff", e.cntyA, map[string]string{"username": "a2-admin", "name": "管理员",
		"password": "long enough pw 2026", "role": "school", "school_id": e.schoolA2.ID})
	e.expect(r, http.StatusCreated, "")
	r.json(t, &created)
	if created.SchoolName != e.schoolA2.Name {
		t.Fatalf("created account: %+v", created)
	}
}
