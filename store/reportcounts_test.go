package store

import (
	"context"
	"maps"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"kehou/models"
)

// counters reads every report counter, leaving out those back at zero (the write path keeps
// them; a recount does not make them).
func counters(t *testing.T, s *Store) map[string]Counts {
	t.Helper()
	out := map[string]Counts{}
	err := s.eachCounts(context.Background(), func(c Counts) {
		zero := Counts{ID: c.ID, Month: c.Month, SchoolID: c.SchoolID, CountyID: c.CountyID}
		if c != zero {
			out[c.ID] = c
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestReportCountersMatchARecount moves the counters through every write path (binds, bulk
// bindings with a repeat, an unbind, a roster rename that drops bindings, new pupils, answers
// with a repeat, a receipt confirmed twice), checks them by hand, and checks that a recount
// from the data finds the same.
func TestReportCountersMatchARecount(t *testing.T) {
	s := newStore(t)
	sc := schoolWithRoster(t, s) // pupils 1 张小明 and 2 李雷
	ctx := context.Background()
	at := func(day string) {
		tm, _ := time.ParseInLocation("2006-01-02 15:04", day, models.Shanghai)
		s.SetClock(func() time.Time { return tm.UTC() })
	}
	bind := func(member, no, name string) models.Guardianship {
		g, _, err := s.Bind(ctx, BindRequest{MemberID: member, SchoolID: sc.ID, StudentNo: no, Name: name})
		if err != nil {
			t.Fatal(err)
		}
		return g
	}
	at("2026-09-15 10:00")
	bind("m1", "1", "张小明")
	bind("m1", "1", "张小明") // a retried bind counts once
	bind("m2", "2", "李雷")
	at("2026-10-10 10:00")
	if err := s.AddGuardianships(ctx, []models.Guardianship{
		{ChildID: mustChild(t, s, sc, "1").ID, MemberID: "m3", SchoolID: sc.ID, CountyID: sc.CountyID},
		{ChildID: mustChild(t, s, sc, "1").ID, MemberID: "m1", SchoolID: sc.ID, CountyID: sc.CountyID}, // exists
	}); err != nil {
		t.Fatal(err)
	}
	g4 := bind("m4", "1", "张小明")
	if err := s.DeleteGuardianship(ctx, g4.ID, "m4"); err != nil {
		t.Fatal(err)
	}
	// Pupil 2's number now names another child: m2's September binding goes. Pupil 3 is new.
	if _, err := s.ImportRoster(ctx, sc, []models.RosterRow{{StudentNo: "2", Name: "韩梅梅", Grade: 1, Class: "1班"},
		{StudentNo: "3", Name: "王小红", Grade: 2, Class: "1班"}}); err != nil {
		t.Fatal(err)
	}

	sv := models.Survey{CountyID: sc.CountyID, Title: "满意度", Kind: models.SurveySatisfaction, Status: models.SurveyPublished,
		Questions: models.SurveyTemplates["after_school_satisfaction"].Copy()}
	if err := s.CreateSurvey(ctx, &sv); err != nil {
		t.Fatal(err)
	}
	answer := func(respondent string, score int, aware string) models.Response {
		return models.Response{ID: NewID(), SurveyID: sv.ID, Respondent: respondent, SchoolID: sc.ID, CountyID: sc.CountyID,
			SubmittedAt: s.now(), Answers: models.Answers{"overall": {Score: &score}, "aware": {Choice: aware},
				"joined": {Choice: "A"}, "services": {Rows: []int{score, score, score, score, score}}}}
	}
	if n, err := s.InsertResponses(ctx, []models.Response{answer("r1", 5, "A"), answer("r2", 2, "C")}); err != nil || n != 2 {
		t.Fatalf("answers stored: %d %v", n, err)
	}
	// A repeat of r1 (stored already) and a new r3 in one batch: only r3 counts.
	if n, err := s.InsertResponses(ctx, []models.Response{answer("r1", 5, "A"), answer("r3", 4, "B")}); err != nil || n != 1 {
		t.Fatalf("answers stored: %d %v", n, err)
	}

	n := models.Notice{SchoolID: sc.ID, CountyID: sc.CountyID, Title: "通知", Body: "内容", RequireConfirm: true,
		Audience: models.Audience{Kind: models.AudienceScope}}
	if err := s.CreateNotice(ctx, &n); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddRecipients(ctx, n, []string{"m1", "m3"}); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := s.MarkReceipt(ctx, n.ID, "m1", true); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.MarkReceipt(ctx, n.ID, "m3", false); err != nil { // read, not confirmed
		t.Fatal(err)
	}

	got := counters(t, s)
	want := map[string]Counts{
		"2026-09|s:" + sc.ID: {Month: "2026-09", SchoolID: sc.ID, Families: 1}, // m1 (m2's went with the rename)
		// m3 (m4 came and went); answers rating the overall question 5, 2, 4: 2 of 3 satisfied
		// (the matrix rows are not counted), aware A, C, B: 2 of 3; m1's confirmation.
		"2026-10|s:" + sc.ID: {Month: "2026-10", SchoolID: sc.ID, Families: 1, Responses: 3, Satisfied: 2, Rated: 3,
			Aware: 2, AwareAsked: 3, Confirmed: 1},
	}
	for id, w := range want {
		w.ID = id
		want[id] = w
	}
	if !maps.Equal(got, want) {
		t.Fatalf("counters after the writes:\n got %+v\nwant %+v", got, want)
	}
	if err := s.RecountReports(ctx); err != nil {
		t.Fatal(err)
	}
	if again := counters(t, s); !maps.Equal(again, want) {
		t.Fatalf("counters after a recount:\n got %+v\nwant %+v", again, want)
	}
	// How the monthly report reads them: report.TestReportReadsTheCounters.
}

func mustChild(t *testing.T, s *Store, sc models.School, no string) models.Child {
	t.Helper()
	c, err := findOne[models.Child](context.Background(), s.c(colChildren), bson.M{"school_id": sc.ID, "student_no": no})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestBindingsListedUnderTheParent: a parent's bindings are found through the parent's list,
// a second binding does not hide the first, and an unbinding drops it from the list.
func TestBindingsListedUnderTheParent(t *testing.T) {
	s := newStore(t)
	sc := schoolWithRoster(t, s)
	ctx := context.Background()
	g1, _, err := s.Bind(ctx, BindRequest{MemberID: "m1", SchoolID: sc.ID, StudentNo: "1", Name: "张小明"})
	if err != nil {
		t.Fatal(err)
	}
	g2, _, err := s.Bind(ctx, BindRequest{MemberID: "m1", SchoolID: sc.ID, StudentNo: "2", Name: "李雷"})
	if err != nil {
		t.Fatal(err)
	}
	gs, err := s.GuardianshipsOfMember(ctx, "m1")
	if err != nil || len(gs) != 2 || gs[0].ID != g1.ID || gs[1].ID != g2.ID {
		t.Fatalf("bindings: %+v %v", gs, err)
	}
	if err := s.DeleteGuardianship(ctx, g1.ID, "m1"); err != nil {
		t.Fatal(err)
	}
	mb, err := findOne[memberBindings](ctx, s.c(colMemberBinds), bson.M{"_id": "m1"})
	if gs, _ := s.GuardianshipsOfMember(ctx, "m1"); err != nil || len(gs) != 1 || len(mb.IDs) != 1 || mb.IDs[0] != g2.ID {
		t.Fatalf("after unbinding: %+v, list %+v %v", gs, mb, err)
	}
	if gs, err := s.GuardianshipsOfMember(ctx, "nobody"); err != nil || len(gs) != 0 {
		t.Fatalf("a parent with no bindings: %+v %v", gs, err)
	}
}
