package server

import (
	"bytes"
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"kehou/models"
	"kehou/store"
)

// volunteer signs a member in and saves a profile; creds are "kind:YYYY-MM-DD".
func (e *env) volunteer(name, typ, schoolID, phone string, creds ...string) (string, models.Volunteer) {
	e.t.Helper()
	token := e.parent(name)
	var cs []map[string]any
	for i, c := range creds {
		kind, exp, _ := strings.Cut(c, ":")
		cs = append(cs, map[string]any{"kind": kind, "number": "NO" + strconv.Itoa(i), "expires": exp})
	}
	r := e.req(http.MethodPut, "/api/v1/mp/volunteer", token, map[string]any{"name": name, "phone": phone, "type": typ,
		"organisation": "某单位", "school_id": schoolID, "county_id": e.countyA.ID, "skills": []string{"书法"}, "credentials": cs})
	e.expect(r, http.StatusOK, "")
	var v models.Volunteer
	r.json(e.t, &v)
	return token, v
}

func (e *env) shift(token, programmeID string, start time.Time, hours int, needed int, creds ...string) models.Shift {
	e.t.Helper()
	r := e.req(http.MethodPost, "/api/v1/admin/programmes/"+programmeID+"/shifts", token, map[string]any{"role": "作业辅导",
		"starts_at": start, "ends_at": start.Add(time.Duration(hours) * time.Hour), "needed": needed, "credentials": creds})
	e.expect(r, http.StatusCreated, "")
	var sh models.Shift
	r.json(e.t, &sh)
	return sh
}

func (e *env) applyFor(token, shiftID string) (int, myApplication, resp) {
	e.t.Helper()
	r := e.req(http.MethodPost, "/api/v1/mp/shifts/"+shiftID+"/applications", token, nil)
	var a myApplication
	if r.Code < 300 {
		r.json(e.t, &a)
	}
	return r.Code, a, r
}

func (e *env) xlsxRows(r resp, sheet string) [][]string {
	e.t.Helper()
	e.expect(r, http.StatusOK, "")
	x, err := excelize.OpenReader(bytes.NewReader(r.Body))
	if err != nil {
		e.t.Fatal(err)
	}
	defer x.Close()
	rows, err := x.GetRows(sheet)
	if err != nil {
		e.t.Fatalf("sheet %s: %v (have %v)", sheet, err, x.GetSheetList())
	}
	return rows
}

// relogin gives the staff fixtures fresh sessions after the clock moved on (they last an hour),
// and returns one for school B1.
func (e *env) relogin() string {
	e.t.Helper()
	suffix := "-" + strconv.FormatInt(e.now.Unix(), 10)
	e.city, _ = e.staffSession("city"+suffix, models.Scope{Role: models.RoleCity})
	e.cntyA, _ = e.staffSession("county-a"+suffix, models.Scope{Role: models.RoleCounty, CountyID: e.countyA.ID})
	e.schA1, _ = e.staffSession("school-a1"+suffix, models.Scope{Role: models.RoleSchool, CountyID: e.countyA.ID, SchoolID: e.schoolA1.ID})
	b1, _ := e.staffSession("school-b1"+suffix, scopeB1(e))
	return b1
}

// TestVolunteerShiftsAndHours follows the volunteer side from profile to certificate: credential
// checks, overlap refusal, approval up to the number needed, deadlines, attendance by code and
// on behalf, a correction, and the hour reports and exports.
func TestVolunteerShiftsAndHours(t *testing.T) {
	e := newEnv(t)
	p := e.careProgramme(e.schA1, "", 10, 10)
	day7, _ := models.ParseDay(e.now.AddDate(0, 0, 7).In(models.Shanghai).Format("2006-01-02"))
	day7 = day7.Add(0) // 00:00 Shanghai on the programme's first day

	// Profiles: a bad one is refused by field; the phone is answered masked and never in clear.
	tok := e.parent("nobody")
	r := e.req(http.MethodPut, "/api/v1/mp/volunteer", tok, map[string]any{"name": "", "phone": "12345", "type": "teacher", "organisation": "x", "county_id": "nope"})
	if f := r.envelope(t).Fields; f["name"] == "" || f["phone"] == "" || f["school_id"] == "" || f["county_id"] == "" {
		t.Fatalf("bad profile: %s", r.Body)
	}
	e.expect(e.req(http.MethodGet, "/api/v1/mp/volunteer", tok, nil), http.StatusNotFound, "no_volunteer_profile")
	healthy := "health_certificate:" + day7.AddDate(0, 0, 3).In(models.Shanghai).Format("2006-01-02") // valid through day 10
	student, sv := e.volunteer("小李", models.VolunteerStudent, "", "13900001111", healthy)
	teacher, tv := e.volunteer("王老师", models.VolunteerTeacher, e.schoolA1.ID, "13900002222", "teacher_qualification:2030-12-31")
	pro, pv := e.volunteer("张医生", models.VolunteerProfessional, "", "13900003333", "health_certificate:2030-12-31")
	if sv.PhoneMasked != "139****1111" || strings.Contains(string(e.req(http.MethodGet, "/api/v1/mp/volunteer", student, nil).Body), "13900001111") {
		t.Fatalf("phone not masked: %+v", sv)
	}
	if sv.Credentials[0].Status != models.CredentialPending {
		t.Fatalf("credential starts verified: %+v", sv.Credentials)
	}

	morning := e.shift(e.schA1, p.ID, day7.Add(8*time.Hour+30*time.Minute), 3, 1, "health_certificate") // 08:30–11:30
	late := e.shift(e.schA1, p.ID, day7.Add(10*time.Hour), 2, 2)                                        // 10:00–12:00, overlaps
	later := e.shift(e.schA1, p.ID, day7.Add(5*24*time.Hour+9*time.Hour), 3, 1, "health_certificate")   // day 12

	// An unverified credential does not count; the city verifies it (a school sees no volunteer
	// who has not applied to it).
	if code, _, r := e.applyFor(student, morning.ID); code != http.StatusUnprocessableEntity || r.errorCode() != "not_eligible" {
		t.Fatalf("unverified: %d %s", code, r.Body)
	}
	verify := func(token string, v models.Volunteer, ok bool) resp {
		return e.req(http.MethodPost, "/api/v1/admin/volunteers/"+v.ID+"/credentials/"+v.Credentials[0].ID+"/verify", token,
			map[string]any{"approved": ok, "note": "证件模糊"})
	}
	e.expect(verify(e.schA1, sv, true), http.StatusNotFound, "not_found")
	e.expect(verify(e.city, sv, true), http.StatusOK, "")
	e.expect(verify(e.city, pv, true), http.StatusOK, "")
	e.expect(verify(e.city, tv, true), http.StatusOK, "")

	code, sa, _ := e.applyFor(student, morning.ID)
	if code != http.StatusCreated || sa.Status != models.ApplicationPending || sa.CheckinToken != "" {
		t.Fatalf("apply: %d %+v", code, sa)
	}
	if code, again, _ := e.applyFor(student, morning.ID); code != http.StatusOK || again.ID != sa.ID {
		t.Fatalf("apply again: %d %+v", code, again)
	}
	if code, _, r := e.applyFor(student, late.ID); code != http.StatusConflict || r.errorCode() != "shift_overlap" {
		t.Fatalf("overlap: %d %s", code, r.Body)
	}
	if code, _, r := e.applyFor(student, later.ID); code != http.StatusUnprocessableEntity || r.errorCode() != "not_eligible" {
		t.Fatalf("credential expiring before the shift: %d %s", code, r.Body)
	}
	_, ta, _ := e.applyFor(teacher, late.ID)
	_, pa, _ := e.applyFor(pro, morning.ID)
	var shifts listBody[mpShift]
	e.req(http.MethodGet, "/api/v1/mp/shifts", student, nil).json(t, &shifts)
	if len(shifts.Items) != 3 || shifts.Items[0].Application != sa.ID || shifts.Items[2].Refusal == "" {
		t.Fatalf("student's shifts: %+v", shifts.Items)
	}

	// Approval: the morning needs one; the second is refused as full. Another school cannot act.
	b1, _ := e.staffSession("school-b1", scopeB1(e))
	e.expect(e.req(http.MethodPost, "/api/v1/admin/applications/"+sa.ID+"/approve", b1, nil), http.StatusNotFound, "not_found")
	e.expect(e.req(http.MethodPost, "/api/v1/admin/applications/"+sa.ID+"/approve", e.schA1, nil), http.StatusOK, "")
	e.expect(e.req(http.MethodPost, "/api/v1/admin/applications/"+pa.ID+"/approve", e.schA1, nil), http.StatusConflict, "shift_full")
	e.expect(e.req(http.MethodPost, "/api/v1/admin/applications/"+ta.ID+"/approve", e.schA1, nil), http.StatusOK, "")
	e.expect(e.req(http.MethodPost, "/api/v1/admin/applications/"+pa.ID+"/reject", e.schA1, map[string]any{"reason": ""}), http.StatusUnprocessableEntity, "validation_failed")
	e.expect(e.req(http.MethodPost, "/api/v1/admin/applications/"+pa.ID+"/reject", e.schA1, map[string]any{"reason": "本班次已招满"}), http.StatusOK, "")
	ns, _, _ := e.st.Notices(context.Background(), models.Scope{Role: models.RoleCity}, store.Page{Limit: 200})
	rejected := false
	for _, n := range ns {
		rejected = rejected || (n.Audience.Kind == models.AudienceMembers && len(n.Audience.MemberIDs) == 1 && n.Audience.MemberIDs[0] == pv.ID &&
			strings.Contains(n.Body, "本班次已招满"))
	}
	if !rejected {
		t.Fatal("the rejected volunteer was not told why")
	}
	var school listBody[models.Volunteer]
	e.req(http.MethodGet, "/api/v1/admin/volunteers", e.schA1, nil).json(t, &school)
	if len(school.Items) != 3 || strings.Contains(string(e.req(http.MethodGet, "/api/v1/admin/volunteers", e.schA1, nil).Body), "13900") {
		t.Fatalf("school's volunteers: %+v", school.Items)
	}

	// Withdrawing closes at the deadline (a day before the shift).
	e.now = late.Deadline.Add(time.Minute)
	e.expect(e.req(http.MethodPost, "/api/v1/mp/applications/"+ta.ID+"/withdraw", teacher, nil), http.StatusConflict, "cancel_closed")

	// Attendance by code: the approved student's code, at the school, once in and once out.
	var mine listBody[myApplication]
	e.req(http.MethodGet, "/api/v1/mp/applications", student, nil).json(t, &mine)
	code1 := mine.Items[0].CheckinToken
	if mine.Items[0].Status != models.ApplicationApproved || code1 == "" {
		t.Fatalf("approved application: %+v", mine.Items)
	}
	e.now = morning.StartsAt.Add(-10 * time.Minute)
	b1 = e.relogin()
	scan := func(token, code, action string) resp {
		return e.req(http.MethodPost, "/api/v1/admin/attendance", token, map[string]any{"token": code, "action": action})
	}
	e.expect(scan(b1, code1, "check_in"), http.StatusUnprocessableEntity, "checkin_other_school")
	e.expect(scan(e.schA1, strings.Replace(code1, sa.ID, ta.ID, 1), "check_in"), http.StatusUnprocessableEntity, "checkin_invalid")
	e.expect(scan(e.schA1, "s1"+code1[2:]+"x", "check_in"), http.StatusUnprocessableEntity, "checkin_invalid")
	e.expect(scan(e.schA1, code1, "leave"), http.StatusUnprocessableEntity, "validation_failed")
	e.expect(e.req(http.MethodPost, "/api/v1/admin/checkins", e.schA1, map[string]any{"token": code1}), http.StatusUnprocessableEntity, "checkin_invalid")
	e.expect(scan(e.schA1, code1, "check_out"), http.StatusConflict, "not_checked_in")
	e.expect(scan(e.schA1, code1, "check_in"), http.StatusOK, "")
	e.expect(scan(e.schA1, code1, "check_in"), http.StatusConflict, "already_checked_in")
	e.now = morning.EndsAt.Add(15 * time.Minute) // stays late: only the shift counts
	b1 = e.relogin()
	r = scan(e.schA1, code1, "check_out")
	e.expect(r, http.StatusOK, "")
	var out myApplication
	r.json(t, &out)
	if out.Minutes != 180 || out.Hours != "3" {
		t.Fatalf("hours for the morning: %+v", out)
	}
	e.expect(scan(e.schA1, code1, "check_out"), http.StatusConflict, "already_checked_out")

	// The teacher forgot the phone: staff record 10:10–11:40 on their behalf (90 minutes), then
	// correct it to 120 with a reason, which is kept and audited.
	att := "/api/v1/admin/applications/" + ta.ID + "/attendance"
	e.expect(e.req(http.MethodPost, att, e.schA1, map[string]any{"action": "check_in", "at": late.StartsAt.Add(10 * time.Minute)}), http.StatusOK, "")
	e.expect(e.req(http.MethodPost, att, e.schA1, map[string]any{"action": "check_out", "at": late.StartsAt.Add(100 * time.Minute)}), http.StatusOK, "")
	hoursURL := "/api/v1/admin/applications/" + ta.ID + "/hours"
	e.expect(e.req(http.MethodPost, hoursURL, e.schA1, map[string]any{"minutes": 120}), http.StatusUnprocessableEntity, "validation_failed")
	r = e.req(http.MethodPost, hoursURL, e.schA1, map[string]any{"minutes": 120, "reason": "提前到岗"})
	e.expect(r, http.StatusOK, "")
	var fixed correctedApplication // the answer says the hours now credited (it said hours: null)
	r.json(t, &fixed)
	if fixed.Minutes != 120 || fixed.Hours != "2" || !strings.Contains(string(r.Body), `"hours":"2"`) || len(fixed.Corrections) != 1 || fixed.Corrections[0].From != 90 || fixed.Corrections[0].Reason != "提前到岗" {
		t.Fatalf("correction: %+v", fixed)
	}
	audit, _, _ := e.st.Audit(context.Background(), models.Scope{Role: models.RoleCity}, store.Page{Limit: 200})
	audited := false
	for _, a := range audit {
		audited = audited || (a.Action == "shift.hours.correct" && a.Target == ta.ID && strings.Contains(a.Detail, "1.5→2h"))
	}
	if !audited {
		t.Fatal("the correction is not in the audit log")
	}

	// Reports: by volunteer and by school; the teacher's yearly export; the certificate.
	var rep struct {
		Items []store.HoursRow `json:"items"`
	}
	e.req(http.MethodGet, "/api/v1/admin/volunteer-hours?year=2026", e.cntyA, nil).json(t, &rep)
	if len(rep.Items) != 2 || rep.Items[0].Name != "小李" || rep.Items[0].Hours != "3" || rep.Items[1].Hours != "2" {
		t.Fatalf("hours by volunteer: %+v", rep.Items)
	}
	e.req(http.MethodGet, "/api/v1/admin/volunteer-hours?year=2026&by=school", e.city, nil).json(t, &rep)
	if len(rep.Items) != 1 || rep.Items[0].Name != e.schoolA1.Name || rep.Items[0].Minutes != 300 {
		t.Fatalf("hours by school: %+v", rep.Items)
	}
	e.req(http.MethodGet, "/api/v1/admin/volunteer-hours?year=2026", b1, nil).json(t, &rep)
	if len(rep.Items) != 0 {
		t.Fatalf("another school's view: %+v", rep.Items)
	}
	rows := e.xlsxRows(e.req(http.MethodGet, "/api/v1/admin/schools/"+e.schoolA1.ID+"/teacher-hours?year=2026", e.schA1, nil), "2026年教师志愿服务")
	if len(rows) != 2 || rows[1][1] != "王老师" || rows[1][2] != "139****2222" || rows[1][4] != "1" || rows[1][5] != "2" {
		t.Fatalf("teacher export: %v", rows)
	}
	e.expect(e.req(http.MethodGet, "/api/v1/admin/schools/"+e.schoolA1.ID+"/teacher-hours", b1, nil), http.StatusNotFound, "not_found")
	cert := e.xlsxRows(e.req(http.MethodGet, "/api/v1/mp/volunteer/certificate?year=2026", student, nil), "志愿服务证明")
	if len(cert) < 4 || cert[1][1] != e.schoolA1.Name || cert[1][5] != "3" || cert[2][0] != "合计" || !strings.Contains(cert[4][0], "累计服务3小时") {
		t.Fatalf("certificate: %v", cert)
	}
	var mh myHours
	r = e.req(http.MethodGet, "/api/v1/mp/volunteer/hours?year=2026", teacher, nil)
	r.json(t, &mh)
	if mh.Minutes != 120 || len(mh.Items) != 1 {
		t.Fatalf("teacher's own hours: %+v", mh)
	}
	var raw map[string]any
	r.json(t, &raw)
	if _, old := raw["shifts"]; old || raw["items"] == nil {
		t.Fatalf("hours are a list of items: %s", r.Body)
	}
}

// TestShiftCancellationAndAlerts: cancelling a shift ends its applications and tells them.
func TestShiftCancellationTellsVolunteers(t *testing.T) {
	e := newEnv(t)
	p := e.careProgramme(e.schA1, "", 10, 10)
	day7, _ := models.ParseDay(e.now.AddDate(0, 0, 7).In(models.Shanghai).Format("2006-01-02"))
	sh := e.shift(e.schA1, p.ID, day7.Add(9*time.Hour), 2, 2)
	tok, v := e.volunteer("小陈", models.VolunteerStudent, "", "13900004444")
	_, a, _ := e.applyFor(tok, sh.ID)
	e.expect(e.req(http.MethodPost, "/api/v1/admin/shifts/"+sh.ID+"/cancel", e.schA1, map[string]any{"reason": "天气原因"}), http.StatusOK, "")
	got, _ := e.st.Application(context.Background(), a.ID)
	if got.Status != models.ApplicationRejected || !strings.Contains(got.Reason, "天气原因") {
		t.Fatalf("application after cancellation: %+v", got)
	}
	ns, _, _ := e.st.Notices(context.Background(), models.Scope{Role: models.RoleCity}, store.Page{Limit: 200})
	last := ns[0] // newest first
	if last.Audience.Kind != models.AudienceMembers || last.Audience.MemberIDs[0] != v.ID || !last.Urgent {
		t.Fatalf("cancellation notice: %+v", last)
	}
	if code, _, r := e.applyFor(tok, sh.ID); code != http.StatusNotFound {
		t.Fatalf("apply to a cancelled shift: %d %s", code, r.Body)
	}
	// Its time is free again.
	other := e.shift(e.schA1, p.ID, day7.Add(9*time.Hour), 2, 1)
	if code, _, r := e.applyFor(tok, other.ID); code != http.StatusCreated {
		t.Fatalf("apply to another shift at the same time: %d %s", code, r.Body)
	}
}
