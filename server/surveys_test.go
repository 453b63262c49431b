package server

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/xuri/excelize/v2"
	"go.mongodb.org/mongo-driver/v2/bson"

	"kehou/devstack/testenv"
	"kehou/jobs"
	"kehou/models"
	"kehou/store"
)

// family is a parent signed in with one child bound.
type family struct {
	token, memberID, childID string
}

// families puts n pupils of the given grade on a school's roster, each with one parent bound
// and signed in.
func (e *env) families(school models.School, prefix string, grade, n int) []family {
	e.t.Helper()
	var b strings.Builder
	b.WriteString("学号,姓名,年级,班级\n")
	for i := range n {
		fmt.Fprintf(&b, "%s%03d,学生%s%d,%d,1班\n", prefix, i, prefix, i, grade)
	}
	e.expect(e.importRoster(school.ID, b.String()), http.StatusOK, "")
	ctx := context.Background()
	var news []store.NewMember
	for i := range n {
		news = append(news, store.NewMember{OpenID: fmt.Sprintf("open-%s-%d", prefix, i)})
	}
	members, err := e.st.CreateMembers(ctx, news)
	if err != nil {
		e.t.Fatal(err)
	}
	var out []family
	var gs []models.Guardianship
	for i, m := range members {
		kids, _, err := e.st.Children(ctx, school.ID, grade, "", store.Page{Limit: 200})
		if err != nil {
			e.t.Fatal(err)
		}
		var child models.Child
		for _, k := range kids {
			if k.StudentNo == fmt.Sprintf("%s%03d", prefix, i) {
				child = k
			}
		}
		gs = append(gs, models.Guardianship{ChildID: child.ID, MemberID: m.ID, SchoolID: school.ID, CountyID: school.CountyID})
		token, _, err := e.st.CreateSession(ctx, models.SessionMember, m.ID, 30*24*time.Hour)
		if err != nil {
			e.t.Fatal(err)
		}
		out = append(out, family{token: token, memberID: m.ID, childID: child.ID})
	}
	if err := e.st.AddGuardianships(ctx, gs); err != nil {
		e.t.Fatal(err)
	}
	return out
}

// worker runs the real job handlers against the test's store and Redis database.
func (e *env) worker() {
	srv := asynq.NewServerFromRedisClient(e.rdb, jobs.WithAggregation(asynq.Config{Concurrency: 2, Queues: jobs.QueueWeights,
		LogLevel: asynq.FatalLevel, ShutdownTimeout: time.Second}, e.rdb))
	mux := asynq.NewServeMux()
	(&jobs.Handlers{Store: e.st, Log: testenv.Logger(), Queue: asynq.NewClientFromRedisClient(e.rdb), Redis: e.rdb}).Register(mux)
	if err := srv.Start(mux); err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(srv.Shutdown)
}

// waitResponses waits until n answers of a survey are stored.
func (e *env) waitResponses(surveyID string, n int) {
	e.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		got, err := e.st.CountResponses(context.Background(), surveyID, models.Scope{Role: models.RoleCity})
		if err != nil {
			e.t.Fatal(err)
		}
		if got == n {
			return
		}
		if got > n || time.Now().After(deadline) {
			e.t.Fatalf("stored answers: %d, want %d", got, n)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (e *env) createSurvey(token string, body map[string]any) models.Survey {
	e.t.Helper()
	r := e.req(http.MethodPost, "/api/v1/admin/surveys", token, body)
	e.expect(r, http.StatusCreated, "")
	var sv models.Survey
	r.json(e.t, &sv)
	return sv
}

func (e *env) publish(token, id string, body map[string]any) models.Survey {
	e.t.Helper()
	r := e.req(http.MethodPost, "/api/v1/admin/surveys/"+id+"/publish", token, body)
	e.expect(r, http.StatusOK, "")
	var sv models.Survey
	r.json(e.t, &sv)
	return sv
}

func templateAnswers(overall int, aware, joined string, rows []int, suggest string) map[string]any {
	a := map[string]any{"aware": map[string]any{"choice": aware}, "joined": map[string]any{"choice": joined},
		"overall": map[string]any{"score": overall}}
	if joined == "A" {
		a["services"] = map[string]any{"rows": rows}
	} else {
		a["why_not"] = map[string]any{"choices": []string{"D"}, "other": "孩子在外婆家"}
	}
	if suggest != "" {
		a["suggest"] = map[string]any{"text": suggest}
	}
	return a
}

// TestSatisfactionTemplateEndToEnd is the "done means": a county admin publishes the
// satisfaction template to two schools, parents answer it through the API and the queue, and
// the results, breakdowns and exports are right (figures worked out by hand below).
func TestSatisfactionTemplateEndToEnd(t *testing.T) {
	e := newEnv(t)
	e.worker()
	a1 := e.families(e.schoolA1, "A1", 3, 6)
	a2 := e.families(e.schoolA2, "A2", 4, 3)
	e.families(e.schoolB1, "B1", 3, 2) // another county: not targeted

	sv := e.createSurvey(e.cntyA, map[string]any{"template": "after_school_satisfaction",
		"audience": map[string]any{"kind": "schools", "school_ids": []string{e.schoolA1.ID, e.schoolA2.ID}}})
	if sv.CountyID != e.countyA.ID || sv.SchoolID != "" || !sv.Anonymous || len(sv.Questions) != 6 || sv.Status != models.SurveyDraft {
		t.Fatalf("survey from template: %+v", sv)
	}
	sv = e.publish(e.cntyA, sv.ID, map[string]any{"channels": []string{}})
	if sv.Status != models.SurveyPublished || sv.RemindAt.IsZero() {
		t.Fatalf("published: %+v", sv)
	}

	// The parent's list: one item for their child, not started.
	var list listBody[mpSurveyItem]
	e.req(http.MethodGet, "/api/v1/mp/surveys", a1[0].token, nil).json(t, &list)
	if len(list.Items) != 1 || list.Items[0].Status != statusNotStarted || list.Items[0].ChildID != a1[0].childID {
		t.Fatalf("parent's list: %+v", list.Items)
	}
	// B1's parents are not reached.
	e.families(e.schoolB1, "B1x", 3, 1)
	var none listBody[mpSurveyItem]
	tokB := e.families(e.schoolB1, "B1y", 3, 1)[0].token
	e.req(http.MethodGet, "/api/v1/mp/surveys", tokB, nil).json(t, &none)
	if len(none.Items) != 0 {
		t.Fatalf("another county's parent sees %+v", none.Items)
	}
	e.expect(e.req(http.MethodPost, "/api/v1/mp/surveys/"+sv.ID+"/answers", tokB,
		map[string]any{"answers": templateAnswers(5, "A", "A", []int{5, 5, 5, 5, 5}, "")}), http.StatusNotFound, "not_found")

	// A1: overall 5,5,4,3,2,4; aware A,A,B,C,A,B; joined A×5 (matrix rows all = overall) and one B.
	overall := []int{5, 5, 4, 3, 2, 4}
	aware := []string{"A", "A", "B", "C", "A", "B"}
	for i, f := range a1 {
		joined := "A"
		if i == 5 {
			joined = "B"
		}
		o := overall[i]
		suggest := ""
		if i == 0 {
			suggest = "希望增加体育活动时间"
		}
		r := e.req(http.MethodPost, "/api/v1/mp/surveys/"+sv.ID+"/answers", f.token,
			map[string]any{"answers": templateAnswers(o, aware[i], joined, []int{o, o, o, o, o}, suggest)})
		e.expect(r, http.StatusAccepted, "")
	}
	// A2: three answers, a group too small to show.
	for _, f := range a2 {
		e.expect(e.req(http.MethodPost, "/api/v1/mp/surveys/"+sv.ID+"/answers", f.token,
			map[string]any{"answers": templateAnswers(1, "C", "A", []int{1, 1, 1, 1, 1}, "")}), http.StatusAccepted, "")
	}
	e.waitResponses(sv.ID, 9)
	e.req(http.MethodGet, "/api/v1/mp/surveys", a1[0].token, nil).json(t, &list)
	if list.Items[0].Status != statusSubmitted || list.Items[0].Receipt == "" {
		t.Fatalf("after submitting: %+v", list.Items)
	}

	var res store.SurveyResults
	r := e.req(http.MethodGet, "/api/v1/admin/surveys/"+sv.ID+"/results", e.cntyA, nil)
	e.expect(r, http.StatusOK, "")
	r.json(t, &res)
	if len(res.Groups) != 3 {
		t.Fatalf("groups: %+v", res.Groups)
	}
	all, g1, g2 := res.Groups[0], res.Groups[1], res.Groups[2]
	if g1.Name != "甲一小学" || g2.Name != "甲二小学" {
		t.Fatalf("school groups: %s, %s", g1.Name, g2.Name)
	}
	// All 9 of 9 targeted. Satisfaction is the overall question's alone (the matrix rows are
	// reported apart): 4–5 in A1 ×4 (5,5,4,4), A2 none → 4 of 9 = 0.4444. Awareness A or B:
	// A1 5 of 6, A2 0 of 3 → 5/9.
	want := []struct {
		name      string
		got, want any
	}{
		{"targeted", all.Targeted, 9}, {"responses", all.Responses, 9}, {"response rate", *all.ResponseRate, 1.0},
		{"satisfaction", *all.SatisfactionRate, 0.4444}, {"satisfaction question", all.SatisfactionQuestion, "overall"}, {"awareness", *all.AwarenessRate, 0.5556},
		{"A2 too few", g2.TooFew, true}, {"A2 responses", g2.Responses, 3}, {"A2 figures hidden", g2.SatisfactionRate == nil, true},
		// A1 alone would give A2's figures away (all minus A1), so the county sees neither.
		{"A1 hidden", g1.TooFew, true}, {"A1 note", g1.Note, models.SuppressedNote}, {"A1 responses", g1.Responses, 6},
		{"A1 figures hidden", g1.SatisfactionRate == nil, true},
	}
	for _, w := range want {
		if w.got != w.want {
			t.Errorf("%s: got %v, want %v", w.name, w.got, w.want)
		}
	}

	// The city sees a county group too; school A1's admin sees only A1.
	e.req(http.MethodGet, "/api/v1/admin/surveys/"+sv.ID+"/results", e.city, nil).json(t, &res)
	if len(res.Groups) != 4 || res.Groups[1].Level != models.LevelCounty || res.Groups[1].Responses != 9 {
		t.Fatalf("city view: %+v", res.Groups)
	}
	e.req(http.MethodGet, "/api/v1/admin/surveys/"+sv.ID+"/results", e.schA1, nil).json(t, &res)
	if len(res.Groups) != 2 || res.Groups[0].Responses != 6 || res.Groups[0].Targeted != 6 || res.Groups[1].TooFew {
		t.Fatalf("school view: %+v", res.Groups)
	}
	// A1's own figures: overall 4–5 ×4 of 6 = 0.6667 (the matrix cells not mixed in); overall mean
	// 23/6 = 3.83; "very aware" 3 of 6. why_not was answered by one parent: too few to show.
	a1g := res.Groups[1]
	for _, w := range []struct {
		name      string
		got, want any
	}{
		{"A1 satisfaction", *a1g.SatisfactionRate, 0.6667}, {"A1 overall mean", *a1g.Questions[3].Mean, 3.83},
		{"A1 aware share of A", a1g.Questions[0].Options[0].Share, 0.5},
		{"A1 why_not too few", a1g.Questions[4].TooFew && a1g.Questions[4].Options == nil, true},
	} {
		if w.got != w.want {
			t.Errorf("%s: got %v, want %v", w.name, w.got, w.want)
		}
	}

	// Text answers: the school, never the family.
	var texts listBody[textAnswerItem]
	r = e.req(http.MethodGet, "/api/v1/admin/surveys/"+sv.ID+"/texts?question=suggest&q=体育", e.cntyA, nil)
	e.expect(r, http.StatusOK, "")
	r.json(t, &texts)
	if len(texts.Items) != 1 || texts.Items[0].Text != "希望增加体育活动时间" || texts.Items[0].School != "甲一小学" {
		t.Fatalf("texts: %s", r.Body)
	}
	e.req(http.MethodGet, "/api/v1/admin/surveys/"+sv.ID+"/texts?question=suggest&q=没有的词", e.cntyA, nil).json(t, &texts)
	if len(texts.Items) != 0 {
		t.Fatalf("search matched %+v", texts.Items)
	}

	checkExports(t, e, sv)
	checkAnonymous(t, e, sv, a1[0])
}

// checkExports downloads the XLSX and the CSV and reads them back.
func checkExports(t *testing.T, e *env, sv models.Survey) {
	r := e.req(http.MethodGet, "/api/v1/admin/surveys/"+sv.ID+"/export?format=xlsx", e.cntyA, nil)
	e.expect(r, http.StatusOK, "")
	f, err := excelize.OpenReader(bytes.NewReader(r.Body))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := strings.Join(f.GetSheetList(), ","); got != "汇总,全部,甲一小学,甲二小学,文字答案" {
		t.Fatalf("sheets: %s", got)
	}
	rows, _ := f.GetRows("汇总", excelize.Options{RawCellValue: true})
	if strings.Join(rows[0], ",") != strings.Join(summaryHeader, ",") || strings.Join(rows[1], ",") != "全部,全部,9,9,100.0%,44.4%,55.6%" {
		t.Fatalf("summary sheet: %v", rows)
	}
	small, _ := f.GetRows("甲二小学", excelize.Options{RawCellValue: true})
	if len(small) != 2 || small[1][1] != models.TooFewNote {
		t.Fatalf("small group sheet: %v", small)
	}
	if hidden, _ := f.GetRows("甲一小学"); len(hidden) != 2 || hidden[1][1] != models.SuppressedNote {
		t.Fatalf("suppressed group sheet: %v", hidden)
	}
	// The school's own export shows its figures.
	r = e.req(http.MethodGet, "/api/v1/admin/surveys/"+sv.ID+"/export", e.schA1, nil)
	e.expect(r, http.StatusOK, "")
	own, err := excelize.OpenReader(bytes.NewReader(r.Body))
	if err != nil {
		t.Fatal(err)
	}
	defer own.Close()
	a1, _ := own.GetRows("甲一小学", excelize.Options{RawCellValue: true})
	found := false
	for _, row := range a1 {
		if len(row) > 6 && row[0] == "overall" && row[3] == "合计" {
			found = row[4] == "6" && row[6] == "3.83" && row[7] == "66.7%"
		}
	}
	if !found {
		t.Fatalf("A1 overall row missing or wrong: %v", a1)
	}
	// A1's "other" reason for not joining and A1's suggestion; A2 wrote nothing.
	texts, _ := f.GetRows("文字答案")
	if len(texts) != 3 || texts[1][0] != "甲一小学" || texts[1][3] != "孩子在外婆家" || texts[2][3] != "希望增加体育活动时间" {
		t.Fatalf("text sheet: %v", texts)
	}

	r = e.req(http.MethodGet, "/api/v1/admin/surveys/"+sv.ID+"/export?format=csv", e.cntyA, nil)
	e.expect(r, http.StatusOK, "")
	if !bytes.HasPrefix(r.Body, []byte("\uFEFF")) {
		t.Fatal("CSV without BOM")
	}
	rd := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(r.Body, []byte("\uFEFF"))))
	rd.FieldsPerRecord = -1
	recs, err := rd.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(recs[1], ",") != "全部,全部,9,9,100.0%,44.4%,55.6%," {
		t.Fatalf("CSV summary: %v", recs[1])
	}
	e.expect(e.req(http.MethodGet, "/api/v1/admin/surveys/"+sv.ID+"/export?format=pdf", e.cntyA, nil), http.StatusUnprocessableEntity, "validation_failed")
}

// checkAnonymous: the stored answers name no family, and the exports carry no names or ids.
func checkAnonymous(t *testing.T, e *env, sv models.Survey, f family) {
	ctx := context.Background()
	cur, err := e.db.Collection("survey_responses").Find(ctx, bson.M{"survey_id": sv.ID})
	if err != nil {
		t.Fatal(err)
	}
	var docs []bson.M
	if err := cur.All(ctx, &docs); err != nil {
		t.Fatal(err)
	}
	if len(docs) != 9 {
		t.Fatalf("%d stored answers, want 9", len(docs))
	}
	for _, d := range docs {
		for _, k := range []string{"member_id", "child_id", "class"} {
			if _, ok := d[k]; ok {
				t.Fatalf("anonymous answer stores %s: %v", k, d)
			}
		}
		raw := fmt.Sprint(d)
		if strings.Contains(raw, f.memberID) || strings.Contains(raw, f.childID) {
			t.Fatalf("anonymous answer mentions the family: %v", d)
		}
		if ts := d["submitted_at"].(bson.DateTime).Time(); !ts.Equal(models.StartOfDay(ts)) {
			t.Fatalf("anonymous answer keeps the time of day: %v", ts)
		}
	}
	// The respondent key is stable for the family (another server with the same key computes
	// the same), differs between surveys, and cannot be computed without the server's key.
	fixed := bytes.Repeat([]byte{7}, 32)
	one, err := store.New(testenv.Mongo(t), fixed)
	if err != nil {
		t.Fatal(err)
	}
	two, err := store.New(testenv.Mongo(t), fixed)
	if err != nil {
		t.Fatal(err)
	}
	other := sv
	other.ID = "another-survey"
	key := e.st.RespondentKey(sv, f.childID)
	if one.RespondentKey(sv, f.childID) != two.RespondentKey(sv, f.childID) || key == e.st.RespondentKey(other, f.childID) ||
		one.RespondentKey(sv, f.childID) == key {
		t.Fatal("respondent key not stable per family and survey, or computable without the key")
	}
	stored := 0
	for _, d := range docs {
		if d["respondent"] == key {
			stored++
		}
		if d["_id"] == e.st.ReceiptID(sv, f.childID) {
			t.Fatalf("an answer is stored under the family's receipt: %v", d)
		}
	}
	if stored != 1 {
		t.Fatalf("the family's answer stored %d times (key %s, docs %v)", stored, key, docs)
	}
}
