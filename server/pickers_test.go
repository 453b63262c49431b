package server

import (
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"

	"kehou/models"
)

// TestPickers: any signed-in member (here one with no child and no volunteer profile) lists the
// counties and the schools by name, one county's, and a name search, as {items, next_cursor}.
func TestPickers(t *testing.T) {
	e := newEnv(t)
	walker := e.parent("walker") // no child bound, no volunteer profile

	var counties listBody[mpCounty]
	r := e.req(http.MethodGet, "/api/v1/mp/counties", walker, nil)
	e.expect(r, http.StatusOK, "")
	r.json(t, &counties)
	want := []mpCounty{{e.countyA.ID, e.countyA.Name}, {e.countyB.ID, e.countyB.Name}}
	slices.SortFunc(want, func(a, b mpCounty) int { return map[bool]int{true: -1, false: 1}[a.Name < b.Name] })
	if !slices.Equal(counties.Items, want) || counties.NextCursor != "" {
		t.Fatalf("counties: %+v, want %+v", counties, want)
	}
	e.expect(e.req(http.MethodGet, "/api/v1/mp/counties", "", nil), http.StatusUnauthorized, "unauthenticated")

	schools := func(query string) listBody[mpSchool] {
		t.Helper()
		r := e.req(http.MethodGet, "/api/v1/mp/schools"+query, walker, nil)
		e.expect(r, http.StatusOK, "")
		var b listBody[mpSchool]
		r.json(t, &b)
		return b
	}
	all := schools("")
	if len(all.Items) != 3 || all.NextCursor != "" {
		t.Fatalf("all schools: %+v", all)
	}
	for _, s := range all.Items {
		if s.ID == e.schoolB1.ID && (s.CountyID != e.countyB.ID || s.CountyName != e.countyB.Name || s.Name != e.schoolB1.Name || s.Location != models.LocationUrban) {
			t.Fatalf("B1 as picked: %+v", s)
		}
	}
	inA := schools("?county_id=" + e.countyA.ID)
	if len(inA.Items) != 2 || inA.Items[0].CountyName != e.countyA.Name || inA.Items[1].CountyID != e.countyA.ID {
		t.Fatalf("county A's schools: %+v", inA)
	}
	named := schools("?q=" + url.QueryEscape("二小"))
	if len(named.Items) != 1 || named.Items[0].ID != e.schoolA2.ID {
		t.Fatalf("schools named 二小: %+v", named)
	}
	if none := schools("?q=" + url.QueryEscape("a.*")); len(none.Items) != 0 { // the search is literal, not a pattern
		t.Fatalf("q=a.* matched %+v", none)
	}
	page1 := schools("?limit=2")
	page2 := schools("?limit=2&cursor=" + page1.NextCursor)
	if len(page1.Items) != 2 || page1.NextCursor == "" || len(page2.Items) != 1 || page2.NextCursor != "" || page2.Items[0].ID == page1.Items[1].ID {
		t.Fatalf("pages: %+v then %+v", page1, page2)
	}
	e.expect(e.req(http.MethodGet, "/api/v1/mp/schools?q="+url.QueryEscape("\xff"), walker, nil), http.StatusUnprocessableEntity, "validation_failed")
}

// TestShiftsBeforeProfile: a member browses open shifts before creating a volunteer profile
// (every shift says a profile comes first); applying without one is a clear 409; with a
// profile the list is the volunteer's county and the refusals are the shift's own.
func TestShiftsBeforeProfile(t *testing.T) {
	e := newEnv(t)
	p := e.careProgramme(e.schA1, "", 10, 10)
	day7, _ := models.ParseDay(e.now.AddDate(0, 0, 7).In(models.Shanghai).Format("2006-01-02"))
	sh := e.shift(e.schA1, p.ID, day7.Add(9*time.Hour), 3, 2)
	newcomer := e.parent("newcomer")

	shifts := func(token, query string) listBody[mpShift] {
		t.Helper()
		r := e.req(http.MethodGet, "/api/v1/mp/shifts"+query, token, nil)
		e.expect(r, http.StatusOK, "")
		var b listBody[mpShift]
		r.json(t, &b)
		return b
	}
	open := shifts(newcomer, "")
	if len(open.Items) != 1 || open.Items[0].ID != sh.ID || open.Items[0].Refusal != msgNoVolunteerProfile || open.Items[0].Application != "" {
		t.Fatalf("shifts before a profile: %+v", open)
	}
	if b := shifts(newcomer, "?county_id="+e.countyB.ID); len(b.Items) != 0 {
		t.Fatalf("county B has no shifts, got %+v", b.Items)
	}
	if a := shifts(newcomer, "?county_id="+e.countyA.ID); len(a.Items) != 1 {
		t.Fatalf("county A's shifts: %+v", a.Items)
	}
	code, _, r := e.applyFor(newcomer, sh.ID)
	if code != http.StatusConflict || r.errorCode() != "no_volunteer_profile" {
		t.Fatalf("apply without a profile: %d %s", code, r.Body)
	}

	token, _ := e.volunteer("newcomer", models.VolunteerStudent, "", "13900004444")
	mine := shifts(token, "")
	if len(mine.Items) != 1 || mine.Items[0].Refusal != "" {
		t.Fatalf("shifts with a profile: %+v", mine)
	}
	if code, a, r := e.applyFor(token, sh.ID); code != http.StatusCreated || a.Status != models.ApplicationPending {
		t.Fatalf("apply with a profile: %d %s", code, r.Body)
	}
	if b := shifts(token, "?county_id="+e.countyB.ID); len(b.Items) != 0 {
		t.Fatalf("county B for a county A volunteer: %+v", b.Items)
	}
}
