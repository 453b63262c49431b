package server

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/xuri/excelize/v2"

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

func TestCSVCellNeutralisesFormulas(t *testing.T) {
	for in, want := range map[string]string{
		"=HYPERLINK(\"http://x\")": "'=HYPERLINK(\"http://x\")",
		"+1+cmd|' /C calc'!A0":     "'+1+cmd|' /C calc'!A0",
		"-1+1":                     "'-1+1",
		"@SUM(A1)":                 "'@SUM(A1)",
		"\t=1":                     "'\t=1",
		"\r=1":                     "'\r=1",
		"-12.5":                    "-12.5", // a number the project writes (a negative NPS) stays numeric
		"-3%":                      "-3%",
		"+7":                       "+7",
		"-1e5":                     "'-1e5",
		"-Inf":                     "'-Inf",
		"张小明":                      "张小明",
		"a=1":                      "a=1",
		"":                         "",
	} {
		if got := csvCell(in); got != want {
			t.Errorf("csvCell(%q) = %q, want %q", in, got, want)
		}
	}
}

// Every CSV export neutralises formula-like cells: the binding-code letters (roster text) and
// the survey results (question titles and option labels staff write).
func TestCSVExportsNeutraliseFormulas(t *testing.T) {
	e := newEnv(t)
	e.expect(e.importRoster(e.schoolA1.ID, "学号,姓名,年级,班级\n20260101,=1+2,3,@1班\n20260102,-2+3,3,+1班\n"), http.StatusOK, "")
	r := e.req(http.MethodGet, "/api/v1/admin/schools/"+e.schoolA1.ID+"/binding-codes", e.schA1, nil)
	e.expect(r, http.StatusOK, "")
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(string(r.Body), "\ufeff"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, rec := range recs[1:] {
		got[rec[1]], got[rec[3]] = true, true
	}
	for _, want := range []string{"'=1+2", "'@1班", "'-2+3", "'+1班"} {
		if !got[want] {
			t.Errorf("binding codes: %q missing in %v", want, recs)
		}
	}

	nps := -20.0
	sv := models.Survey{Title: "t", Questions: []models.Question{{ID: "q1", Type: models.QSingle, Title: "=cmd|' /C calc'!A0"}}}
	res := store.SurveyResults{Groups: []models.GroupResult{{Level: models.LevelAll, Name: "@全部", Targeted: 9, Responses: 9, NPS: &nps,
		Questions: []models.QuestionResult{{ID: "q1", Type: models.QSingle, Title: "=cmd|' /C calc'!A0", Answered: 9,
			Options: []models.OptionCount{{ID: "a", Label: "+满意", Count: 9, Share: 1}}}}}}}
	rd := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(resultsCSV(sv, res), []byte("\uFEFF"))))
	rd.FieldsPerRecord = -1
	rows, err := rd.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if rows[1][1] != "'@全部" || rows[1][7] != "-20" {
		t.Errorf("summary row: %q", rows[1])
	}
	if q := rows[len(rows)-1]; len(q) < 5 || q[0] != "'@全部" || q[2] != "'=cmd|' /C calc'!A0" || q[4] != "'+满意" {
		t.Errorf("question row: %q", q)
	}
}

// The XLSX exports write text cells as strings, never formulas: excelize's stream writer
// stores a Go string as a string cell whatever it begins with, so no prefix is needed there
// (and one would show in the cell).
func TestXLSXExportsWriteTextNotFormulas(t *testing.T) {
	b, err := writeXLSX([]xlsxSheet{{Name: "s", Header: []string{"h"}, Rows: [][]string{{"=1+2"}, {"@SUM(A1)"}}}})
	if err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, cell := range []string{"A2", "A3"} {
		formula, _ := f.GetCellFormula("s", cell)
		typ, _ := f.GetCellType("s", cell)
		v, _ := f.GetCellValue("s", cell)
		if formula != "" || (typ != excelize.CellTypeSharedString && typ != excelize.CellTypeInlineString) || !strings.HasPrefix(v, "=") && !strings.HasPrefix(v, "@") {
			t.Errorf("%s: formula %q type %v value %q", cell, formula, typ, v)
		}
	}
}

// Every free-text field has a length limit: each (route, field) below gets text one character
// too long and must answer 422 naming the field, whatever else the body says (issue 20). The
// last entries have no limit of their own and meet the decoder's backstop (models.MaxText).
func TestTooLongTextIsRefused(t *testing.T) {
	e := newEnv(t)
	r := e.req(http.MethodPost, "/api/v1/admin/cases", e.schA1, map[string]any{"title": "剪纸社团", "text": "我校开设非遗剪纸社团。"})
	e.expect(r, http.StatusCreated, "")
	var cs models.Case
	r.json(t, &cs)
	p := e.parent("long-text")
	long := func(n int) string { return strings.Repeat("长", n+1) }
	cases := []struct {
		method, path, token string
		body                map[string]any
		field               string
	}{
		{http.MethodPost, "/api/v1/admin/cases/" + cs.ID + "/review", e.cntyA, map[string]any{"approved": true, "note": long(500)}, "note"},
		{http.MethodPost, "/api/v1/admin/cases/" + cs.ID + "/review", e.cntyA, map[string]any{"approved": false, "note": long(500)}, "note"},
		{http.MethodPatch, "/api/v1/admin/counties/" + e.countyA.ID, e.city, map[string]any{"name": long(40)}, "name"},
		{http.MethodPatch, "/api/v1/admin/schools/" + e.schoolA1.ID, e.city, map[string]any{"address": long(120)}, "address"},
		{http.MethodPost, "/api/v1/admin/staff", e.city, map[string]any{"username": "long-name", "name": long(40), "password": "abcdef123456", "role": "city"}, "name"},
		{http.MethodPost, "/api/v1/admin/cases", e.schA1, map[string]any{"title": long(60), "text": "x"}, "title"},
		{http.MethodPost, "/api/v1/admin/cases", e.schA1, map[string]any{"title": "x", "text": long(10000)}, "text"},
		{http.MethodPost, "/api/v1/mp/complaints", p, map[string]any{"school_id": e.schoolA1.ID, "category": "safety", "text": long(2000)}, "text"},
		{http.MethodPut, "/api/v1/mp/volunteer", p, map[string]any{"name": "王", "organisation": long(60)}, "organisation"},
		// No limit of their own: the backstop.
		{http.MethodPost, "/api/v1/admin/cases", e.schA1, map[string]any{"title": "x", "text": "y", "images": []string{"https://example.org/" + long(models.MaxText)}}, "images[0]"},
		{http.MethodPost, "/api/v1/mp/login", "", map[string]any{"code": long(models.MaxText)}, "code"},
	}
	for _, tc := range cases {
		r := e.req(tc.method, tc.path, tc.token, tc.body)
		if r.Code != http.StatusUnprocessableEntity || r.envelope(t).Fields[tc.field] == "" {
			t.Errorf("%s %s %s: %d %.300s, want 422 naming %s", tc.method, tc.path, tc.field, r.Code, r.Body, tc.field)
		}
	}
	// Routes that find their object before reading the body: their forms, through the decoder.
	yes := true
	forms := []struct {
		f     form
		body  map[string]any
		field string
	}{
		{&verifyForm{}, map[string]any{"approved": yes, "note": long(200)}, "note"},
		{&stepForm{}, map[string]any{"outcome": "已整改", "evidence": []string{"https://example.org/" + long(500)}}, "evidence[0]"},
		{&lookBackForm{}, map[string]any{"recurred": false, "note": long(500)}, "note"},
		{&reasonForm{}, map[string]any{"reason": long(200)}, "reason"},
		{&ratingForm{}, map[string]any{"rating": 5, "note": long(200)}, "note"},
		{&hoursForm{}, map[string]any{"minutes": 60, "reason": long(200)}, "reason"},
		{&stepForm{}, map[string]any{"outcome": long(models.MaxText)}, "outcome"},
	}
	for _, tc := range forms {
		raw, _ := json.Marshal(tc.body)
		c := echo.New().NewContext(httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(raw)), httptest.NewRecorder())
		var fe models.FieldErrors
		if err := bind(c, tc.f); !errors.As(err, &fe) || fe[tc.field] == "" {
			t.Errorf("%T %s: %v, want a field error on %s", tc.f, tc.field, err, tc.field)
		}
	}
	got, err := e.st.CaseInScope(context.Background(), models.Scope{Role: models.RoleCity}, cs.ID)
	if err != nil || got.Status != models.CaseSubmitted || got.ReviewNote != "" {
		t.Fatalf("the case changed: %+v %v", got, err)
	}
}

// Staff passwords have at least 10 characters with letters and digits (spaces or tabs only are
// refused), and one's own password changes only with the current one (issue 20).
func TestStaffPasswordRules(t *testing.T) {
	e := newEnv(t)
	create := func(user, pw string) resp {
		return e.req(http.MethodPost, "/api/v1/admin/staff", e.city, map[string]string{"username": user, "name": "管理员", "password": pw, "role": "school", "school_id": e.schoolA1.ID})
	}
	for _, pw := range []string{"          ", "\t\t\t\t\t\t\t\t\t\t\t\t", " \t \t \t \t \t \t", "abcdefghijkl", "12345678901", "abc12"} {
		r := create("weak", pw)
		if r.Code != http.StatusUnprocessableEntity || r.envelope(t).Fields["password"] == "" {
			t.Errorf("password %q: %d %s", pw, r.Code, r.Body)
		}
	}
	e.expect(create("demo-like", "kehou-demo-2026"), http.StatusCreated, "")
	other := e.staffWithPassword("other", "first password 1")
	r := e.req(http.MethodPatch, "/api/v1/admin/staff/"+other.ID, e.city, map[string]string{"password": "          "})
	if r.Code != http.StatusUnprocessableEntity || r.envelope(t).Fields["password"] == "" {
		t.Errorf("reset to spaces: %d %s", r.Code, r.Body)
	}
	e.expect(e.req(http.MethodPatch, "/api/v1/admin/staff/"+other.ID, e.city, map[string]string{"password": "reset by city 2"}), http.StatusOK, "")

	// One's own password: not through PATCH, and only with the current one.
	me := e.staffWithPassword("teacher", "correct horse 42")
	login := func(pw string) resp {
		return e.req(http.MethodPost, "/api/v1/admin/login", "", map[string]string{"username": "teacher", "password": pw})
	}
	r = login("correct horse 42")
	e.expect(r, http.StatusOK, "")
	var body adminLoginBody
	r.json(t, &body)
	tok := body.Token
	r = e.req(http.MethodPatch, "/api/v1/admin/staff/"+me.ID, tok, map[string]string{"password": "new password 43"})
	if r.Code != http.StatusUnprocessableEntity || r.envelope(t).Fields["password"] == "" {
		t.Errorf("own password by PATCH: %d %s", r.Code, r.Body)
	}
	change := func(cur, next string) resp {
		return e.req(http.MethodPost, "/api/v1/admin/me/password", tok, map[string]string{"current_password": cur, "new_password": next})
	}
	if r := change("wrong horse 42", "new password 43"); r.Code != http.StatusUnprocessableEntity || r.envelope(t).Fields["current_password"] == "" {
		t.Errorf("wrong current: %d %s", r.Code, r.Body)
	}
	if r := change("correct horse 42", "            "); r.Code != http.StatusUnprocessableEntity || r.envelope(t).Fields["new_password"] == "" {
		t.Errorf("blank new: %d %s", r.Code, r.Body)
	}
	e.expect(login("correct horse 42"), http.StatusOK, "") // nothing changed so far
	e.expect(change("correct horse 42", "new password 43"), http.StatusNoContent, "")
	e.expect(e.req(http.MethodGet, "/api/v1/admin/me", tok, nil), http.StatusUnauthorized, "unauthenticated")
	e.expect(login("correct horse 42"), http.StatusUnauthorized, "bad_credentials")
	e.expect(login("new password 43"), http.StatusOK, "")
}

// A survey that reaches none of a parent's children answers exactly like an unknown id, whatever
// child the request names (issue 20: it answered 422 "not for this child", revealing it exists).
func TestSurveyOutsideMyChildrenIsNotFound(t *testing.T) {
	e := newEnv(t)
	a1 := e.families(e.schoolA1, "A1", 3, 1)[0]
	b1 := e.families(e.schoolB1, "B1", 3, 1)[0]
	sv := openingSurvey(e, e.schA1)
	answers := map[string]any{"q1": map[string]any{"choice": "B"}, "q3": map[string]any{"score": 4}}
	for _, id := range []string{sv.ID, "000000000000000000000000"} {
		for _, child := range []string{"", b1.childID, a1.childID} {
			for _, r := range []resp{
				e.req(http.MethodGet, "/api/v1/mp/surveys/"+id+"?child_id="+child, b1.token, nil),
				e.req(http.MethodPost, "/api/v1/mp/surveys/"+id+"/answers", b1.token, map[string]any{"child_id": child, "answers": answers}),
				e.req(http.MethodPut, "/api/v1/mp/surveys/"+id+"/draft", b1.token, map[string]any{"child_id": child, "answers": answers}),
			} {
				if r.Code != http.StatusNotFound || r.errorCode() != "not_found" {
					t.Errorf("survey %s child %q: %d %s, want 404 not_found", id, child, r.Code, r.Body)
				}
			}
		}
	}
	// The family the survey reaches still gets the field error for a child that is not theirs.
	r := e.req(http.MethodGet, "/api/v1/mp/surveys/"+sv.ID+"?child_id="+b1.childID, a1.token, nil)
	if r.Code != http.StatusUnprocessableEntity || r.envelope(t).Fields["child_id"] == "" {
		t.Errorf("reached family, other child: %d %s", r.Code, r.Body)
	}
	e.expect(e.req(http.MethodGet, "/api/v1/mp/surveys/"+sv.ID, a1.token, nil), http.StatusOK, "")
}

// Every response says nosniff; every mini-program and admin response (errors and exports too)
// says no-store unless its handler chose a Cache-Control (issue 20).
func TestSecurityAndCacheHeaders(t *testing.T) {
	e := newEnv(t)
	e.extra = func(ec *echo.Echo, staff echo.MiddlewareFunc) {
		ec.GET("/api/v1/admin/test-cacheable", func(c echo.Context) error {
			c.Response().Header().Set(echo.HeaderCacheControl, "public, max-age=60")
			return c.JSON(http.StatusOK, map[string]string{"ok": "yes"})
		}, staff)
	}
	e.rebuild()
	p := e.parent("headers")
	e.expect(e.importRoster(e.schoolA1.ID, "学号,姓名,年级,班级\n1,张三,3,1班\n"), http.StatusOK, "")
	for _, tc := range []struct {
		path, token string
		code        int
		cache       string
	}{
		{"/api/v1/mp/me", p, http.StatusOK, "no-store"},
		{"/api/v1/mp/me", "", http.StatusUnauthorized, "no-store"},
		{"/api/v1/mp/surveys/000000000000000000000000", p, http.StatusNotFound, "no-store"},
		{"/api/v1/admin/me", e.city, http.StatusOK, "no-store"},
		{"/api/v1/admin/schools/" + e.schoolA1.ID + "/binding-codes", e.city, http.StatusOK, "no-store"},
		{"/api/v1/admin/nothing-here", e.city, http.StatusNotFound, "no-store"},
		{"/api/v1/admin/test-cacheable", e.city, http.StatusOK, "public, max-age=60"},
		{"/healthz", "", http.StatusOK, ""},
		{"/nothing", "", http.StatusNotFound, ""},
	} {
		r := e.req(http.MethodGet, tc.path, tc.token, nil)
		if r.Code != tc.code || r.Header.Get("X-Content-Type-Options") != "nosniff" || r.Header.Get("Cache-Control") != tc.cache {
			t.Errorf("%s: %d nosniff=%q cache=%q, want %d nosniff %q", tc.path, r.Code,
				r.Header.Get("X-Content-Type-Options"), r.Header.Get("Cache-Control"), tc.code, tc.cache)
		}
	}
}

// A burst straddling a minute's end gets the limit once, not twice: the window slides (issue
// 20). Both limiter paths: the signed-in parent's gate script and the plain per-IP count.
func TestRateLimitSlidesAcrossTheMinute(t *testing.T) {
	e := newEnv(t)
	e.cfg.RateMemberPerMin, e.cfg.RateLoginPerMin = 5, 3
	e.rebuild()
	e.ip = "192.0.2.88"
	mum := e.parent("mum")
	base := time.Date(2026, 11, 29, 9, 0, 0, 0, time.UTC)
	burst := func(at time.Duration, n int, send func() resp) (ok int) {
		e.now = base.Add(at)
		for range n {
			switch r := send(); r.Code {
			case http.StatusTooManyRequests:
				if r.Header.Get("Retry-After") == "" {
					t.Fatal("429 without Retry-After")
				}
			default:
				ok++
			}
		}
		return ok
	}
	me := func() resp { return e.req(http.MethodGet, "/api/v1/mp/me", mum, nil) }
	login := func() resp {
		return e.req(http.MethodPost, "/api/v1/admin/login", "", map[string]string{"username": "nobody", "password": "wrong password 1"})
	}
	for name, tc := range map[string]struct {
		limit int
		send  func() resp
		start time.Duration
	}{
		"member gate":  {5, me, 0},
		"per-IP login": {3, login, 10 * time.Minute},
	} {
		before := burst(tc.start+59*time.Second+500*time.Millisecond, tc.limit*2, tc.send)
		after := burst(tc.start+60*time.Second+200*time.Millisecond, tc.limit*2, tc.send)
		if before != tc.limit || after != 0 {
			t.Errorf("%s: %d before the minute's end and %d after, want %d and 0", name, before, after, tc.limit)
		}
		// Half a minute on, the earlier burst still weighs; two minutes on it is gone.
		if n := burst(tc.start+90*time.Second, 1, tc.send); n != 0 {
			t.Errorf("%s: allowed half a minute after a double burst", name)
		}
		if n := burst(tc.start+3*time.Minute, tc.limit, tc.send); n != tc.limit {
			t.Errorf("%s: %d of %d allowed after the window slid past", name, n, tc.limit)
		}
	}
}

// The same holds on the other mini-program routes that name a school's thing and a child: an
// event, a summer-care programme or a course selection of another school answers 404 whatever
// child the request names, exactly like an unknown id.
func TestOtherSchoolsThingsAreNotFound(t *testing.T) {
	e := newEnv(t)
	a1 := e.families(e.schoolA1, "A1", 3, 1)[0]
	b1 := e.families(e.schoolB1, "B1", 3, 1)[0]
	ev := e.openDay(e.schA1, 10)
	prog := e.careProgramme(e.schA1, "", 10, 10)
	sel := e.menu(e.schA1)
	const unknown = "000000000000000000000000"
	for _, child := range []string{b1.childID, a1.childID} {
		for _, tc := range []struct {
			method, path string
			body         map[string]any
		}{
			{http.MethodGet, "/api/v1/mp/events/" + ev.ID, nil},
			{http.MethodPost, "/api/v1/mp/events/" + ev.ID + "/signups", map[string]any{"child_id": child, "session_id": ev.Sessions[0].ID}},
			{http.MethodPost, "/api/v1/mp/events/" + unknown + "/signups", map[string]any{"child_id": child, "session_id": ev.Sessions[0].ID}},
			{http.MethodGet, "/api/v1/mp/programmes/" + prog.ID, nil},
			{http.MethodPost, "/api/v1/mp/programmes/" + prog.ID + "/enrolments", map[string]any{"child_id": child, "period_id": prog.Periods[0].ID}},
			{http.MethodPost, "/api/v1/mp/programmes/" + unknown + "/enrolments", map[string]any{"child_id": child, "period_id": prog.Periods[0].ID}},
			{http.MethodGet, "/api/v1/mp/selections/" + sel.ID, nil},
			{http.MethodPut, "/api/v1/mp/selections/" + sel.ID + "/requests", map[string]any{"child_id": child, "choices": []string{sel.Courses[0].ID}}},
			{http.MethodPut, "/api/v1/mp/selections/" + unknown + "/requests", map[string]any{"child_id": child, "choices": []string{sel.Courses[0].ID}}},
		} {
			var body any
			if tc.body != nil {
				body = tc.body
			}
			if r := e.req(tc.method, tc.path, b1.token, body); r.Code != http.StatusNotFound || r.errorCode() != "not_found" {
				t.Errorf("%s %s child %s: %d %s, want 404", tc.method, tc.path, child, r.Code, r.Body)
			}
		}
	}
}
