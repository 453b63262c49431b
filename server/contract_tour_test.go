package server

import (
	"context"
	"net/http"
	"testing"
	"time"

	"kehou/models"
)

// TestContractTour answers, with a 2xx, the operations no other test reaches that way, so that
// the validator (contract_test.go) checks their answers against the document too.
func TestContractTour(t *testing.T) {
	e := newEnv(t)
	ok := func(method, path, token string, body any) resp {
		t.Helper()
		r := e.req(method, path, token, body)
		if r.Code < 200 || r.Code > 299 {
			t.Fatalf("%s %s: %d %s", method, path, r.Code, r.Body)
		}
		return r
	}
	ctx := context.Background()
	fams := e.families(e.schoolA1, "T", 3, 2)
	mum := fams[0]

	// Places and people.
	ok(http.MethodPatch, "/api/v1/admin/counties/"+e.countyB.ID, e.city, map[string]any{"name": "乙县（新）"})
	ok(http.MethodGet, "/api/v1/admin/staff", e.city, nil)
	ok(http.MethodGet, "/api/v1/mp/schools", mum.token, nil)
	ok(http.MethodGet, "/api/v1/admin/institutions", e.cntyA, nil)
	ok(http.MethodGet, "/api/v1/admin/survey-templates", e.schA1, nil)

	// A notice in a parent's inbox.
	n := models.Notice{SchoolID: e.schoolA1.ID, CountyID: e.countyA.ID, Sender: "甲一小学", Kind: models.NoticeGeneral,
		Title: "通知", Body: "内容", Audience: models.Audience{Kind: models.AudienceScope}}
	if err := e.st.CreateNotice(ctx, &n); err != nil {
		t.Fatal(err)
	}
	if _, err := e.st.AddRecipients(ctx, n, []string{mum.memberID}); err != nil {
		t.Fatal(err)
	}
	ok(http.MethodGet, "/api/v1/mp/notices/"+n.ID, mum.token, nil)
	ok(http.MethodPost, "/api/v1/mp/notices/"+n.ID+"/read", mum.token, nil)
	ok(http.MethodGet, "/api/v1/admin/notices", e.schA1, nil)
	ok(http.MethodGet, "/api/v1/admin/notices/"+n.ID+"/outbox", e.schA1, nil)
	ok(http.MethodPost, "/api/v1/admin/notices/"+n.ID+"/remind", e.schA1, map[string]any{"channels": []string{"wxsubscribe"}})

	// A survey edited, closed and archived.
	sv := e.createSurvey(e.schA1, map[string]any{"kind": "opinion", "title": "意见征求", "audience": map[string]any{"kind": "scope"},
		"opens_at": e.now, "closes_at": e.now.Add(72 * time.Hour),
		"questions": []map[string]any{{"type": "rating", "title": "满意程度", "required": true}}})
	ok(http.MethodPatch, "/api/v1/admin/surveys/"+sv.ID, e.schA1, map[string]any{"title": "课后服务意见征求"})
	e.publish(e.schA1, sv.ID, map[string]any{})
	ok(http.MethodPost, "/api/v1/admin/surveys/"+sv.ID+"/close", e.schA1, nil)
	ok(http.MethodPost, "/api/v1/admin/surveys/"+sv.ID+"/archive", e.schA1, nil)

	// An open day seen by staff and by a parent.
	ev := e.openDay(e.schA1, 5)
	ok(http.MethodGet, "/api/v1/admin/events", e.schA1, nil)
	ok(http.MethodGet, "/api/v1/mp/events/"+ev.ID, mum.token, nil)
	if code, _, r := e.signUp(mum, ev.ID, ev.Sessions[0].ID, 0); code != http.StatusCreated {
		t.Fatalf("sign-up: %d %s", code, r.Body)
	}
	ok(http.MethodGet, "/api/v1/admin/events/"+ev.ID+"/signups", e.schA1, nil)

	// Summer care: a parent's view, an edit, a period cancelled; a shift and a volunteer.
	p := e.careProgramme(e.schA1, "", 5, 5)
	ok(http.MethodGet, "/api/v1/mp/programmes/"+p.ID, mum.token, nil)
	ok(http.MethodPatch, "/api/v1/admin/programmes/"+p.ID, e.schA1, map[string]any{"fee_note": "免费，午餐自理"})
	ok(http.MethodPost, "/api/v1/admin/programmes/"+p.ID+"/periods/"+p.Periods[1].ID+"/cancel", e.schA1, nil)
	day7, _ := models.ParseDay(e.now.AddDate(0, 0, 7).In(models.Shanghai).Format("2006-01-02"))
	sh := e.shift(e.schA1, p.ID, day7.Add(9*time.Hour), 2, 2) // 09:00–11:00 on the first day
	ok(http.MethodGet, "/api/v1/admin/programmes/"+p.ID+"/shifts", e.schA1, nil)
	vt, v := e.volunteer("小陈", "student", e.schoolA1.ID, "13800138000")
	if code, a, r := e.applyFor(vt, sh.ID); code != http.StatusCreated {
		t.Fatalf("apply: %d %s", code, r.Body)
	} else {
		ok(http.MethodGet, "/api/v1/admin/shifts/"+sh.ID+"/applications", e.schA1, nil)
		ok(http.MethodGet, "/api/v1/admin/volunteers/"+v.ID, e.schA1, nil)
		ok(http.MethodPost, "/api/v1/mp/applications/"+a.ID+"/withdraw", vt, nil)
	}

	// Course selection.
	sel := e.menu(e.schA1)
	ok(http.MethodGet, "/api/v1/admin/selections", e.schA1, nil)
	ok(http.MethodGet, "/api/v1/admin/selections/"+sel.ID, e.schA1, nil)
	ok(http.MethodGet, "/api/v1/mp/selections", mum.token, nil)

	// A complaint from a parent.
	ok(http.MethodPost, "/api/v1/mp/complaints", mum.token, map[string]any{"school_id": e.schoolA1.ID, "category": "safety",
		"text": "放学时校门口车辆拥堵。"})
	ok(http.MethodGet, "/api/v1/mp/complaints", mum.token, nil)
}
