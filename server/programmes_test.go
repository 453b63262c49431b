package server

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"kehou/models"
	"kehou/store"
)

// careProgramme creates and publishes a two-week programme of a school: week 1 for grades 1–3
// with cap1 places, week 2 for every grade with cap2.
func (e *env) careProgramme(token, schoolID string, cap1, cap2 int) programmeDetail {
	e.t.Helper()
	day := func(d int) string { return e.now.AddDate(0, 0, d).In(models.Shanghai).Format("2006-01-02") }
	body := map[string]any{"title": "暑期托管", "daily_start": "08:30", "daily_end": "17:00", "fee_note": "免费",
		"offerings": []string{"homework", "sports", "reading"}, "enrol_closes": e.now.Add(48 * time.Hour), "cancel_deadline": e.now.Add(60 * time.Hour),
		"periods": []map[string]any{
			{"label": "第一周", "start_date": day(7), "end_date": day(11), "capacity": cap1, "grades": []int{1, 2, 3}},
			{"label": "第二周", "start_date": day(14), "end_date": day(18), "capacity": cap2}}}
	if schoolID != "" {
		body["school_id"] = schoolID
	}
	r := e.req(http.MethodPost, "/api/v1/admin/programmes", token, body)
	e.expect(r, http.StatusCreated, "")
	var p programmeDetail
	r.json(e.t, &p)
	e.expect(e.req(http.MethodPost, "/api/v1/admin/programmes/"+p.ID+"/publish", token, map[string]any{"channels": []string{"wxsubscribe"}}), http.StatusOK, "")
	e.req(http.MethodGet, "/api/v1/admin/programmes/"+p.ID, token, nil).json(e.t, &p)
	if p.NoticeID == "" { // the announcement is recorded on the programme, as on an event
		e.t.Fatalf("published with a notice, but the programme records none: %+v", p.Programme)
	}
	return p
}

func (e *env) enrol(f family, programmeID, periodID string) (int, myEnrolment, resp) {
	e.t.Helper()
	r := e.req(http.MethodPost, "/api/v1/mp/programmes/"+programmeID+"/enrolments", f.token, map[string]any{"child_id": f.childID, "period_id": periodID})
	var en myEnrolment
	if r.Code < 300 {
		r.json(e.t, &en)
	}
	return r.Code, en, r
}

// TestSummerCareEnrolment: families enrol in periods with places, wait when full, are promoted
// when a place frees up (and told), grades are respected, and the roster exports.
func TestSummerCareEnrolment(t *testing.T) {
	e := newEnv(t)
	fams := e.families(e.schoolA1, "A1", 3, 4)
	older := e.families(e.schoolA1, "G5", 5, 1)[0]
	p := e.careProgramme(e.schA1, "", 2, 10)
	week1, week2 := p.Periods[0].ID, p.Periods[1].ID

	// The announcement went to the grades the periods admit: here every grade (week 2 admits all).
	ns, _, _ := e.st.Notices(context.Background(), models.Scope{Role: models.RoleCity}, store.Page{Limit: 200})
	if len(ns) != 1 || ns[0].Kind != models.NoticeSummerCare || ns[0].Audience.Kind != models.AudienceSchools {
		t.Fatalf("announcement: %+v", ns)
	}

	var list listBody[mpProgramme]
	e.req(http.MethodGet, "/api/v1/mp/programmes", older.token, nil).json(t, &list)
	if len(list.Items) != 1 || len(list.Items[0].Periods[0].Children) != 0 || len(list.Items[0].Periods[1].Children) != 1 {
		t.Fatalf("a grade-5 family's view: %+v", list.Items)
	}
	// Week 1 is for grades 1–3.
	if code, _, r := e.enrol(older, p.ID, week1); code != http.StatusUnprocessableEntity || r.envelope(t).Fields["child_id"] == "" {
		t.Fatalf("grade 5 in week 1: %d %s", code, r.Body)
	}
	// Two places: two confirmed, the next two wait.
	var got []myEnrolment
	for _, f := range fams {
		code, en, r := e.enrol(f, p.ID, week1)
		if code != http.StatusCreated {
			t.Fatalf("enrol: %d %s", code, r.Body)
		}
		got = append(got, en)
	}
	if got[0].Status != models.SignUpConfirmed || got[1].Status != models.SignUpConfirmed || got[2].Status != models.SignUpWaiting || got[3].Status != models.SignUpWaiting {
		t.Fatalf("statuses: %s %s %s %s", got[0].Status, got[1].Status, got[2].Status, got[3].Status)
	}
	// The same child in the same period gets the same enrolment; another period is a new one.
	if code, again, _ := e.enrol(fams[0], p.ID, week1); code != http.StatusOK || again.ID != got[0].ID {
		t.Fatalf("again: %d %+v", code, again)
	}
	if code, w2, _ := e.enrol(fams[0], p.ID, week2); code != http.StatusCreated || w2.Status != models.SignUpConfirmed {
		t.Fatalf("week 2: %d %+v", code, w2)
	}
	// A cancellation promotes the first waiting family, who is told.
	e.expect(e.req(http.MethodPost, "/api/v1/mp/enrolments/"+got[1].ID+"/cancel", fams[1].token, nil), http.StatusOK, "")
	var mine listBody[myEnrolment]
	e.req(http.MethodGet, "/api/v1/mp/enrolments", fams[2].token, nil).json(t, &mine)
	if len(mine.Items) != 1 || mine.Items[0].Status != models.SignUpConfirmed || mine.Items[0].PeriodLabel != "第一周" {
		t.Fatalf("promoted family: %+v", mine.Items)
	}
	ns, _, _ = e.st.Notices(context.Background(), models.Scope{Role: models.RoleCity}, store.Page{Limit: 200})
	if last := ns[0]; !strings.HasPrefix(last.Title, "候补成功") || last.Audience.ChildIDs[0] != fams[2].childID {
		t.Fatalf("promotion notice: %+v", last)
	}
	// Open-day lists do not show enrolments, and an enrolment cannot be cancelled as a sign-up.
	var sus listBody[mySignUp]
	e.req(http.MethodGet, "/api/v1/mp/signups", fams[0].token, nil).json(t, &sus)
	if len(sus.Items) != 0 {
		t.Fatalf("enrolments among open-day sign-ups: %+v", sus.Items)
	}
	e.expect(e.req(http.MethodPost, "/api/v1/mp/signups/"+got[0].ID+"/cancel", fams[0].token, nil), http.StatusNotFound, "not_found")

	// Staff: counts, capacity (not below confirmed), roster and export.
	var d programmeDetail
	e.req(http.MethodGet, "/api/v1/admin/programmes/"+p.ID, e.schA1, nil).json(t, &d)
	if c := d.Counts[week1]; c.Confirmed != 2 || c.Waiting != 1 || c.Cancelled != 1 || c.Capacity != 2 {
		t.Fatalf("week 1 counts: %+v", c)
	}
	capURL := "/api/v1/admin/programmes/" + p.ID + "/periods/" + week1 + "/capacity"
	e.expect(e.req(http.MethodPost, capURL, e.schA1, map[string]any{"capacity": 1}), http.StatusConflict, "capacity_below_confirmed")
	e.expect(e.req(http.MethodPost, capURL, e.schA1, map[string]any{"capacity": 3}), http.StatusOK, "")
	var roster listBody[models.SignUp]
	e.req(http.MethodGet, "/api/v1/admin/programmes/"+p.ID+"/enrolments?period="+week1+"&status=confirmed", e.schA1, nil).json(t, &roster)
	if len(roster.Items) != 3 || !strings.Contains(roster.Items[0].ChildName, "*") {
		t.Fatalf("roster after raising capacity: %+v", roster.Items)
	}
	r := e.req(http.MethodGet, "/api/v1/admin/programmes/"+p.ID+"/export", e.schA1, nil)
	e.expect(r, http.StatusOK, "")
	x, err := excelize.OpenReader(bytes.NewReader(r.Body))
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	summary, _ := x.GetRows("汇总")
	rows, _ := x.GetRows("第一周")
	if len(summary) != 3 || summary[1][0] != "第一周" || summary[1][3] != "3" || summary[1][4] != "3" || len(rows) != 5 {
		t.Fatalf("export: %v / %v", summary, rows)
	}

	// Scope: another school sees none of it; a county admin may create for its own schools only.
	b1, _ := e.staffSession("school-b1", scopeB1(e))
	for _, path := range []string{"", "/enrolments?period=" + week1, "/export"} {
		e.expect(e.req(http.MethodGet, "/api/v1/admin/programmes/"+p.ID+path, b1, nil), http.StatusNotFound, "not_found")
	}
	r = e.req(http.MethodPost, "/api/v1/admin/programmes", e.cntyA, map[string]any{"school_id": e.schoolB1.ID, "title": "x"})
	if r.Code != http.StatusUnprocessableEntity {
		t.Fatalf("county A for a school of county B: %d %s", r.Code, r.Body)
	}
	// After the deadline nobody cancels; cancelling the programme tells every family.
	e.now = e.now.Add(61 * time.Hour)
	e.schA1, _ = e.staffSession("school-a1-later", models.Scope{Role: models.RoleSchool, CountyID: e.countyA.ID, SchoolID: e.schoolA1.ID})
	e.expect(e.req(http.MethodPost, "/api/v1/mp/enrolments/"+got[0].ID+"/cancel", fams[0].token, nil), http.StatusConflict, "cancel_closed")
	e.expect(e.req(http.MethodPost, "/api/v1/admin/programmes/"+p.ID+"/cancel", e.schA1, nil), http.StatusOK, "")
	ns, _, _ = e.st.Notices(context.Background(), models.Scope{Role: models.RoleCity}, store.Page{Limit: 200})
	told := map[string]bool{}
	for _, n := range ns {
		if strings.Contains(n.Title, "已取消") {
			for _, c := range n.Audience.ChildIDs {
				told[c] = true
			}
		}
	}
	if len(told) != 3 || !told[fams[3].childID] || !told[fams[0].childID] || told[fams[1].childID] { // 1 had cancelled
		t.Fatalf("told of the cancellation: %v", told)
	}
}

// TestProgrammeValidationErrors: a bad programme is refused field by field, nothing stored.
func TestProgrammeValidationErrors(t *testing.T) {
	e := newEnv(t)
	r := e.req(http.MethodPost, "/api/v1/admin/programmes", e.schA1, map[string]any{"title": "", "daily_start": "8点", "daily_end": "17:00",
		"offerings": []string{"gaming"}, "enrol_closes": e.now.Add(time.Hour),
		"periods": []map[string]any{{"label": "一期", "start_date": "7月6日", "end_date": "2026-07-10", "capacity": 0}}})
	fields := r.envelope(t).Fields
	for _, f := range []string{"title", "daily_start", "offerings", "periods[0].start_date", "periods[0].capacity"} {
		if fields[f] == "" {
			t.Errorf("no error on %s: %v", f, fields)
		}
	}
	e.expect(e.req(http.MethodPost, "/api/v1/admin/programmes", e.schA1, `{"title":"x","unknown":1}`), http.StatusBadRequest, "")
	var list listBody[models.Programme]
	e.req(http.MethodGet, "/api/v1/admin/programmes", e.schA1, nil).json(t, &list)
	if len(list.Items) != 0 {
		t.Fatalf("stored: %+v", list.Items)
	}
}
