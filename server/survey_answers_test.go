package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
	"github.com/xuri/excelize/v2"

	"kehou/devstack/testenv"
	"kehou/jobs"
	"kehou/models"
	"kehou/report"
)

// openingSurvey is a small named survey of school A1, published.
func openingSurvey(e *env, token string) models.Survey {
	sv := e.createSurvey(token, map[string]any{"kind": "opinion", "title": "课后服务菜单意见征求",
		"audience": map[string]any{"kind": "scope"}, "opens_at": e.now, "closes_at": e.now.Add(72 * time.Hour), "anonymous": false,
		"questions": []map[string]any{
			{"type": "single", "title": "是否参加", "required": true, "options": []map[string]any{{"label": "参加"}, {"label": "不参加"}}},
			{"type": "multiple", "title": "希望增加的项目", "required": true, "min_picks": 1, "max_picks": 2,
				"options": []map[string]any{{"label": "科普"}, {"label": "体育"}, {"label": "其他", "other": true}},
				"show_if": map[string]any{"question": "q1", "options": []string{"A"}}},
			{"type": "rating", "title": "满意程度", "required": true},
			{"type": "text", "title": "建议", "max_length": 10},
		}})
	return e.publish(token, sv.ID, map[string]any{})
}

func TestSurveyAnswerRulesOverHTTP(t *testing.T) {
	e := newEnv(t)
	fams := e.families(e.schoolA1, "A1", 3, 2)
	sv := openingSurvey(e, e.schA1)
	url := "/api/v1/mp/surveys/" + sv.ID
	good := map[string]any{"q1": map[string]any{"choice": "A"}, "q2": map[string]any{"choices": []string{"A", "C"}, "other": "书法"},
		"q3": map[string]any{"score": 4}}

	cases := []struct {
		name    string
		body    any
		status  int
		code    string
		field   string
		message string
	}{
		{"required missing", map[string]any{"answers": map[string]any{"q1": map[string]any{"choice": "B"}}}, 422, "validation_failed", "answers.q3", "此题必答"},
		{"shown follow-up required", map[string]any{"answers": map[string]any{"q1": map[string]any{"choice": "A"}, "q3": map[string]any{"score": 4}}}, 422, "validation_failed", "answers.q2", "此题必答"},
		{"score out of range", map[string]any{"answers": map[string]any{"q1": map[string]any{"choice": "B"}, "q3": map[string]any{"score": 7}}}, 422, "validation_failed", "answers.q3", "评分应为1–5"},
		{"text too long", map[string]any{"answers": map[string]any{"q1": map[string]any{"choice": "B"}, "q3": map[string]any{"score": 4}, "q4": map[string]any{"text": "一二三四五六七八九十十一"}}}, 422, "validation_failed", "answers.q4", ""},
		{"unknown question", map[string]any{"answers": map[string]any{"q9": map[string]any{"text": "x"}}}, 422, "validation_failed", "answers.q9", ""},
		{"wrong type", map[string]any{"answers": map[string]any{"q3": map[string]any{"score": "5"}}}, 422, "validation_failed", "answers.score", ""},
		{"no answers", map[string]any{"child_id": fams[0].childID}, 422, "validation_failed", "answers", ""},
		{"not my child", map[string]any{"child_id": fams[1].childID, "answers": good}, 422, "validation_failed", "child_id", ""},
		{"unknown field", map[string]any{"answers": good, "score": 1}, 400, "", "score", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := e.req(http.MethodPost, url+"/answers", fams[0].token, c.body)
			env := r.envelope(t)
			if r.Code != c.status || (c.code != "" && env.Code != c.code) || (c.field != "" && env.Fields[c.field] == "") ||
				(c.message != "" && env.Fields[c.field] != c.message) {
				t.Fatalf("got %d %s", r.Code, r.Body)
			}
		})
	}

	// A draft may be partial, comes back, and shows in the list.
	e.expect(e.req(http.MethodPut, url+"/draft", fams[0].token, map[string]any{"answers": map[string]any{"q3": map[string]any{"score": 2}}}), http.StatusOK, "")
	e.expect(e.req(http.MethodPut, url+"/draft", fams[0].token, map[string]any{"answers": map[string]any{"q3": map[string]any{"score": 9}}}), http.StatusUnprocessableEntity, "validation_failed")
	var got mpSurveyBody
	opened := e.req(http.MethodGet, url, fams[0].token, nil)
	opened.json(t, &got)
	if got.MyStatus != statusDraft || *got.Draft["q3"].Score != 2 {
		t.Fatalf("draft: %+v", got)
	}
	var keys map[string]any
	opened.json(t, &keys)
	for _, staffOnly := range []string{"author_id", "audience", "notice_id", "channels", "reminded", "answered", "template"} {
		if _, ok := keys[staffOnly]; ok {
			t.Errorf("a parent's survey shows %s", staffOnly)
		}
	}

	// Submitting: 202 with a receipt; the repeat gets the same receipt and changes nothing.
	// No worker runs here, so the first answer is still queued when the repeat arrives.
	r := e.req(http.MethodPost, url+"/answers", fams[0].token, map[string]any{"answers": good})
	e.expect(r, http.StatusAccepted, "")
	var first, again receiptBody
	r.json(t, &first)
	changed := map[string]any{"q1": map[string]any{"choice": "B"}, "q3": map[string]any{"score": 1}}
	r = e.req(http.MethodPost, url+"/answers", fams[0].token, map[string]any{"answers": changed})
	e.expect(r, http.StatusAccepted, "")
	r.json(t, &again)
	if first.Receipt == "" || again.Receipt != first.Receipt || first.Status != "queued" || again.Status != statusSubmitted {
		t.Fatalf("first %+v, repeat %+v", first, again)
	}
	// The questions are fixed from the first answer on.
	e.expect(e.req(http.MethodPatch, "/api/v1/admin/surveys/"+sv.ID, e.schA1, map[string]any{"title": "改名"}), http.StatusConflict, "survey_locked")

	// The worker stores the first answer, with the family named (a named survey).
	e.worker()
	e.waitResponses(sv.ID, 1)
	stored, err := e.st.ResponseOf(context.Background(), sv.ID, e.st.RespondentKey(sv, fams[0].childID))
	if err != nil || stored.Answers["q1"].Choice != "A" || stored.Answers["q2"].Other != "书法" || stored.MemberID != fams[0].memberID || stored.ChildID != fams[0].childID {
		t.Fatalf("stored %+v, %v", stored, err)
	}

	// Once stored, the task id is free again (asynq drops a group's tasks when it aggregates
	// them), so a repeat is queued anew, with the first receipt, and the unique index drops it:
	// the first answer stands. The same with the child named, and with neither the session nor
	// the children cached (both read from MongoDB).
	r = e.req(http.MethodPost, url+"/answers", fams[0].token, map[string]any{"answers": changed})
	e.expect(r, http.StatusAccepted, "")
	r.json(t, &again)
	if again.Receipt != first.Receipt || stored.ID == first.Receipt {
		t.Fatalf("repeat after storing: %s (stored id %s)", r.Body, stored.ID)
	}
	named := map[string]any{"child_id": fams[0].childID, "answers": changed}
	e.expect(e.req(http.MethodPost, url+"/answers", fams[0].token, named), http.StatusAccepted, "")
	for _, pattern := range []string{"kehou:s:*", "kehou:kids:*"} {
		keys, err := e.rdb.Keys(context.Background(), pattern).Result()
		if err != nil || len(keys) == 0 {
			t.Fatalf("%s: %v %v", pattern, keys, err)
		}
		e.rdb.Del(context.Background(), keys...)
	}
	e.expect(e.req(http.MethodPost, url+"/answers", fams[0].token, named), http.StatusAccepted, "")
	e.waitQueueEmpty()
	e.waitResponses(sv.ID, 1)
	if again, err := e.st.ResponseOf(context.Background(), sv.ID, e.st.RespondentKey(sv, fams[0].childID)); err != nil || again.ID != stored.ID || again.Answers["q1"].Choice != "A" {
		t.Fatalf("the stored answer changed: %+v, %v", again, err)
	}
	// Without a token the answer is refused as such, whatever the body.
	e.expect(e.req(http.MethodPost, url+"/answers", "", named), http.StatusUnauthorized, "unauthenticated")
	e.expect(e.req(http.MethodPost, url+"/answers", "", "{"), http.StatusUnauthorized, "unauthenticated")
	e.expect(e.req(http.MethodPost, url+"/answers", "not-a-token", named), http.StatusUnauthorized, "unauthenticated")

	// After close, answers are refused with a clear message; before opening too.
	e.expect(e.req(http.MethodPost, "/api/v1/admin/surveys/"+sv.ID+"/close", e.schA1, nil), http.StatusOK, "")
	r = e.req(http.MethodPost, url+"/answers", fams[1].token, map[string]any{"answers": good})
	e.expect(r, http.StatusConflict, "survey_closed")
	e.expect(e.req(http.MethodPost, "/api/v1/admin/surveys/"+sv.ID+"/close", e.schA1, nil), http.StatusConflict, "survey_state")
	later := e.createSurvey(e.schA1, map[string]any{"title": "下学期意见", "audience": map[string]any{"kind": "scope"},
		"opens_at": e.now.Add(24 * time.Hour), "closes_at": e.now.Add(48 * time.Hour),
		"questions": []map[string]any{{"type": "nps", "title": "推荐意愿", "required": true}}})
	e.publish(e.schA1, later.ID, map[string]any{})
	e.expect(e.req(http.MethodPost, "/api/v1/mp/surveys/"+later.ID+"/answers", fams[1].token,
		map[string]any{"answers": map[string]any{"q1": map[string]any{"score": 10}}}), http.StatusConflict, "survey_not_open")
	// A draft is not visible to parents at all.
	draft := e.createSurvey(e.schA1, map[string]any{"title": "草稿", "audience": map[string]any{"kind": "scope"},
		"opens_at": e.now, "closes_at": e.now.Add(48 * time.Hour), "questions": []map[string]any{{"type": "nps", "title": "推荐意愿"}}})
	e.expect(e.req(http.MethodGet, "/api/v1/mp/surveys/"+draft.ID, fams[1].token, nil), http.StatusNotFound, "not_found")
}

func TestSurveyDefinitionErrorsOverHTTP(t *testing.T) {
	e := newEnv(t)
	r := e.req(http.MethodPost, "/api/v1/admin/surveys", e.schA1, map[string]any{"title": "t", "audience": map[string]any{"kind": "scope"},
		"opens_at": e.now, "closes_at": e.now.Add(time.Hour), "questions": []map[string]any{
			{"type": "single", "title": "a", "options": []map[string]any{{"label": "x"}, {"label": ""}}},
			{"type": "rating", "title": "b", "show_if": map[string]any{"question": "q3", "options": []string{"A"}}},
			{"type": "single", "title": "c", "options": []map[string]any{{"label": "x"}, {"label": "y"}}},
		}})
	env := r.envelope(t)
	if r.Code != 422 || env.Fields["questions[0].options[1].label"] == "" || env.Fields["questions[1].show_if.question"] == "" {
		t.Fatalf("got %d %s", r.Code, r.Body)
	}
	e.expect(e.req(http.MethodPost, "/api/v1/admin/surveys", e.schA1, map[string]any{"template": "nope"}), 422, "validation_failed")
}

func TestSurveyScope(t *testing.T) {
	e := newEnv(t)
	county := e.createSurvey(e.cntyA, map[string]any{"template": "after_school_satisfaction"})
	school := openingSurvey(e, e.schA1)
	b1, _ := e.staffSession("school-b1", scopeB1(e))
	a2, _ := e.staffSession("school-a2", models.Scope{Role: models.RoleSchool, CountyID: e.countyA.ID, SchoolID: e.schoolA2.ID})
	for _, path := range []string{"", "/results", "/export", "/texts?question=q4"} {
		e.expect(e.req(http.MethodGet, "/api/v1/admin/surveys/"+school.ID+path, b1, nil), http.StatusNotFound, "not_found")
		e.expect(e.req(http.MethodGet, "/api/v1/admin/surveys/"+school.ID+path, a2, nil), http.StatusNotFound, "not_found")
		e.expect(e.req(http.MethodGet, "/api/v1/admin/surveys/"+county.ID+path, b1, nil), http.StatusNotFound, "not_found")
	}
	e.expect(e.req(http.MethodPost, "/api/v1/admin/surveys/"+school.ID+"/close", b1, nil), http.StatusNotFound, "not_found")
	// A school sees its county's survey but cannot manage it.
	e.expect(e.req(http.MethodGet, "/api/v1/admin/surveys/"+county.ID, e.schA1, nil), http.StatusOK, "")
	e.expect(e.req(http.MethodPost, "/api/v1/admin/surveys/"+county.ID+"/publish", e.schA1, map[string]any{}), http.StatusForbidden, "forbidden")
	var list listBody[models.Survey]
	e.req(http.MethodGet, "/api/v1/admin/surveys", b1, nil).json(t, &list)
	if len(list.Items) != 0 {
		t.Fatalf("B1 lists %d surveys", len(list.Items))
	}
	e.req(http.MethodGet, "/api/v1/admin/surveys", e.schA1, nil).json(t, &list)
	if len(list.Items) != 2 {
		t.Fatalf("A1 lists %d surveys", len(list.Items))
	}
	// An audience outside the author's scope is refused.
	r := e.req(http.MethodPost, "/api/v1/admin/surveys", e.cntyA, map[string]any{"template": "after_school_satisfaction",
		"audience": map[string]any{"kind": "schools", "school_ids": []string{e.schoolB1.ID}}})
	e.expect(r, http.StatusUnprocessableEntity, "validation_failed")
}

// TestOneAnswerPerFamilyUnderConcurrency: two parents of one child and their retries, 50
// submissions at once, with a worker storing as they come: one answer is stored.
func TestOneAnswerPerFamilyUnderConcurrency(t *testing.T) {
	e := newEnv(t)
	e.worker()
	fams := e.families(e.schoolA1, "A1", 3, 1)
	// A second parent of the same child.
	ctx := context.Background()
	second := e.parent("mother")
	_ = e.st.AddGuardianships(ctx, []models.Guardianship{{ChildID: fams[0].childID, MemberID: e.memberID(second), SchoolID: e.schoolA1.ID, CountyID: e.countyA.ID}})
	sv := e.createSurvey(e.schA1, map[string]any{"template": "after_school_satisfaction"})
	e.publish(e.schA1, sv.ID, map[string]any{})
	type outcome struct {
		code    int
		body    receiptBody
		overall int
	}
	results := make(chan outcome, 50)
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tok := fams[0].token
			if i%2 == 1 {
				tok = second
			}
			r := e.req(http.MethodPost, "/api/v1/mp/surveys/"+sv.ID+"/answers", tok,
				map[string]any{"answers": templateAnswers(1+i%5, "A", "B", nil, "")})
			var b receiptBody
			_ = json.Unmarshal(r.Body, &b)
			results <- outcome{r.Code, b, 1 + i%5}
		}()
	}
	wg.Wait()
	close(results)
	want := e.st.ReceiptID(sv, fams[0].childID)
	queued := map[int]bool{} // overall scores of submissions the API queued as new
	for o := range results {
		switch {
		case o.code == http.StatusAccepted && o.body.Receipt == want && o.body.Status == "queued":
			queued[o.overall] = true
		case o.code == http.StatusAccepted && o.body.Receipt == want && o.body.Status == statusSubmitted:
		case o.code == http.StatusConflict:
		default:
			t.Errorf("submission: %d %+v", o.code, o.body)
		}
	}
	if len(queued) == 0 {
		t.Fatal("no submission was queued")
	}
	e.waitResponses(sv.ID, 1)
	testenv.WaitQueuesIdle(t, e.rdb, 30*time.Second) // any straggling batch has landed by now
	e.waitResponses(sv.ID, 1)
	stored, err := e.st.ResponseOf(ctx, sv.ID, e.st.RespondentKey(sv, fams[0].childID))
	if err != nil || !queued[*stored.Answers["overall"].Score] {
		t.Fatalf("stored %+v (%v), which no accepted submission sent", stored, err)
	}
}

// TestAnswerStoredDirectlyWhenRedisIsDown: the queue refuses, the answer goes to MongoDB
// before the 202; nothing accepted is lost.
func TestAnswerStoredDirectlyWhenRedisIsDown(t *testing.T) {
	e := newEnv(t)
	fams := e.families(e.schoolA1, "A1", 3, 2)
	sv := openingSurvey(e, e.schA1)
	dead := asynq.NewClient(asynq.RedisClientOpt{Addr: "127.0.0.1:1", DialTimeout: 200 * time.Millisecond})
	t.Cleanup(func() { _ = dead.Close() })
	tmpl, _ := e.cfg.Templates()
	e.srv = New(Deps{Config: e.cfg, Store: e.st, Redis: e.rdb, Wechat: e.wx, Logger: e.srv.log, Version: "test",
		Queue: dead, Channels: []string{"wxsubscribe", "sms"}, WxTemplates: tmpl})
	e.srv.now = func() time.Time { return e.now }
	r := e.req(http.MethodPost, "/api/v1/mp/surveys/"+sv.ID+"/answers", fams[0].token,
		map[string]any{"answers": map[string]any{"q1": map[string]any{"choice": "B"}, "q3": map[string]any{"score": 5}}})
	e.expect(r, http.StatusAccepted, "")
	var b receiptBody
	r.json(t, &b)
	if b.Status != "stored" {
		t.Fatalf("status %q", b.Status)
	}
	e.waitResponses(sv.ID, 1)
	if _, err := e.st.ResponseOf(context.Background(), sv.ID, e.st.RespondentKey(sv, fams[0].childID)); err != nil {
		t.Fatal(err)
	}

	// Stored directly, but the first counter write fails: the direct store tries again with the
	// same answer, so the month's figure still equals a recount.
	var faults atomic.Int32
	e.st.SetCountFault(func(string) error {
		if faults.Add(1) == 1 {
			return errors.New("injected counter fault")
		}
		return nil
	})
	r = e.req(http.MethodPost, "/api/v1/mp/surveys/"+sv.ID+"/answers", fams[1].token,
		map[string]any{"answers": map[string]any{"q1": map[string]any{"choice": "B"}, "q3": map[string]any{"score": 4}}})
	e.expect(r, http.StatusAccepted, "")
	if r.json(t, &b); b.Status != "stored" || faults.Load() < 2 {
		t.Fatalf("status %q after %d counter writes", b.Status, faults.Load())
	}
	e.st.SetCountFault(nil)
	ctx, month := context.Background(), models.MonthOf(e.now)
	written, err := report.New(e.st).Build(ctx, month)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.st.RecountReports(ctx); err != nil {
		t.Fatal(err)
	}
	recounted, err := report.New(e.st).Build(ctx, month)
	if err != nil {
		t.Fatal(err)
	}
	if written.City.SurveyResponses != 2 || written.City.SurveyResponses != recounted.City.SurveyResponses {
		t.Fatalf("answers counted %d, recounted %d, want 2", written.City.SurveyResponses, recounted.City.SurveyResponses)
	}
}

// TestAnswerCheckedAgainstAnEditedSurvey: a replica that cached the survey before staff edited
// it elsewhere must not store an answer checked against the old version.
func TestAnswerCheckedAgainstAnEditedSurvey(t *testing.T) {
	e := newEnv(t)
	fams := e.families(e.schoolA1, "A1", 3, 1)
	sv := openingSurvey(e, e.schA1)
	url := "/api/v1/mp/surveys/" + sv.ID
	e.expect(e.req(http.MethodGet, url, fams[0].token, nil), http.StatusOK, "") // caches version 1

	// Another API replica saves version 2: q3 becomes a text question.
	v2, err := e.st.Survey(context.Background(), sv.ID)
	if err != nil {
		t.Fatal(err)
	}
	v2.Questions[2] = models.Question{ID: "q3", Type: models.QText, Title: "满意吗", Required: true, MaxLength: 20}
	e.now = e.now.Add(time.Second)
	if err := e.st.UpdateSurvey(context.Background(), &v2); err != nil {
		t.Fatal(err)
	}
	r := e.req(http.MethodPost, url+"/answers", fams[0].token,
		map[string]any{"answers": map[string]any{"q1": map[string]any{"choice": "B"}, "q3": map[string]any{"score": 5}}})
	e.expect(r, http.StatusUnprocessableEntity, "validation_failed")
	if r.envelope(t).Fields["answers.q3"] == "" {
		t.Fatalf("answer checked against the old version: %s", r.Body)
	}
	e.expect(e.req(http.MethodPost, url+"/answers", fams[0].token,
		map[string]any{"answers": map[string]any{"q1": map[string]any{"choice": "B"}, "q3": map[string]any{"text": "满意"}}}), http.StatusAccepted, "")
}

// TestTextsOfSmallSchoolsAreHidden: a school with fewer than 5 answers shows no texts, in the
// list or the export, even to its own admin.
func TestTextsOfSmallSchoolsAreHidden(t *testing.T) {
	e := newEnv(t)
	e.worker()
	big, small := e.families(e.schoolA1, "A1", 3, 5), e.families(e.schoolA2, "A2", 3, 2)
	sv := e.createSurvey(e.cntyA, map[string]any{"template": "after_school_satisfaction"})
	e.publish(e.cntyA, sv.ID, map[string]any{})
	for i, f := range append(big, small...) {
		e.expect(e.req(http.MethodPost, "/api/v1/mp/surveys/"+sv.ID+"/answers", f.token,
			map[string]any{"answers": templateAnswers(4, "A", "A", []int{4, 4, 4, 4, 4}, fmt.Sprintf("建议%d", i))}), http.StatusAccepted, "")
	}
	e.waitResponses(sv.ID, 7)
	var texts listBody[textAnswerItem]
	e.req(http.MethodGet, "/api/v1/admin/surveys/"+sv.ID+"/texts?question=suggest&limit=200", e.cntyA, nil).json(t, &texts)
	if len(texts.Items) != 5 {
		t.Fatalf("county sees %d texts, want A1's 5", len(texts.Items))
	}
	for _, it := range texts.Items {
		if it.School != "甲一小学" {
			t.Fatalf("a text of a school with 2 answers is shown: %+v", it)
		}
	}
	a2, _ := e.staffSession("school-a2", models.Scope{Role: models.RoleSchool, CountyID: e.countyA.ID, SchoolID: e.schoolA2.ID})
	e.req(http.MethodGet, "/api/v1/admin/surveys/"+sv.ID+"/texts?question=suggest", a2, nil).json(t, &texts)
	if len(texts.Items) != 0 {
		t.Fatalf("A2 sees %d of its 2 texts", len(texts.Items))
	}
	r := e.req(http.MethodGet, "/api/v1/admin/surveys/"+sv.ID+"/export", e.cntyA, nil)
	e.expect(r, http.StatusOK, "")
	f, err := excelize.OpenReader(bytes.NewReader(r.Body))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, _ := f.GetRows("文字答案")
	if len(rows) != 1+5 {
		t.Fatalf("export text sheet: %v", rows)
	}
	for _, row := range rows[1:] {
		if row[0] != "甲一小学" {
			t.Fatalf("the export carries a small school's text: %v", row)
		}
	}
}

// waitQueueEmpty waits until no task is left on the critical queue (answers waiting in their
// group, queued, running or to be retried).
func (e *env) waitQueueEmpty() {
	e.t.Helper()
	in := asynq.NewInspectorFromRedisClient(e.rdb)
	deadline := time.Now().Add(30 * time.Second)
	for {
		q, err := in.GetQueueInfo(jobs.QueueCritical)
		if err != nil {
			e.t.Fatal(err)
		}
		if q.Pending+q.Active+q.Aggregating+q.Retry+q.Scheduled == 0 {
			return
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("queue not empty after 30 s: %+v", q)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// redisCounter counts the commands a Redis client sends, alone or in (auto)pipelined batches.
type redisCounter struct{ n atomic.Int64 }

func (h *redisCounter) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h *redisCounter) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		h.n.Add(1)
		return next(ctx, cmd)
	}
}

func (h *redisCounter) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		h.n.Add(int64(len(cmds)))
		return next(ctx, cmds)
	}
}

// TestAnswerCostsTwoRedisCommands: a parent who opened the survey (which caches their session
// and children in Redis) submits with two Redis commands, the admission script and asynq's
// enqueue, counted on the server's client. The admission holds what it must for that price: a
// logged-out token, an unbound child and an exceeded limit are refused; a repeat gets the first
// receipt; an answer that fails a check is refused with the field named and still counts
// against the limit; every accepted answer is stored once.
func TestAnswerCostsTwoRedisCommands(t *testing.T) {
	e := newEnv(t)
	fams := e.families(e.schoolA1, "A1", 3, 5)
	sv := openingSurvey(e, e.schA1)
	url := "/api/v1/mp/surveys/" + sv.ID
	good := map[string]any{"q1": map[string]any{"choice": "B"}, "q3": map[string]any{"score": 5}}
	var count redisCounter
	e.rdb.AddHook(&count)
	submit := func(f family, answers map[string]any) (resp, receiptBody, int64) {
		before := count.n.Load()
		r := e.req(http.MethodPost, url+"/answers", f.token, map[string]any{"child_id": f.childID, "answers": answers})
		cost := count.n.Load() - before
		var b receiptBody
		if r.Code == http.StatusAccepted {
			r.json(t, &b)
		}
		return r, b, cost
	}
	open := func(f family) { e.expect(e.req(http.MethodGet, url, f.token, nil), http.StatusOK, "") }

	// The first answer of this process also loads the scripts and registers asynq's queue.
	open(fams[4])
	r, _, _ := submit(fams[4], good)
	e.expect(r, http.StatusAccepted, "")
	for _, f := range fams[:2] {
		open(f)
		r, b, cost := submit(f, good)
		e.expect(r, http.StatusAccepted, "")
		if b.Status != "queued" || b.Receipt != e.st.ReceiptID(sv, f.childID) || cost > 2 {
			t.Fatalf("answer: %+v, %d Redis commands, want at most 2", b, cost)
		}
		if cost == 0 {
			t.Fatal("the counter saw no command: is the hook on the server's client?")
		}
	}
	// A repeat while queued gets the first receipt, for the same price.
	if r, b, cost := submit(fams[0], good); r.Code != http.StatusAccepted || b.Status != statusSubmitted ||
		b.Receipt != e.st.ReceiptID(sv, fams[0].childID) || cost > 2 {
		t.Fatalf("repeat while queued: %d %+v, %d commands", r.Code, b, cost)
	}

	// A failing answer is refused with its field error, after one command (the admission).
	open(fams[2])
	r, _, cost := submit(fams[2], map[string]any{"q1": map[string]any{"choice": "B"}, "q3": map[string]any{"score": 9}})
	e.expect(r, http.StatusUnprocessableEntity, "validation_failed")
	if !strings.Contains(string(r.Body), "answers.q3") || cost != 1 {
		t.Fatalf("failing answer: %s, %d commands", r.Body, cost)
	}
	// Logged out after opening: refused.
	e.expect(e.req(http.MethodPost, "/api/v1/mp/logout", fams[1].token, nil), http.StatusNoContent, "")
	r, _, _ = submit(fams[1], good)
	e.expect(r, http.StatusUnauthorized, "unauthenticated")
	// Unbound after opening: the survey reaches none of the family's children any more, so it
	// is not found for them (as an unknown id).
	var mine listBody[myChild]
	e.req(http.MethodGet, "/api/v1/mp/children", fams[2].token, nil).json(t, &mine)
	e.expect(e.req(http.MethodDelete, "/api/v1/mp/children/"+mine.Items[0].ID, fams[2].token, nil), http.StatusNoContent, "")
	r, _, _ = submit(fams[2], good)
	e.expect(r, http.StatusNotFound, "not_found")

	// The member's limit holds: the opening, a failing answer (counted), an answer and its
	// repeat make four of four; the fifth request is refused.
	e.cfg.RateMemberPerMin = 4
	e.rebuild()
	open(fams[3])
	r, _, _ = submit(fams[3], map[string]any{"q3": map[string]any{"score": 9}})
	e.expect(r, http.StatusUnprocessableEntity, "validation_failed")
	if r, b, _ := submit(fams[3], good); r.Code != http.StatusAccepted || b.Status != "queued" {
		t.Fatalf("answer within the limit: %d %s", r.Code, r.Body)
	}
	if r, b, _ := submit(fams[3], good); r.Code != http.StatusAccepted || b.Status != statusSubmitted {
		t.Fatalf("repeat within the limit: %d %s", r.Code, r.Body)
	}
	r, _, _ = submit(fams[3], good)
	e.expect(r, http.StatusTooManyRequests, "rate_limited")

	// Every accepted answer is stored, once.
	e.worker()
	e.waitResponses(sv.ID, 4)
	e.waitQueueEmpty()
	e.waitResponses(sv.ID, 4)
}
