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
	"go.mongodb.org/mongo-driver/v2/bson"

	"kehou/models"
	"kehou/store"
)

func (e *env) openDay(token string, caps ...int) eventDetail {
	e.t.Helper()
	var sessions []map[string]any
	for i, c := range caps {
		start := e.now.Add(time.Duration(72+i*3) * time.Hour)
		sessions = append(sessions, map[string]any{"label": []string{"上午场", "下午场", "晚场"}[i], "starts_at": start,
			"ends_at": start.Add(2 * time.Hour), "capacity": c, "max_companions": 1})
	}
	r := e.req(http.MethodPost, "/api/v1/admin/events", token, map[string]any{"title": "三年级家长开放日", "place": "学校礼堂",
		"audience": map[string]any{"kind": "grades", "grades": []int{3}}, "signup_closes": e.now.Add(48 * time.Hour),
		"cancel_deadline": e.now.Add(60 * time.Hour), "sessions": sessions})
	e.expect(r, http.StatusCreated, "")
	var ev eventDetail
	r.json(e.t, &ev)
	e.expect(e.req(http.MethodPost, "/api/v1/admin/events/"+ev.ID+"/publish", token, map[string]any{"channels": []string{"wxsubscribe"}}), http.StatusOK, "")
	e.req(http.MethodGet, "/api/v1/admin/events/"+ev.ID, token, nil).json(e.t, &ev)
	return ev
}

func (e *env) signUp(f family, eventID, sessionID string, companions int) (int, mySignUp, resp) {
	e.t.Helper()
	r := e.req(http.MethodPost, "/api/v1/mp/events/"+eventID+"/signups", f.token,
		map[string]any{"child_id": f.childID, "session_id": sessionID, "companions": companions})
	var su mySignUp
	if r.Code < 300 {
		r.json(e.t, &su)
	}
	return r.Code, su, r
}

// TestOpenDayFlow: sign-ups fill a session, the next families wait, a cancellation promotes the
// first family that fits (and tells it), capacity changes, and the counts add up.
func TestOpenDayFlow(t *testing.T) {
	e := newEnv(t)
	fams := e.families(e.schoolA1, "A1", 3, 5)
	grade1 := e.families(e.schoolA1, "G1", 1, 1)[0]
	ev := e.openDay(e.schA1, 3, 1)
	morning, afternoon := ev.Sessions[0].ID, ev.Sessions[1].ID

	// A parent sees the event with places left.
	var list listBody[mpEvent]
	e.req(http.MethodGet, "/api/v1/mp/events", fams[0].token, nil).json(t, &list)
	if len(list.Items) != 1 || list.Items[0].Sessions[0].Free != 3 {
		t.Fatalf("parent's events: %+v", list.Items)
	}
	var none listBody[mpEvent]
	e.req(http.MethodGet, "/api/v1/mp/events", grade1.token, nil).json(t, &none)
	if len(none.Items) != 0 {
		t.Fatalf("a grade-1 parent sees %+v", none.Items)
	}
	e.expect(e.req(http.MethodPost, "/api/v1/mp/events/"+ev.ID+"/signups", grade1.token,
		map[string]any{"child_id": grade1.childID, "session_id": morning}), http.StatusNotFound, "not_found")

	// 0 with a companion (2 places), 1 alone (1 place): the morning is full.
	code, a, _ := e.signUp(fams[0], ev.ID, morning, 1)
	if code != http.StatusCreated || a.Status != models.SignUpConfirmed || a.Places != 2 || a.CheckinToken == "" {
		t.Fatalf("first: %d %+v", code, a)
	}
	_, b, _ := e.signUp(fams[1], ev.ID, morning, 0)
	_, c, _ := e.signUp(fams[2], ev.ID, morning, 1) // waits: 2 places
	_, d, _ := e.signUp(fams[3], ev.ID, morning, 0) // waits: 1 place
	if b.Status != models.SignUpConfirmed || c.Status != models.SignUpWaiting || d.Status != models.SignUpWaiting || c.CheckinToken != "" {
		t.Fatalf("b %s, c %s, d %s", b.Status, c.Status, d.Status)
	}
	// Staff see the waiting list in its order, on one page or across pages.
	signUpsURL := "/api/v1/admin/events/" + ev.ID + "/signups?status=waiting&session=" + morning
	for _, limit := range []int{50, 1} {
		var waiting []staffSignUp
		for cursor := "start"; cursor != ""; {
			var page listBody[staffSignUp]
			url := signUpsURL + "&limit=" + strconv.Itoa(limit)
			if cursor != "start" {
				url += "&cursor=" + cursor
			}
			e.req(http.MethodGet, url, e.schA1, nil).json(t, &page)
			waiting, cursor = append(waiting, page.Items...), page.NextCursor
		}
		if len(waiting) != 2 || waiting[0].ID != c.ID || waiting[0].WaitingPosition != 1 || waiting[1].WaitingPosition != 2 {
			t.Fatalf("waiting list by %d: %+v", limit, waiting)
		}
	}
	// The same child again gets its sign-up back; too many companions is refused.
	code, again, _ := e.signUp(fams[0], ev.ID, afternoon, 0)
	if code != http.StatusOK || again.ID != a.ID {
		t.Fatalf("repeat: %d %+v", code, again)
	}
	if code, _, r := e.signUp(fams[4], ev.ID, morning, 3); code != http.StatusUnprocessableEntity || r.envelope(t).Fields["companions"] == "" {
		t.Fatalf("companions: %d %s", code, r.Body)
	}

	// b cancels: 1 place frees; c (2 places) does not fit and keeps its turn, d (1) is promoted.
	e.expect(e.req(http.MethodPost, "/api/v1/mp/signups/"+b.ID+"/cancel", fams[1].token, nil), http.StatusOK, "")
	var mine listBody[mySignUp]
	e.req(http.MethodGet, "/api/v1/mp/signups", fams[3].token, nil).json(t, &mine)
	if len(mine.Items) != 1 || mine.Items[0].Status != models.SignUpConfirmed || mine.Items[0].CheckinToken == "" {
		t.Fatalf("d after the cancellation: %+v", mine.Items)
	}
	ns, _, _ := e.st.Notices(context.Background(), models.Scope{Role: models.RoleCity}, store.Page{Limit: 200})
	told := false
	for _, n := range ns {
		told = told || (strings.HasPrefix(n.Title, "候补成功") && len(n.Audience.ChildIDs) == 1 && n.Audience.ChildIDs[0] == fams[3].childID)
	}
	if !told {
		t.Fatal("the promoted family was not told")
	}
	// Another parent cannot cancel someone else's sign-up.
	e.expect(e.req(http.MethodPost, "/api/v1/mp/signups/"+c.ID+"/cancel", fams[4].token, nil), http.StatusNotFound, "not_found")

	// Capacity: not below what is held (3), raised to 5 promotes c.
	capURL := "/api/v1/admin/events/" + ev.ID + "/sessions/" + morning + "/capacity"
	e.expect(e.req(http.MethodPost, capURL, e.schA1, map[string]any{"capacity": 2}), http.StatusConflict, "capacity_below_confirmed")
	r := e.req(http.MethodPost, capURL, e.schA1, map[string]any{"capacity": 5})
	e.expect(r, http.StatusOK, "")
	var detail eventDetail
	r.json(t, &detail)
	m := detail.Counts[morning]
	if m.Capacity != 5 || m.PlacesHeld != 5 || m.Confirmed != 3 || m.Waiting != 0 || m.Cancelled != 1 || m.Companions != 2 {
		t.Fatalf("counts: %+v", m)
	}

	// After the deadline nobody cancels or signs up.
	e.now = e.now.Add(61 * time.Hour)
	e.schA1, _ = e.staffSession("school-a1-later", models.Scope{Role: models.RoleSchool, CountyID: e.countyA.ID, SchoolID: e.schoolA1.ID})
	e.expect(e.req(http.MethodPost, "/api/v1/mp/signups/"+a.ID+"/cancel", fams[0].token, nil), http.StatusConflict, "cancel_closed")
	if code, _, r := e.signUp(fams[4], ev.ID, afternoon, 0); code != http.StatusConflict || r.errorCode() != "signup_closed" {
		t.Fatalf("late sign-up: %d %s", code, r.Body)
	}

	// The export lists the sessions with masked names.
	r = e.req(http.MethodGet, "/api/v1/admin/events/"+ev.ID+"/export", e.schA1, nil)
	e.expect(r, http.StatusOK, "")
	f, err := excelize.OpenReader(bytes.NewReader(r.Body))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, _ := f.GetRows("上午场")
	if len(rows) != 5 || !strings.Contains(rows[1][1], "*") {
		t.Fatalf("morning sheet: %v", rows)
	}
	// Another school sees nothing of it.
	b1, _ := e.staffSession("school-b1", scopeB1(e))
	for _, path := range []string{"", "/signups", "/export"} {
		e.expect(e.req(http.MethodGet, "/api/v1/admin/events/"+ev.ID+path, b1, nil), http.StatusNotFound, "not_found")
	}
	e.expect(e.req(http.MethodPost, capURL, b1, map[string]any{"capacity": 9}), http.StatusNotFound, "not_found")
}

// TestCheckinCodes: a code checks in once, only for its own event and school, from two hours
// before its session starts until it ends; tampered and expired codes are refused.
func TestCheckinCodes(t *testing.T) {
	e := newEnv(t)
	fams := e.families(e.schoolA1, "A1", 3, 3)
	ev := e.openDay(e.schA1, 5)
	other := e.openDay(e.schA1, 5)
	_, a, _ := e.signUp(fams[0], ev.ID, ev.Sessions[0].ID, 0)
	_, w, _ := e.signUp(fams[1], other.ID, other.Sessions[0].ID, 0)
	_, late, _ := e.signUp(fams[2], ev.ID, ev.Sessions[0].ID, 0)
	post := func(token string, body map[string]any) resp {
		return e.req(http.MethodPost, "/api/v1/admin/checkins", token, body)
	}
	b1, _ := e.staffSession("school-b1", scopeB1(e))
	tampered := strings.Replace(a.CheckinToken, a.ID, w.ID, 1)
	cases := []struct {
		name, token string
		body        map[string]any
		status      int
		code        string
	}{
		{"other school", b1, map[string]any{"token": a.CheckinToken}, 422, "checkin_other_school"},
		{"other event", e.schA1, map[string]any{"token": a.CheckinToken, "event_id": other.ID}, 422, "checkin_other_event"},
		{"tampered", e.schA1, map[string]any{"token": tampered}, 422, "checkin_invalid"},
		{"garbage", e.schA1, map[string]any{"token": "hello"}, 422, "checkin_invalid"},
		{"missing", e.schA1, map[string]any{}, 422, "validation_failed"},
		{"three days early", e.schA1, map[string]any{"token": a.CheckinToken, "event_id": ev.ID}, 422, "checkin_too_early"},
	}
	for _, c := range cases {
		r := post(c.token, c.body)
		if r.Code != c.status || (c.code != "" && r.errorCode() != c.code) {
			t.Fatalf("%s: %d %s", c.name, r.Code, r.Body)
		}
	}
	// (cancelled while the deadline allows: checked below)
	e.expect(e.req(http.MethodPost, "/api/v1/mp/signups/"+w.ID+"/cancel", fams[1].token, nil), http.StatusOK, "")
	// Check-in opens two hours before the session starts: a minute earlier is refused, in words.
	start, end := ev.Sessions[0].StartsAt, ev.Sessions[0].EndsAt
	at := func(t time.Time) {
		e.now = t
		e.schA1, _ = e.staffSession("school-a1-"+t.Format("150405"), models.Scope{Role: models.RoleSchool, CountyID: e.countyA.ID, SchoolID: e.schoolA1.ID})
	}
	at(start.Add(-2*time.Hour - time.Minute))
	r := post(e.schA1, map[string]any{"token": a.CheckinToken, "event_id": ev.ID})
	if r.Code != 422 || r.errorCode() != "checkin_too_early" || !strings.Contains(r.envelope(t).Message, "开始前2小时起可签到") {
		t.Fatalf("too early: %d %s", r.Code, r.Body)
	}
	at(start.Add(-2 * time.Hour))
	e.expect(post(e.schA1, map[string]any{"token": a.CheckinToken, "event_id": ev.ID}), http.StatusOK, "")
	e.expect(post(e.schA1, map[string]any{"token": a.CheckinToken, "event_id": ev.ID}), http.StatusConflict, "already_checked_in")
	// Until it ends: at the end it is too late, though the code itself has not expired.
	at(end)
	r = post(e.schA1, map[string]any{"token": late.CheckinToken, "event_id": ev.ID})
	if r.Code != 422 || r.errorCode() != "checkin_session_over" || !strings.Contains(r.envelope(t).Message, "已结束") {
		t.Fatalf("after the end: %d %s", r.Code, r.Body)
	}
	at(end.Add(-time.Minute))
	e.expect(post(e.schA1, map[string]any{"token": late.CheckinToken, "event_id": ev.ID}), http.StatusOK, "")
	// A cancelled sign-up's code no longer works; an expired code is refused.
	e.expect(post(e.schA1, map[string]any{"token": w.CheckinToken}), http.StatusConflict, "checkin_not_confirmed")
	e.now = other.Sessions[0].EndsAt.Add(13 * time.Hour)
	e.schA1, _ = e.staffSession("school-a1-later", models.Scope{Role: models.RoleSchool, CountyID: e.countyA.ID, SchoolID: e.schoolA1.ID})
	e.expect(post(e.schA1, map[string]any{"token": w.CheckinToken}), http.StatusUnprocessableEntity, "checkin_expired")
	var detail eventDetail
	e.now = e.now.Add(-13 * time.Hour)
	e.req(http.MethodGet, "/api/v1/admin/events/"+ev.ID, e.schA1, nil).json(t, &detail)
	if c := detail.Counts[ev.Sessions[0].ID]; c.CheckedIn != 2 || c.Confirmed != 2 {
		t.Fatalf("counts after check-in: %+v", c)
	}
}

// TestCancelSessionTellsFamilies: a cancelled session closes, and its families get a notice.
func TestCancelSessionTellsFamilies(t *testing.T) {
	e := newEnv(t)
	fams := e.families(e.schoolA1, "A1", 3, 2)
	ev := e.openDay(e.schA1, 1)
	_, _, _ = e.signUp(fams[0], ev.ID, ev.Sessions[0].ID, 0)
	_, _, _ = e.signUp(fams[1], ev.ID, ev.Sessions[0].ID, 0)
	e.expect(e.req(http.MethodPost, "/api/v1/admin/events/"+ev.ID+"/sessions/"+ev.Sessions[0].ID+"/cancel", e.schA1, nil), http.StatusOK, "")
	ns, _, _ := e.st.Notices(context.Background(), models.Scope{Role: models.RoleCity}, store.Page{Limit: 200})
	last := ns[0] // newest first
	if !strings.Contains(last.Title, "已取消") || len(last.Audience.ChildIDs) != 2 {
		t.Fatalf("cancellation notice: %+v", last)
	}
	if code, _, r := e.signUp(e.families(e.schoolA1, "A1x", 3, 1)[0], ev.ID, ev.Sessions[0].ID, 0); code != http.StatusConflict {
		t.Fatalf("sign-up to a cancelled session: %d %s", code, r.Body)
	}
}

func TestEditEvent(t *testing.T) {
	e := newEnv(t)
	ev := e.openDay(e.schA1, 5)
	url := "/api/v1/admin/events/" + ev.ID
	r := e.req(http.MethodPatch, url, e.schA1, map[string]any{"place": "体育馆", "signup_closes": e.now.Add(30 * time.Hour)})
	e.expect(r, http.StatusOK, "")
	var got eventDetail
	r.json(t, &got)
	if got.Place != "体育馆" || !got.SignupCloses.Equal(e.now.Add(30*time.Hour)) || got.Title != ev.Title {
		t.Fatalf("edited: %+v", got.Event)
	}
	// A sign-up window closing after the sessions start is refused by field.
	r = e.req(http.MethodPatch, url, e.schA1, map[string]any{"signup_closes": e.now.Add(100 * time.Hour)})
	if r.Code != http.StatusUnprocessableEntity || r.envelope(t).Fields["sessions[0].starts_at"] == "" {
		t.Fatalf("late window: %d %s", r.Code, r.Body)
	}
	b1, _ := e.staffSession("school-b1", scopeB1(e))
	e.expect(e.req(http.MethodPatch, url, b1, map[string]any{"place": "x"}), http.StatusNotFound, "not_found")
	e.expect(e.req(http.MethodPost, url+"/cancel", e.schA1, nil), http.StatusOK, "")
	e.expect(e.req(http.MethodPatch, url, e.schA1, map[string]any{"place": "x"}), http.StatusConflict, "event_state")
}

// TestCheckinByShortCode: a confirmed family is shown a short code beside its QR token (a
// waiting one none, until promoted); staff check it in by typing the code with the event, once;
// a wrong code, a mistyped one and another event's are refused by field, another school's
// staff are refused, and an account that keeps missing is stopped. A sign-up stored before
// codes existed is given one when its family looks, and its token still works.
func TestCheckinByShortCode(t *testing.T) {
	e := newEnv(t)
	fams := e.families(e.schoolA1, "A1", 3, 4)
	ev := e.openDay(e.schA1, 1)
	other := e.openDay(e.schA1, 5)
	morning := ev.Sessions[0].ID
	_, a, _ := e.signUp(fams[0], ev.ID, morning, 0)
	_, w, _ := e.signUp(fams[1], ev.ID, morning, 0) // waits
	_, o, _ := e.signUp(fams[2], other.ID, other.Sessions[0].ID, 0)
	_, legacy, _ := e.signUp(fams[3], other.ID, other.Sessions[0].ID, 0)
	if _, ok := models.NormalizeCheckinCode(a.CheckinCode); !ok || a.CheckinToken == "" || w.Status != models.SignUpWaiting || w.CheckinCode != "" {
		t.Fatalf("codes on sign-up: a %q %q, waiting %s %q", a.CheckinCode, a.CheckinToken, w.Status, w.CheckinCode)
	}
	// The parent sees the same code in the list and on the event; staff lists do not carry it.
	var mine listBody[mySignUp]
	e.req(http.MethodGet, "/api/v1/mp/signups", fams[0].token, nil).json(t, &mine)
	var detail mpEventDetail
	e.req(http.MethodGet, "/api/v1/mp/events/"+ev.ID, fams[0].token, nil).json(t, &detail)
	if len(mine.Items) != 1 || mine.Items[0].CheckinCode != a.CheckinCode || len(detail.MySignUps) != 1 || detail.MySignUps[0].CheckinCode != a.CheckinCode {
		t.Fatalf("parent's views: %+v / %+v", mine.Items, detail.MySignUps)
	}
	if r := e.req(http.MethodGet, "/api/v1/admin/events/"+ev.ID+"/signups", e.schA1, nil); strings.Contains(string(r.Body), a.CheckinCode) {
		t.Fatalf("the staff list shows the code: %s", r.Body)
	}
	// A sign-up promoted from the waiting list has a code: raise the capacity.
	e.expect(e.req(http.MethodPost, "/api/v1/admin/events/"+ev.ID+"/sessions/"+morning+"/capacity", e.schA1, map[string]any{"capacity": 2}), http.StatusOK, "")
	e.req(http.MethodGet, "/api/v1/mp/signups", fams[1].token, nil).json(t, &mine)
	if len(mine.Items) != 1 || mine.Items[0].Status != models.SignUpConfirmed || mine.Items[0].CheckinCode == "" || mine.Items[0].CheckinCode == a.CheckinCode {
		t.Fatalf("promoted: %+v", mine.Items)
	}
	promoted := mine.Items[0]
	// A sign-up stored before codes existed: given one when its family looks.
	if _, err := e.db.Collection("signups").UpdateOne(context.Background(), bson.M{"_id": legacy.ID}, bson.M{"$unset": bson.M{"checkin_key": ""}}); err != nil {
		t.Fatal(err)
	}
	e.req(http.MethodGet, "/api/v1/mp/signups", fams[3].token, nil).json(t, &mine)
	if len(mine.Items) != 1 || mine.Items[0].CheckinCode == "" || mine.Items[0].CheckinCode == legacy.CheckinCode {
		t.Fatalf("legacy sign-up: %+v (was %q)", mine.Items, legacy.CheckinCode)
	}

	// On the day.
	e.now = ev.Sessions[0].StartsAt.Add(-time.Hour)
	e.schA1, _ = e.staffSession("school-a1-day", models.Scope{Role: models.RoleSchool, CountyID: e.countyA.ID, SchoolID: e.schoolA1.ID})
	b1, _ := e.staffSession("school-b1", scopeB1(e))
	post := func(token string, body map[string]any) resp {
		return e.req(http.MethodPost, "/api/v1/admin/checkins", token, body)
	}
	unknown := a.CheckinCode
	for unknown == a.CheckinCode || unknown == promoted.CheckinCode {
		unknown = models.NewCheckinCode()
	}
	typo := a.CheckinCode[:7] + string('0'+(a.CheckinCode[7]-'0'+1)%10)
	cases := []struct {
		name, token string
		body        map[string]any
		status      int
		code, field string
	}{
		{"unknown code", e.schA1, map[string]any{"code": unknown, "event_id": ev.ID}, 422, "checkin_invalid", "code"},
		{"mistyped", e.schA1, map[string]any{"code": typo, "event_id": ev.ID}, 422, "checkin_invalid", "code"},
		{"another event's code", e.schA1, map[string]any{"code": o.CheckinCode, "event_id": ev.ID}, 422, "checkin_invalid", "code"},
		{"no event", e.schA1, map[string]any{"code": a.CheckinCode}, 422, "validation_failed", "event_id"},
		{"both", e.schA1, map[string]any{"code": a.CheckinCode, "token": a.CheckinToken, "event_id": ev.ID}, 422, "validation_failed", "code"},
		{"other school", b1, map[string]any{"code": a.CheckinCode, "event_id": ev.ID}, 422, "checkin_other_school", ""},
	}
	for _, c := range cases {
		r := post(c.token, c.body)
		if r.Code != c.status || r.errorCode() != c.code || (c.field != "" && r.envelope(t).Fields[c.field] == "") {
			t.Fatalf("%s: %d %s", c.name, r.Code, r.Body)
		}
	}
	// Typed as read out, in two groups: checked in; again (by code or by its QR) 409.
	spaced := a.CheckinCode[:4] + " " + a.CheckinCode[4:]
	r := post(e.schA1, map[string]any{"code": spaced, "event_id": ev.ID})
	e.expect(r, http.StatusOK, "")
	var su models.SignUp
	r.json(t, &su)
	if su.ID != a.ID || su.CheckedInAt.IsZero() {
		t.Fatalf("checked in: %+v", su)
	}
	e.expect(post(e.schA1, map[string]any{"code": a.CheckinCode, "event_id": ev.ID}), http.StatusConflict, "already_checked_in")
	e.expect(post(e.schA1, map[string]any{"token": a.CheckinToken, "event_id": ev.ID}), http.StatusConflict, "already_checked_in")
	e.expect(post(e.schA1, map[string]any{"code": promoted.CheckinCode, "event_id": ev.ID}), http.StatusOK, "")
	// The legacy sign-up's QR token still checks it in (its session starts at the same time).
	e.expect(post(e.schA1, map[string]any{"token": legacy.CheckinToken, "event_id": other.ID}), http.StatusOK, "")

	// An account that keeps typing wrong codes is stopped, a right code included; others are not.
	for i := 3; i < models.MaxCheckinMisses; i++ { // three misses above
		e.expect(post(e.schA1, map[string]any{"code": unknown, "event_id": ev.ID}), http.StatusUnprocessableEntity, "checkin_invalid")
	}
	e.expect(post(e.schA1, map[string]any{"code": o.CheckinCode, "event_id": other.ID}), http.StatusTooManyRequests, "rate_limited")
	county, _ := e.staffSession("county-a-day", models.Scope{Role: models.RoleCounty, CountyID: e.countyA.ID})
	e.expect(post(county, map[string]any{"code": o.CheckinCode, "event_id": other.ID}), http.StatusOK, "")
}
