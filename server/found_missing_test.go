package server

import (
	"bytes"
	"context"
	"image/png"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/makiuchi-d/gozxing"
	zxqr "github.com/makiuchi-d/gozxing/qrcode"

	"kehou/devstack/testenv"
	"kehou/jobs"
	"kehou/models"
	"kehou/rediskeys"
)

// Tests of the gaps users found on the way (issue 20, "What users found missing").

// TestTwoPlusNNeedsFivePlusTwo: a school whose plan lists every service but misses a school
// day is neither 2+N nor 2+3, so a county at 50 % 5+2 does not meet its target, in the plans
// view, the monthly report and the dashboard, which shows 5+2, 2+N and urban 2+3 side by side.
func TestTwoPlusNNeedsFivePlusTwo(t *testing.T) {
	e := newEnv(t)
	term := "2026-autumn"
	services := []map[string]any{planItem("homework", "作业辅导", ""), planItem("sports", "体育", ""), planItem("science", "科学", ""),
		planItem("arts", "艺术", ""), planItem("reading", "阅读", "")}
	e.expect(e.req(http.MethodPut, "/api/v1/admin/schools/"+e.schoolA1.ID+"/plans/"+term, e.cntyA,
		map[string]any{"days": fullWeek(), "items": services}), http.StatusOK, "")
	r := e.req(http.MethodPut, "/api/v1/admin/schools/"+e.schoolA2.ID+"/plans/"+term, e.cntyA,
		map[string]any{"days": fullWeek()[:4], "items": services})
	e.expect(r, http.StatusOK, "")
	var v planView
	r.json(t, &v)
	if c := v.Compliance; c.FivePlusTwo || c.TwoPlusN || c.TwoPlusThree || !c.Basic || c.N != 3 ||
		!strings.Contains(strings.Join(c.Reasons, "；"), "未达到5+2") {
		t.Fatalf("four days with 2+3 services: %+v", c)
	}

	var rep complianceReport
	e.req(http.MethodGet, "/api/v1/admin/plans?term="+term, e.cntyA, nil).json(t, &rep)
	a := rep.Total
	if a.Schools != 2 || a.FivePlusTwo != 1 || a.FivePlusTwoRate != 0.5 || a.TwoPlusN != 1 || a.TwoPlusNRate != 0.5 ||
		a.UrbanTwoPlusThree != 1 || a.MeetsTarget || rep.Targets["five_plus_two_rate"] != 1 {
		t.Fatalf("county A at 50 %% 5+2: %+v, targets %v", a, rep.Targets)
	}
	if len(rep.Short) != 1 || rep.Short[0].SchoolID != e.schoolA2.ID {
		t.Fatalf("short: %+v", rep.Short)
	}

	// The monthly report (October, built now, 29 November) and the dashboard agree.
	var month reportView
	e.req(http.MethodGet, "/api/v1/admin/reports/2026-10", e.cntyA, nil).json(t, &month)
	if f := month.Figures; f.PlansFivePlusTwo != 1 || f.PlansTwoPlusN != 1 || f.UrbanTwoPlusThree != 1 ||
		month.Rates["five_plus_two"] == nil || *month.Rates["five_plus_two"] != 0.5 || *month.Rates["two_plus_n"] != 0.5 {
		t.Fatalf("report: %+v %v", f, month.Rates)
	}
	rows := e.xlsxRows(e.req(http.MethodGet, "/api/v1/admin/reports/2026-10/export", e.cntyA, nil), "区县")
	if !strings.Contains(strings.Join(rows[0], ","), "5+2达标率,2+N学校,2+N达标率") {
		t.Fatalf("export header: %v", rows[0])
	}
	var dash struct {
		Items []headline `json:"items"`
	}
	e.req(http.MethodGet, "/api/v1/admin/dashboard", e.cntyA, nil).json(t, &dash)
	if len(dash.Items) < 3 {
		t.Fatalf("dashboard: %+v", dash.Items)
	}
	for i, key := range []string{"five_plus_two", "two_plus_n", "urban_two_plus_three"} {
		h := dash.Items[i]
		if h.Key != key || h.Value == nil || *h.Value != 0.5 || h.Meets == nil || *h.Meets || h.Target == nil {
			t.Fatalf("dashboard item %d: %+v, want %s at 0.5, not met", i, h, key)
		}
	}
}

// TestSurveyTextsNeedAQuestion: asking for a survey's text answers without naming the question
// is a field error naming the missing parameter; an unknown question is one too.
func TestSurveyTextsNeedAQuestion(t *testing.T) {
	e := newEnv(t)
	sv := e.createSurvey(e.cntyA, map[string]any{"template": "after_school_satisfaction"})
	for _, url := range []string{"/texts", "/texts?question=", "/texts?q=体育"} {
		r := e.req(http.MethodGet, "/api/v1/admin/surveys/"+sv.ID+url, e.cntyA, nil)
		e.expect(r, http.StatusUnprocessableEntity, "validation_failed")
		if f := r.envelope(t).Fields; !strings.Contains(f["question"], "question") || len(f) != 1 {
			t.Fatalf("%s: %s", url, r.Body)
		}
	}
	r := e.req(http.MethodGet, "/api/v1/admin/surveys/"+sv.ID+"/texts?question=nope", e.cntyA, nil)
	if f := r.envelope(t).Fields; r.Code != http.StatusUnprocessableEntity || f["question"] == "" {
		t.Fatalf("unknown question: %d %s", r.Code, r.Body)
	}
}

// TestOpenDayWaitingListAndStaffView: a waiting family sees its place in the waiting list (in
// the sign-up answer, its sign-ups and the event detail), which moves up when a family ahead
// cancels; the events list names the family's children, masked; the staff list shows each
// sign-up's session label and the family's phone, masked.
func TestOpenDayWaitingListAndStaffView(t *testing.T) {
	e := newEnv(t)
	fams := e.families(e.schoolA1, "A1", 3, 3)
	ev := e.openDay(e.schA1, 1)
	morning := ev.Sessions[0].ID
	code, first, _ := e.signUp(fams[0], ev.ID, morning, 0)
	if code != http.StatusCreated || first.Status != models.SignUpConfirmed || first.WaitingPosition != 0 {
		t.Fatalf("first: %d %+v", code, first)
	}
	_, second, _ := e.signUp(fams[1], ev.ID, morning, 0)
	_, third, r := e.signUp(fams[2], ev.ID, morning, 0)
	if second.Status != models.SignUpWaiting || second.WaitingPosition != 1 || third.WaitingPosition != 2 ||
		!strings.Contains(string(r.Body), `"waiting_position":2`) {
		t.Fatalf("waiting: %+v, %+v", second, third)
	}
	position := func(f family) (list, detail int) {
		var mine listBody[mySignUp]
		e.req(http.MethodGet, "/api/v1/mp/signups", f.token, nil).json(t, &mine)
		var d mpEventDetail
		e.req(http.MethodGet, "/api/v1/mp/events/"+ev.ID, f.token, nil).json(t, &d)
		if len(mine.Items) != 1 || len(d.MySignUps) != 1 {
			t.Fatalf("sign-ups: %+v, detail %+v", mine.Items, d.MySignUps)
		}
		return mine.Items[0].WaitingPosition, d.MySignUps[0].WaitingPosition
	}
	if l, d := position(fams[2]); l != 2 || d != 2 {
		t.Fatalf("third family's place: %d in its sign-ups, %d in the event", l, d)
	}
	e.expect(e.req(http.MethodPost, "/api/v1/mp/signups/"+second.ID+"/cancel", fams[1].token, nil), http.StatusOK, "")
	if l, d := position(fams[2]); l != 1 || d != 1 {
		t.Fatalf("after the family ahead cancelled: %d, %d", l, d)
	}

	// The events list and the detail name the children, masked.
	var list listBody[mpEvent]
	e.req(http.MethodGet, "/api/v1/mp/events", fams[0].token, nil).json(t, &list)
	if len(list.Items) != 1 || len(list.Items[0].Children) != 1 {
		t.Fatalf("events: %+v", list.Items)
	}
	if k := list.Items[0].Children[0]; k.ID != fams[0].childID || k.Name != models.MaskName("学生A10") {
		t.Fatalf("child named: %+v", k)
	}

	// Staff: the session's label and the family's number, masked, never in full.
	if err := e.st.SetPhone(context.Background(), fams[0].memberID, "+8613812345678"); err != nil {
		t.Fatal(err)
	}
	r = e.req(http.MethodGet, "/api/v1/admin/events/"+ev.ID+"/signups", e.schA1, nil)
	e.expect(r, http.StatusOK, "")
	var staff listBody[staffSignUp]
	r.json(t, &staff)
	byID := map[string]staffSignUp{}
	for _, it := range staff.Items {
		byID[it.ID] = it
		if it.SessionLabel != "上午场" {
			t.Fatalf("session label: %+v", it)
		}
	}
	if byID[first.ID].Phone != "138****5678" || strings.Contains(string(r.Body), "13812345678") || len(staff.Items) != 3 {
		t.Fatalf("staff list: %s", r.Body)
	}
}

// decodeQR checks a QR image answer (a PNG that no cache keeps) and reads the code in it back
// with a QR decoder.
func decodeQR(t *testing.T, r resp) string {
	t.Helper()
	if r.Code != http.StatusOK || r.Header.Get("Content-Type") != "image/png" || r.Header.Get("Cache-Control") != "no-store" ||
		!bytes.HasPrefix(r.Body, []byte("\x89PNG\r\n\x1a\n")) {
		t.Fatalf("QR answer: %d %v %.40q", r.Code, r.Header, r.Body)
	}
	img, err := png.Decode(bytes.NewReader(r.Body))
	if err != nil {
		t.Fatal(err)
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	res, err := zxqr.NewQRCodeReader().Decode(bmp, nil)
	if err != nil {
		t.Fatalf("decode QR: %v", err)
	}
	return res.GetText()
}

// TestQRImagesForTheirHolders: an open-day sign-up's check-in code and a volunteer's attendance
// code come as QR images that decode to the codes themselves; only their holder may fetch
// them (anyone else: 404), and there is none before the sign-up or application is confirmed.
func TestQRImagesForTheirHolders(t *testing.T) {
	e := newEnv(t)
	fams := e.families(e.schoolA1, "A1", 3, 2)
	ev := e.openDay(e.schA1, 1)
	_, mine, _ := e.signUp(fams[0], ev.ID, ev.Sessions[0].ID, 0)
	_, waiting, _ := e.signUp(fams[1], ev.ID, ev.Sessions[0].ID, 0)
	url := "/api/v1/mp/signups/" + mine.ID + "/qr.png"
	if got := decodeQR(t, e.req(http.MethodGet, url, fams[0].token, nil)); mine.CheckinToken == "" || got != mine.CheckinToken {
		t.Fatalf("sign-up QR reads %q, want %q", got, mine.CheckinToken)
	}
	e.expect(e.req(http.MethodGet, url, fams[1].token, nil), http.StatusNotFound, "not_found")
	e.expect(e.req(http.MethodGet, "/api/v1/mp/signups/"+waiting.ID+"/qr.png", fams[1].token, nil), http.StatusConflict, "no_checkin_code")
	e.expect(e.req(http.MethodGet, "/api/v1/mp/signups/nope/qr.png", fams[0].token, nil), http.StatusNotFound, "not_found")
	e.expect(e.req(http.MethodGet, url, "", nil), http.StatusUnauthorized, "unauthenticated")
	// The code in the image is the one staff scan.
	e.now = ev.Sessions[0].StartsAt.Add(-time.Hour)
	e.relogin()
	e.expect(e.req(http.MethodPost, "/api/v1/admin/checkins", e.schA1, map[string]any{"token": decodeQR(t, e.req(http.MethodGet, url, fams[0].token, nil))}), http.StatusOK, "")

	// A volunteer's attendance code, once the school approves the application.
	e.now = time.Date(2026, 11, 29, 9, 0, 0, 0, time.UTC)
	e.relogin()
	p := e.careProgramme(e.schA1, "", 10, 10)
	day7, _ := models.ParseDay(e.now.AddDate(0, 0, 7).In(models.Shanghai).Format("2006-01-02"))
	sh := e.shift(e.schA1, p.ID, day7.Add(9*time.Hour), 2, 2)
	teacher, _ := e.volunteer("王老师", models.VolunteerTeacher, e.schoolA1.ID, "13900002222")
	other, _ := e.volunteer("李老师", models.VolunteerTeacher, e.schoolA1.ID, "13900003333")
	code, a, r := e.applyFor(teacher, sh.ID)
	if code != http.StatusCreated {
		t.Fatalf("apply: %d %s", code, r.Body)
	}
	aurl := "/api/v1/mp/applications/" + a.ID + "/qr.png"
	e.expect(e.req(http.MethodGet, aurl, teacher, nil), http.StatusConflict, "no_checkin_code")
	e.expect(e.req(http.MethodPost, "/api/v1/admin/applications/"+a.ID+"/approve", e.schA1, nil), http.StatusOK, "")
	var apps listBody[myApplication]
	e.req(http.MethodGet, "/api/v1/mp/applications", teacher, nil).json(t, &apps)
	if got := decodeQR(t, e.req(http.MethodGet, aurl, teacher, nil)); len(apps.Items) != 1 || apps.Items[0].CheckinToken == "" || got != apps.Items[0].CheckinToken {
		t.Fatalf("attendance QR reads %q, want %+v", got, apps.Items)
	}
	e.expect(e.req(http.MethodGet, aurl, other, nil), http.StatusNotFound, "not_found")
	e.expect(e.req(http.MethodGet, aurl, fams[0].token, nil), http.StatusNotFound, "not_found")
}

// TestAnswerIsInAtOnce: after the 202 the parent's survey list and the survey say "submitted"
// with the receipt at once, while the answer waits in the queue (no worker yet), while the
// worker's batch holding it is not yet stored (asynq has deleted the answer's own task by then:
// the aggregator's mark says it is in, and without the mark it would read "not started"), and
// once it is stored. The other family's answer stays "not started" throughout.
func TestAnswerIsInAtOnce(t *testing.T) {
	e := newEnv(t)
	fams := e.families(e.schoolA1, "A1", 3, 2)
	sv := openingSurvey(e, e.schA1)
	status := func(f family) (list, detail, receipt string) {
		t.Helper()
		var l listBody[mpSurveyItem]
		e.req(http.MethodGet, "/api/v1/mp/surveys", f.token, nil).json(t, &l)
		var d mpSurveyBody
		e.req(http.MethodGet, "/api/v1/mp/surveys/"+sv.ID, f.token, nil).json(t, &d)
		if len(l.Items) != 1 {
			t.Fatalf("surveys: %+v", l.Items)
		}
		if l.Items[0].Receipt != d.Receipt {
			t.Fatalf("receipts differ: %q %q", l.Items[0].Receipt, d.Receipt)
		}
		return l.Items[0].Status, d.MyStatus, d.Receipt
	}
	r := e.req(http.MethodPost, "/api/v1/mp/surveys/"+sv.ID+"/answers", fams[0].token,
		map[string]any{"answers": map[string]any{"q1": map[string]any{"choice": "B"}, "q3": map[string]any{"score": 5}}})
	e.expect(r, http.StatusAccepted, "")
	var b receiptBody
	r.json(t, &b)
	check := func(when string) {
		t.Helper()
		if l, d, rc := status(fams[0]); l != statusSubmitted || d != statusSubmitted || rc != b.Receipt {
			t.Fatalf("%s: list %q, survey %q, receipt %q (want %q)", when, l, d, rc, b.Receipt)
		}
		if l, d, _ := status(fams[1]); l != statusNotStarted || d != statusNotStarted {
			t.Fatalf("%s: the other family reads %q, %q", when, l, d)
		}
	}
	check("queued, no worker")

	// A worker whose batches wait for a signal before they are stored.
	held := make(chan struct{})
	h := &jobs.Handlers{Store: e.st, Log: testenv.Logger(), Queue: asynq.NewClientFromRedisClient(e.rdb), Redis: e.rdb}
	srv := asynq.NewServerFromRedisClient(e.rdb, jobs.WithAggregation(asynq.Config{Concurrency: 1, Queues: jobs.QueueWeights,
		LogLevel: asynq.FatalLevel, ShutdownTimeout: time.Second}, e.rdb))
	mux := asynq.NewServeMux()
	mux.HandleFunc(jobs.TypeSurveyAnswers, func(ctx context.Context, task *asynq.Task) error {
		<-held
		return h.HandleSurveyAnswers(ctx, task)
	})
	if err := srv.Start(mux); err != nil {
		t.Fatal(err)
	}
	released := false
	defer func() {
		if !released {
			close(held)
		}
		srv.Shutdown()
	}()
	insp := asynq.NewInspectorFromRedisClient(e.rdb)
	deadline := time.Now().Add(20 * time.Second)
	for {
		_, err := insp.GetTaskInfo(jobs.QueueCritical, jobs.AnswerTaskID(b.Receipt))
		if err != nil {
			break // batched: the answer's own task is gone
		}
		if time.Now().After(deadline) {
			t.Fatal("the answer was not batched")
		}
		time.Sleep(100 * time.Millisecond)
	}
	check("batched, not stored")
	mark := rediskeys.AnswerInBatch(sv.ID, e.st.RespondentKey(sv, fams[0].childID))
	if n, err := e.rdb.Exists(context.Background(), mark).Result(); err != nil || n != 1 {
		t.Fatalf("the aggregator's mark: %d %v", n, err)
	}
	// Without the mark (and without the task) nothing would say so: the mark is what tells.
	val, _ := e.rdb.Get(context.Background(), mark).Result()
	e.rdb.Del(context.Background(), mark)
	if l, d, _ := status(fams[0]); l != statusNotStarted || d != statusNotStarted {
		t.Fatalf("without the mark: %q, %q", l, d)
	}
	e.rdb.Set(context.Background(), mark, val, time.Hour)

	close(held)
	released = true
	e.waitResponses(sv.ID, 1)
	e.rdb.Del(context.Background(), mark)
	check("stored")
}
