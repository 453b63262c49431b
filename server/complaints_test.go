package server

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"kehou/devstack/testenv"
	"kehou/jobs"
	"kehou/models"
	"kehou/store"
)

func (e *env) complaint(token string, body map[string]any) models.Complaint {
	e.t.Helper()
	r := e.req(http.MethodPost, "/api/v1/admin/complaints", token, body)
	e.expect(r, http.StatusCreated, "")
	var cp models.Complaint
	r.json(e.t, &cp)
	return cp
}

func (e *env) step(token, id, step string, body map[string]any) resp {
	e.t.Helper()
	if body == nil {
		body = map[string]any{}
	}
	return e.req(http.MethodPost, "/api/v1/admin/complaints/"+id+"/"+step, token, body)
}

// TestComplaintWorkflow: a 12345 ticket goes received → assigned → in progress → rectified →
// verified → closed, each step by the right office and recorded; wrong steps are refused; the
// parent who complained in the mini-program is told and rates the handling.
func TestComplaintWorkflow(t *testing.T) {
	e := newEnv(t)
	e.now = time.Date(2026, 11, 27, 2, 0, 0, 0, time.UTC) // Friday 10:00 in Shanghai
	e.relogin()
	cp := e.complaint(e.cntyA, map[string]any{"source": "12345", "source_ref": "GD20261127001", "received_on": "2026-11-27",
		"category": "fees", "text": "学校课后服务收费过高，且未公示收费标准。"})
	if cp.Status != models.ComplaintReceived || cp.CountyID != e.countyA.ID || len(cp.Steps) != 1 {
		t.Fatalf("created: %+v", cp)
	}
	// The same ticket again is refused; a school may not record complaints.
	e.expect(e.req(http.MethodPost, "/api/v1/admin/complaints", e.cntyA, map[string]any{"source": "12345", "source_ref": "GD20261127001",
		"received_on": "2026-11-27", "category": "fees", "text": "重复"}), http.StatusConflict, "duplicate_ticket")
	e.expect(e.req(http.MethodPost, "/api/v1/admin/complaints", e.schA1, map[string]any{"source": "phone", "received_on": "2026-11-27",
		"category": "fees", "text": "x"}), http.StatusForbidden, "forbidden")
	// A school does not see it until it is assigned; it cannot be closed before it is handled.
	e.expect(e.req(http.MethodGet, "/api/v1/admin/complaints/"+cp.ID, e.schA1, nil), http.StatusNotFound, "not_found")
	e.expect(e.step(e.cntyA, cp.ID, "close", nil), http.StatusConflict, "complaint_state")
	e.expect(e.step(e.cntyA, cp.ID, "assign", map[string]any{"school_id": e.schoolB1.ID}), http.StatusUnprocessableEntity, "validation_failed")
	r := e.step(e.cntyA, cp.ID, "assign", map[string]any{"school_id": e.schoolA1.ID})
	e.expect(r, http.StatusOK, "")
	r.json(t, &cp)
	// Five working days from Friday 27 November: Mon 30, Tue 1, Wed 2, Thu 3, Fri 4 December.
	if got := cp.Deadline.In(models.Shanghai).Format("2006-01-02 15:04"); got != "2026-12-04 23:59" {
		t.Fatalf("deadline %s", got)
	}
	// The county may not do the school's part, nor the school the county's.
	e.expect(e.step(e.cntyA, cp.ID, "rectify", map[string]any{"outcome": "x"}), http.StatusConflict, "complaint_state")
	e.expect(e.step(e.schA1, cp.ID, "start", nil), http.StatusOK, "")
	e.expect(e.step(e.schA1, cp.ID, "rectify", map[string]any{}), http.StatusUnprocessableEntity, "validation_failed")
	e.expect(e.step(e.schA1, cp.ID, "rectify", map[string]any{"outcome": "已在校门口公示收费标准并退还多收费用", "evidence": []string{"https://example.org/photo1.jpg"}}), http.StatusOK, "")
	e.expect(e.step(e.schA1, cp.ID, "verify", map[string]any{"accepted": true}), http.StatusConflict, "complaint_state")
	// The county sends it back once, then accepts it.
	e.expect(e.step(e.cntyA, cp.ID, "verify", map[string]any{"accepted": false}), http.StatusUnprocessableEntity, "validation_failed")
	e.expect(e.step(e.cntyA, cp.ID, "verify", map[string]any{"accepted": false, "note": "未提供退费凭证"}), http.StatusOK, "")
	e.expect(e.step(e.schA1, cp.ID, "rectify", map[string]any{"outcome": "已退费并附凭证"}), http.StatusOK, "")
	e.expect(e.step(e.cntyA, cp.ID, "verify", map[string]any{"accepted": true}), http.StatusOK, "")
	r = e.step(e.cntyA, cp.ID, "close", nil)
	e.expect(r, http.StatusOK, "")
	r.json(t, &cp)
	var statuses []string
	for _, st := range cp.Steps {
		statuses = append(statuses, st.Status)
	}
	if cp.Status != models.ComplaintClosed || cp.ClosedAt.IsZero() || strings.Join(statuses, ",") != "received,assigned,in_progress,rectified,in_progress,rectified,verified,closed" {
		t.Fatalf("closed: %s, steps %v", cp.Status, statuses)
	}
	// Another county sees nothing; a closed complaint cannot be dismissed.
	cntyB, _ := e.staffSession("county-b", models.Scope{Role: models.RoleCounty, CountyID: e.countyB.ID})
	e.expect(e.req(http.MethodGet, "/api/v1/admin/complaints/"+cp.ID, cntyB, nil), http.StatusNotFound, "not_found")
	e.expect(e.step(e.cntyA, cp.ID, "dismiss", map[string]any{"outcome": "x"}), http.StatusConflict, "complaint_state")

	// A parent's complaint from the mini-program: told of each step, rates once when closed.
	p := e.parent("complainer")
	r = e.req(http.MethodPost, "/api/v1/mp/complaints", p, map[string]any{"school_id": e.schoolA1.ID, "category": "safety", "text": "放学时校门口车辆拥堵，存在安全隐患。", "anonymous": true})
	e.expect(r, http.StatusCreated, "")
	var mine myComplaint
	r.json(t, &mine)
	e.expect(e.req(http.MethodPost, "/api/v1/mp/complaints/"+mine.ID+"/rating", p, map[string]any{"rating": 5}), http.StatusConflict, "complaint_state")
	e.expect(e.step(e.cntyA, mine.ID, "dismiss", map[string]any{"outcome": "已由交警部门处理，不属于教育部门职责"}), http.StatusOK, "")
	var staffView models.Complaint
	e.req(http.MethodGet, "/api/v1/admin/complaints/"+mine.ID, e.cntyA, nil).json(t, &staffView)
	if strings.Contains(string(e.req(http.MethodGet, "/api/v1/admin/complaints/"+mine.ID, e.cntyA, nil).Body), e.memberID(p)) {
		t.Fatal("an anonymous complaint shows who sent it")
	}
	ns, _, _ := e.st.Notices(context.Background(), models.Scope{Role: models.RoleCity}, store.Page{Limit: 200})
	if last := ns[0]; last.Audience.Kind != models.AudienceMembers || !strings.Contains(last.Body, "交警") {
		t.Fatalf("the parent was not told: %+v", last)
	}
	e.expect(e.req(http.MethodPost, "/api/v1/mp/complaints/"+mine.ID+"/rating", p, map[string]any{"rating": 9}), http.StatusUnprocessableEntity, "validation_failed")
	e.expect(e.req(http.MethodPost, "/api/v1/mp/complaints/"+mine.ID+"/rating", p, map[string]any{"rating": 4, "note": "处理及时"}), http.StatusOK, "")
	e.expect(e.req(http.MethodPost, "/api/v1/mp/complaints/"+mine.ID+"/rating", p, map[string]any{"rating": 1}), http.StatusConflict, "complaint_state")
	other := e.parent("someone-else")
	e.expect(e.req(http.MethodPost, "/api/v1/mp/complaints/"+mine.ID+"/rating", other, map[string]any{"rating": 1}), http.StatusNotFound, "not_found")
}

// TestComplaintImportAndLedger: a 12345 export imports once (a second import skips every
// ticket), bad lines reject the file by line, and the ledger filters, counts and exports.
func TestComplaintImportAndLedger(t *testing.T) {
	e := newEnv(t)
	csv := "工单编号,受理日期,学校,类别,诉求内容\n" +
		"GD001,2026-10-08,甲一小学,收费,收费未公示\n" +
		"GD002,2026/11/02,甲二小学,安全,校门口拥堵\n" +
		"GD003,2026-11-15 09:30,,服务质量,课后服务内容单一\n"
	upload := func(body string) resp {
		return e.req(http.MethodPost, "/api/v1/admin/complaints/import", e.cntyA, body, "Content-Type", "text/csv")
	}
	r := upload(csv)
	e.expect(r, http.StatusOK, "")
	var res importResult
	r.json(t, &res)
	if res.Created != 3 || res.Skipped != 0 {
		t.Fatalf("first import: %+v", res)
	}
	r = upload(csv + "GD004,2026-11-20,甲一小学,其他,新的工单\n")
	r.json(t, &res)
	if res.Created != 1 || res.Skipped != 3 {
		t.Fatalf("second import: %+v", res)
	}
	r = upload("工单编号,受理日期,学校,类别,诉求内容\nGD005,11月20日,甲一小学,收费,x\nGD006,2026-11-20,乙一小学,收费,y\nGD005,2026-11-20,甲一小学,收费,z\n")
	if r.Code != http.StatusUnprocessableEntity || r.errorCode() != "rows_invalid" {
		t.Fatalf("bad file: %d %s", r.Code, r.Body)
	}
	var env struct {
		Error struct {
			Lines []models.LineError `json:"lines"`
		} `json:"error"`
	}
	r.json(t, &env)
	if len(env.Error.Lines) != 2 || env.Error.Lines[0].Line != 2 || env.Error.Lines[1].Line != 3 {
		t.Fatalf("line errors: %+v", env.Error.Lines)
	}
	// Filters and counts.
	var list listBody[models.Complaint]
	e.req(http.MethodGet, "/api/v1/admin/complaints?source=12345&from=2026-11-01&to=2026-11-30", e.cntyA, nil).json(t, &list)
	if len(list.Items) != 3 {
		t.Fatalf("November tickets: %d", len(list.Items))
	}
	var stats struct {
		Total  int                       `json:"total"`
		Counts map[string]map[string]int `json:"counts"`
	}
	e.req(http.MethodGet, "/api/v1/admin/complaints/stats", e.cntyA, nil).json(t, &stats)
	if stats.Total != 4 || stats.Counts["by_month"]["2026-10"] != 1 || stats.Counts["by_month"]["2026-11"] != 3 || stats.Counts["by_category"]["fees"] != 1 {
		t.Fatalf("stats: %+v", stats)
	}
	// The export in the ledger layout.
	rows := e.xlsxRows(e.req(http.MethodGet, "/api/v1/admin/complaints/export", e.cntyA, nil), "投诉台账")
	if len(rows) != 5 || strings.Join(rows[0], ",") != "序号,来源,编号,日期,学校,类别,内容摘要,办理情况,状态,办结日期" ||
		rows[1][1] != "12345热线" || rows[1][2] != "GD001" || rows[1][3] != "2026-10-08" || rows[1][4] != "甲一小学" || rows[1][8] != "已受理" {
		t.Fatalf("export: %v", rows)
	}
	// Scope: a school's staff cannot import; county B sees none of A's.
	e.expect(e.req(http.MethodPost, "/api/v1/admin/complaints/import", e.schA1, csv, "Content-Type", "text/csv"), http.StatusForbidden, "forbidden")
	cntyB, _ := e.staffSession("county-b", models.Scope{Role: models.RoleCounty, CountyID: e.countyB.ID})
	e.req(http.MethodGet, "/api/v1/admin/complaints", cntyB, nil).json(t, &list)
	if len(list.Items) != 0 {
		t.Fatalf("county B sees %d", len(list.Items))
	}
}

// TestOverdueEscalationAndLookBack: a complaint past its deadline is escalated once, with a
// message to the county's group robot; six months after closing a look-back opens.
func TestOverdueEscalationAndLookBack(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	robot := models.Robot{CountyID: e.countyA.ID, Kind: "wecom", Name: "区督办群"}
	if err := e.st.CreateRobot(ctx, &robot, "k", ""); err != nil {
		t.Fatal(err)
	}
	cp := e.complaint(e.cntyA, map[string]any{"source": "phone", "received_on": "2026-11-27", "school_id": e.schoolA1.ID, "category": "staff", "text": "老师态度粗暴"})
	e.expect(e.step(e.cntyA, cp.ID, "assign", map[string]any{"school_id": e.schoolA1.ID, "deadline_days": 1}), http.StatusOK, "")
	h := &jobs.Handlers{Store: e.st, Log: testenv.Logger(), Queue: asynq.NewClientFromRedisClient(e.rdb), Now: func() time.Time { return e.now }}
	if err := h.HandleComplaintSweep(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if got, _ := e.st.Complaint(ctx, cp.ID); got.Escalated {
		t.Fatal("escalated before the deadline")
	}
	var shown models.Complaint
	e.req(http.MethodGet, "/api/v1/admin/complaints/"+cp.ID, e.cntyA, nil).json(t, &shown)
	if shown.IsOverdue {
		t.Fatal("shown overdue before its deadline")
	}
	e.now = e.now.Add(5 * 24 * time.Hour)
	e.relogin()
	for range 2 {
		if err := h.HandleComplaintSweep(ctx, nil); err != nil {
			t.Fatal(err)
		}
	}
	got, _ := e.st.Complaint(ctx, cp.ID)
	ns, _, _ := e.st.Notices(ctx, models.Scope{Role: models.RoleCity}, store.Page{Limit: 200})
	alerts := 0
	for _, n := range ns {
		if strings.HasPrefix(n.Title, "投诉逾期") && len(n.Robots) == 1 && n.Robots[0] == robot.ID {
			alerts++
		}
	}
	if !got.Escalated || alerts != 1 {
		t.Fatalf("escalated %v, %d robot alerts", got.Escalated, alerts)
	}
	var overdue listBody[models.Complaint]
	e.req(http.MethodGet, "/api/v1/admin/complaints?overdue=true", e.cntyA, nil).json(t, &overdue)
	if len(overdue.Items) != 1 || !overdue.Items[0].IsOverdue {
		t.Fatalf("overdue filter: %+v", overdue.Items)
	}
	// Handled and closed; six months later the look-back opens, and the county records it.
	e.expect(e.step(e.schA1, cp.ID, "rectify", map[string]any{"outcome": "已批评教育并道歉"}), http.StatusOK, "")
	e.expect(e.step(e.cntyA, cp.ID, "verify", map[string]any{"accepted": true}), http.StatusOK, "")
	e.expect(e.step(e.cntyA, cp.ID, "close", nil), http.StatusOK, "")
	e.expect(e.req(http.MethodPost, "/api/v1/admin/complaints/"+cp.ID+"/look-back", e.cntyA, map[string]any{"recurred": false}), http.StatusConflict, "complaint_state")
	e.now = e.now.Add(181 * 24 * time.Hour)
	e.relogin()
	if err := h.HandleComplaintSweep(ctx, nil); err != nil {
		t.Fatal(err)
	}
	e.expect(e.req(http.MethodPost, "/api/v1/admin/complaints/"+cp.ID+"/look-back", e.schA1, map[string]any{"recurred": false}), http.StatusForbidden, "forbidden")
	r := e.req(http.MethodPost, "/api/v1/admin/complaints/"+cp.ID+"/look-back", e.cntyA, map[string]any{"recurred": false, "note": "回访家长，未再发生"})
	e.expect(r, http.StatusOK, "")
	r.json(t, &got)
	if got.LookBack == nil || got.LookBack.Recurred == nil || *got.LookBack.Recurred {
		t.Fatalf("look-back: %+v", got.LookBack)
	}
	e.expect(e.req(http.MethodPost, "/api/v1/admin/complaints/"+cp.ID+"/look-back", e.cntyA, map[string]any{"recurred": true}), http.StatusConflict, "complaint_state")
}

// TestCalendarMovesDeadlines: the city enters a year's holidays and a worked Saturday; a
// complaint assigned before them gets a deadline counted around them. Only the city may edit.
func TestCalendarMovesDeadlines(t *testing.T) {
	e := newEnv(t)
	e.now = time.Date(2026, 11, 27, 2, 0, 0, 0, time.UTC) // Friday 10:00 in Shanghai
	e.relogin()
	cal := map[string]any{"holidays": []string{"2026-12-01", "2026-11-30"}, "workdays": []string{"2026-12-05"}}
	e.expect(e.req(http.MethodPut, "/api/v1/admin/calendar/2026", e.cntyA, cal), http.StatusForbidden, "forbidden")
	r := e.req(http.MethodPut, "/api/v1/admin/calendar/2026", e.city, map[string]any{"holidays": []string{"2026-13-01"}, "workdays": []string{"2026-12-04"}})
	if r.Code != http.StatusUnprocessableEntity || r.envelope(t).Fields["holidays[0]"] == "" || r.envelope(t).Fields["workdays[0]"] == "" {
		t.Fatalf("bad calendar: %d %s", r.Code, r.Body)
	}
	e.expect(e.req(http.MethodPut, "/api/v1/admin/calendar/2026", e.city, cal), http.StatusOK, "")
	var got models.Calendar
	e.req(http.MethodGet, "/api/v1/admin/calendar/2026", e.schA1, nil).json(t, &got)
	if got.Year != 2026 || len(got.Holidays) != 2 || got.Holidays[0] != "2026-11-30" || len(got.Workdays) != 1 {
		t.Fatalf("calendar as a school sees it: %+v", got)
	}
	cp := e.complaint(e.cntyA, map[string]any{"source": "phone", "received_on": "2026-11-27", "category": "fees", "text": "收费问题"})
	r = e.step(e.cntyA, cp.ID, "assign", map[string]any{"school_id": e.schoolA1.ID})
	e.expect(r, http.StatusOK, "")
	r.json(t, &cp)
	// Five working days from Friday 27 November: Mon 30 and Tue 1 are holidays; Wed 2, Thu 3,
	// Fri 4, Sat 5 (worked), Mon 7 December.
	if d := cp.Deadline.In(models.Shanghai).Format("2006-01-02 15:04"); d != "2026-12-07 23:59" {
		t.Fatalf("deadline %s", d)
	}
}

// TestTimesReadAsInSanming: instants leave the API in Beijing time (+08:00), calendar days as
// "YYYY-MM-DD", unset times not at all; a day nobody can have meant is refused with its field.
func TestTimesReadAsInSanming(t *testing.T) {
	e := newEnv(t)
	e.now = time.Date(2026, 11, 27, 2, 0, 0, 0, time.UTC)
	e.relogin()
	r := e.req(http.MethodPost, "/api/v1/admin/complaints", e.cntyA, map[string]any{"source": "phone", "received_on": "2026-11-20",
		"category": "fees", "text": "收费未公示"})
	e.expect(r, http.StatusCreated, "")
	var raw map[string]any
	r.json(t, &raw)
	if raw["received_on"] != "2026-11-20" {
		t.Errorf("received_on = %v, want the day itself", raw["received_on"])
	}
	if at, _ := raw["created_at"].(string); !strings.HasSuffix(at, "+08:00") || strings.Contains(at, ".") {
		t.Errorf("created_at = %q, want RFC 3339 in Beijing time to the second", at)
	}
	if _, ok := raw["closed_at"]; ok {
		t.Errorf("an open complaint has closed_at: %v", raw["closed_at"])
	}
	if strings.Contains(string(r.Body), "0001-01-01") {
		t.Errorf("a zero time leaked: %s", r.Body)
	}
	for day, want := range map[string]int{"2999-11-20": 422, "1926-11-20": 422, "2026-11-28": 422, "2026-11-27": 201} {
		r := e.req(http.MethodPost, "/api/v1/admin/complaints", e.cntyA, map[string]any{"source": "phone", "received_on": day,
			"category": "fees", "text": "收费未公示" + day})
		e.expect(r, want, map[int]string{422: "validation_failed", 201: ""}[want])
		if want == 422 && r.envelope(t).Fields["received_on"] == "" {
			t.Errorf("%s: the field is not named: %s", day, r.Body)
		}
	}
	// Summer care in 2999 is refused; a real period reads back as the days typed.
	body := func(start, end string) map[string]any {
		return map[string]any{"title": "暑期托管", "daily_start": "08:30", "daily_end": "17:00", "offerings": []string{"homework"},
			"enrol_opens": "2027-06-01T08:00:00+08:00", "enrol_closes": "2027-06-20T20:00:00+08:00",
			"periods": []map[string]any{{"label": "第一期", "start_date": start, "end_date": end, "capacity": 30}}}
	}
	r = e.req(http.MethodPost, "/api/v1/admin/programmes", e.schA1, body("2999-07-06", "2999-07-10"))
	e.expect(r, http.StatusUnprocessableEntity, "validation_failed")
	if r.envelope(t).Fields["periods[0].start_date"] == "" {
		t.Errorf("the period's day is not named: %s", r.Body)
	}
	r = e.req(http.MethodPost, "/api/v1/admin/programmes", e.schA1, body("2027-07-06", "2027-07-10"))
	e.expect(r, http.StatusCreated, "")
	var p struct {
		EnrolOpens string `json:"enrol_opens"`
		Periods    []struct {
			Start string `json:"start_date"`
			End   string `json:"end_date"`
		} `json:"periods"`
	}
	r.json(t, &p)
	if len(p.Periods) != 1 || p.Periods[0].Start != "2027-07-06" || p.Periods[0].End != "2027-07-10" || p.EnrolOpens != "2027-06-01T08:00:00+08:00" {
		t.Errorf("programme read back as %+v", p)
	}
}
