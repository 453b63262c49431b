package store

import (
	"context"
	"errors"
	"maps"
	"sync/atomic"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"kehou/models"
)

var errInjected = errors.New("injected counter fault")

// failCounterWrites makes the counter writes numbered in fail (1 = the first from now on) fail.
func failCounterWrites(s *Store, fail ...int) *atomic.Int32 {
	var n atomic.Int32
	s.SetCountFault(func(string) error {
		i := int(n.Add(1))
		for _, f := range fail {
			if i == f {
				return errInjected
			}
		}
		return nil
	})
	return &n
}

// matchesRecount checks that the counters, and the monthly reports of months, equal what a
// recount from the data gives.
func matchesRecount(t *testing.T, s *Store, months ...string) {
	t.Helper()
	before := counters(t, s)
	if err := s.RecountReports(context.Background()); err != nil {
		t.Fatal(err)
	}
	if after := counters(t, s); !maps.Equal(before, after) {
		t.Fatalf("counters of %v:\n   written %+v\nrecounted %+v", months, before, after)
	}
}

// monthTotals sums the month's counters over every school and county: the city's figures
// the monthly report is built from (package report builds it; store tests cannot import it).
func monthTotals(s *Store, month string) (Counts, error) {
	var sum Counts
	err := s.eachCounts(context.Background(), func(c Counts) {
		if c.Month != month {
			return
		}
		sum.Families += c.Families
		sum.Responses += c.Responses
		sum.Confirmed += c.Confirmed
	})
	return sum, err
}

// satisfactionSurvey creates a survey of the school's county with a rated question.
func satisfactionSurvey(t *testing.T, s *Store, sc models.School) models.Survey {
	t.Helper()
	sv := models.Survey{CountyID: sc.CountyID, Title: "满意度", Kind: models.SurveySatisfaction, Status: models.SurveyPublished,
		Questions: models.SurveyTemplates["after_school_satisfaction"].Copy()}
	if err := s.CreateSurvey(context.Background(), &sv); err != nil {
		t.Fatal(err)
	}
	return sv
}

// TestAnswerBatchCountedOnceAfterAFault: a batch of answers from two schools is stored, the
// second school's counter write fails (the first one's moved), and the task runs again: the
// report equals the recount. Running the batch again, or in another order, changes nothing.
func TestAnswerBatchCountedOnceAfterAFault(t *testing.T) {
	s := newStore(t)
	sc := schoolWithRoster(t, s)
	other := models.School{CountyID: sc.CountyID, Name: "甲二小学", Location: models.LocationRural, Stage: models.StagePrimary}
	ctx := context.Background()
	if err := s.CreateSchool(ctx, &other); err != nil {
		t.Fatal(err)
	}
	sv := satisfactionSurvey(t, s, sc)
	var batch []models.Response
	for i, school := range []string{sc.ID, sc.ID, other.ID, other.ID, other.ID} {
		score := 1 + i
		batch = append(batch, models.Response{ID: NewResponseID(), SurveyID: sv.ID, Respondent: NewID(), SchoolID: school,
			CountyID: sc.CountyID, SubmittedAt: s.now(), Answers: models.Answers{"overall": {Score: &score}, "aware": {Choice: "A"}}})
	}
	// A repeat of an answer stored by an earlier batch, under another id: not this batch's.
	first := batch[0]
	first.ID = NewResponseID()
	if _, err := s.InsertResponses(ctx, []models.Response{first}); err != nil {
		t.Fatal(err)
	}
	month := models.MonthOf(s.now())

	writes := failCounterWrites(s, 2)
	if _, err := s.InsertResponses(ctx, batch); !errors.Is(err, errInjected) {
		t.Fatalf("first run: %v", err)
	}
	if writes.Load() != 2 {
		t.Fatalf("%d counter writes before the fault, want 2", writes.Load())
	}
	s.SetCountFault(nil)
	if n, err := s.InsertResponses(ctx, batch); err != nil || n != 0 {
		t.Fatalf("retry: %d new, %v", n, err)
	}
	r, err := monthTotals(s, month)
	if err != nil || r.Responses != 5 {
		t.Fatalf("answers counted: %+v %v", r, err)
	}
	matchesRecount(t, s, month)

	// The same batch again, and shuffled: counted once. (The recount left no keys behind.)
	batch[0], batch[4] = batch[4], batch[0]
	for range 2 {
		if _, err := s.InsertResponses(ctx, batch); err != nil {
			t.Fatal(err)
		}
	}
	if r, err := monthTotals(s, month); err != nil || r.Responses != 5 {
		t.Fatalf("answers counted after repeats: %+v %v", r, err)
	}
	matchesRecount(t, s, month)
}

// TestAnswerInTwoBatchesCountedOnce: asynq can hand an answer to the workers in two batches
// (its aggregator died after enqueuing the first). The first batch stores it and fails to
// count; the second finds it stored, not by itself; the first's retry counts it, once.
func TestAnswerInTwoBatchesCountedOnce(t *testing.T) {
	s := newStore(t)
	sc := schoolWithRoster(t, s)
	ctx := context.Background()
	sv := satisfactionSurvey(t, s, sc)
	answer := func() models.Response {
		score := 5
		return models.Response{ID: NewResponseID(), SurveyID: sv.ID, Respondent: NewID(), SchoolID: sc.ID, CountyID: sc.CountyID,
			SubmittedAt: s.now(), Answers: models.Answers{"overall": {Score: &score}}}
	}
	a, b, c := answer(), answer(), answer()
	failCounterWrites(s, 1)
	if _, err := s.InsertResponses(ctx, []models.Response{a, b}); !errors.Is(err, errInjected) {
		t.Fatalf("first batch: %v", err)
	}
	s.SetCountFault(nil)
	for _, batch := range [][]models.Response{{b, c}, {a, b}, {b, c}, {a, b, c}} {
		if _, err := s.InsertResponses(ctx, batch); err != nil {
			t.Fatal(err)
		}
	}
	month := models.MonthOf(s.now())
	if r, err := monthTotals(s, month); err != nil || r.Responses != 3 {
		t.Fatalf("answers counted: %+v %v", r, err)
	}
	matchesRecount(t, s, month)
}

// TestBindCountedOnceAfterAFault: a bind whose counter write fails is stored; the parent's
// repeat counts it, once. An unbind whose counter write fails keeps the binding; the repeat
// removes it and takes it off once.
func TestBindCountedOnceAfterAFault(t *testing.T) {
	s := newStore(t)
	sc := schoolWithRoster(t, s)
	ctx := context.Background()
	month := models.MonthOf(s.now())
	req := BindRequest{MemberID: "m1", SchoolID: sc.ID, StudentNo: "1", Name: "张小明"}
	failCounterWrites(s, 1)
	if _, _, err := s.Bind(ctx, req); !errors.Is(err, errInjected) {
		t.Fatalf("bind: %v", err)
	}
	s.SetCountFault(nil)
	g, _, err := s.Bind(ctx, req) // the parent taps again
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Bind(ctx, req); err != nil { // and once more
		t.Fatal(err)
	}
	if r, err := monthTotals(s, month); err != nil || r.Families != 1 {
		t.Fatalf("families: %+v %v", r, err)
	}
	matchesRecount(t, s, month)

	g2, _, err := s.Bind(ctx, BindRequest{MemberID: "m2", SchoolID: sc.ID, StudentNo: "2", Name: "李雷"})
	if err != nil {
		t.Fatal(err)
	}
	failCounterWrites(s, 1)
	if err := s.DeleteGuardianship(ctx, g.ID, "m1"); !errors.Is(err, errInjected) {
		t.Fatalf("unbind: %v", err)
	}
	s.SetCountFault(nil)
	if err := s.DeleteGuardianship(ctx, g.ID, "m1"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteGuardianship(ctx, g.ID, "m1"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unbind again: %v", err)
	}
	if r, err := monthTotals(s, month); err != nil || r.Families != 1 {
		t.Fatalf("families after unbinding: %+v %v", r, err)
	}
	matchesRecount(t, s, month)

	// A binding stored by a request that failed before counting, and removed before any
	// repeat: the removal leaves the figures right.
	failCounterWrites(s, 1)
	if _, _, err := s.Bind(ctx, req); !errors.Is(err, errInjected) {
		t.Fatalf("bind: %v", err)
	}
	s.SetCountFault(nil)
	gs, err := s.GuardianshipsOfMember(ctx, "m1")
	if err != nil || len(gs) != 1 {
		t.Fatalf("m1's bindings: %+v %v", gs, err)
	}
	if err := s.DeleteGuardianship(ctx, gs[0].ID, "m1"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteGuardianship(ctx, g2.ID, ""); err != nil {
		t.Fatal(err)
	}
	matchesRecount(t, s, month)
}

// TestBulkBindingsCountedOnceAfterAFault: AddGuardianships repeated after a counter fault
// counts its bindings once.
func TestBulkBindingsCountedOnceAfterAFault(t *testing.T) {
	s := newStore(t)
	sc := schoolWithRoster(t, s)
	ctx := context.Background()
	list := []models.Guardianship{
		{ID: NewID(), ChildID: mustChild(t, s, sc, "1").ID, MemberID: "m1", SchoolID: sc.ID, CountyID: sc.CountyID},
		{ID: NewID(), ChildID: mustChild(t, s, sc, "2").ID, MemberID: "m2", SchoolID: sc.ID, CountyID: sc.CountyID},
	}
	failCounterWrites(s, 1)
	if err := s.AddGuardianships(ctx, list); !errors.Is(err, errInjected) {
		t.Fatalf("bulk bindings: %v", err)
	}
	s.SetCountFault(nil)
	for range 2 {
		if err := s.AddGuardianships(ctx, list); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := s.Bind(ctx, BindRequest{MemberID: "m1", SchoolID: sc.ID, StudentNo: "1", Name: "张小明"}); err != nil {
		t.Fatal(err)
	}
	month := models.MonthOf(s.now())
	if r, err := monthTotals(s, month); err != nil || r.Families != 2 {
		t.Fatalf("families: %+v %v", r, err)
	}
	matchesRecount(t, s, month)
}

// TestConfirmationCountedOnceAfterAFault: a confirmation whose counter write fails is stored;
// the parent's repeat counts it, once.
func TestConfirmationCountedOnceAfterAFault(t *testing.T) {
	s := newStore(t)
	sc := schoolWithRoster(t, s)
	ctx := context.Background()
	n := models.Notice{SchoolID: sc.ID, CountyID: sc.CountyID, Title: "通知", Body: "内容", RequireConfirm: true,
		Audience: models.Audience{Kind: models.AudienceScope}}
	if err := s.CreateNotice(ctx, &n); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddRecipients(ctx, n, []string{"m1", "m2"}); err != nil {
		t.Fatal(err)
	}
	failCounterWrites(s, 1)
	if _, err := s.MarkReceipt(ctx, n.ID, "m1", true); !errors.Is(err, errInjected) {
		t.Fatalf("confirm: %v", err)
	}
	s.SetCountFault(nil)
	for range 2 {
		if _, err := s.MarkReceipt(ctx, n.ID, "m1", true); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.MarkReceipt(ctx, n.ID, "m2", true); err != nil {
		t.Fatal(err)
	}
	month := models.MonthOf(s.now())
	if r, err := monthTotals(s, month); err != nil || r.Confirmed != 2 {
		t.Fatalf("confirmed: %+v %v", r, err)
	}
	matchesRecount(t, s, month)
}

// TestCounterKeysSettle: a counter document drops the keys of operations marked counted once
// they are older than countGrace, and keeps the others.
func TestCounterKeysSettle(t *testing.T) {
	s := newStore(t)
	sc := schoolWithRoster(t, s)
	ctx := context.Background()
	n := models.Notice{SchoolID: sc.ID, CountyID: sc.CountyID, Title: "通知", Body: "内容", RequireConfirm: true,
		Audience: models.Audience{Kind: models.AudienceScope}}
	if err := s.CreateNotice(ctx, &n); err != nil {
		t.Fatal(err)
	}
	members := make([]string, countSettleAt+2)
	for i := range members {
		members[i] = NewID()
	}
	if _, err := s.AddRecipients(ctx, n, members); err != nil {
		t.Fatal(err)
	}
	start := s.now()
	s.SetClock(func() time.Time { return start })
	keys := func() int {
		var doc struct {
			Applied map[string]time.Time `bson:"applied"`
		}
		id, _ := countKey(models.MonthOf(start), sc.ID, "")
		if err := s.c(colCounts).FindOne(ctx, bson.M{"_id": id}).Decode(&doc); err != nil {
			t.Fatal(err)
		}
		return len(doc.Applied)
	}
	// The first confirmation fails after its counter moved... as far as its mark goes: it is
	// stored and counted but never marked, so its key must stay.
	failCounterWrites(s) // no fault; count writes only
	for _, m := range members[:countSettleAt] {
		if _, err := s.MarkReceipt(ctx, n.ID, m, true); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.c(colReceipts).UpdateOne(ctx, bson.M{"_id": models.ReceiptID(n.ID, members[0])}, bson.M{"$unset": bson.M{"counted": ""}}); err != nil {
		t.Fatal(err)
	}
	if got := keys(); got != countSettleAt {
		t.Fatalf("keys before the grace: %d", got)
	}
	s.SetClock(func() time.Time { return start.Add(countGrace + time.Minute) })
	if _, err := s.MarkReceipt(ctx, n.ID, members[countSettleAt], true); err != nil {
		t.Fatal(err)
	}
	if got := keys(); got != 2 { // the unmarked one and the newest
		t.Fatalf("keys after the grace: %d, want 2", got)
	}
	// The unmarked confirmation repeated: its key is still there, so it is not counted again.
	if _, err := s.MarkReceipt(ctx, n.ID, members[0], true); err != nil {
		t.Fatal(err)
	}
	matchesRecount(t, s, models.MonthOf(start))
}

// TestConcurrentRepeatsCountOnce: a parent's taps racing each other (bind, confirm, unbind)
// count once, and the figures equal a recount.
func TestConcurrentRepeatsCountOnce(t *testing.T) {
	s := newStore(t)
	sc := schoolWithRoster(t, s)
	ctx := context.Background()
	n := models.Notice{SchoolID: sc.ID, CountyID: sc.CountyID, Title: "通知", Body: "内容", RequireConfirm: true,
		Audience: models.Audience{Kind: models.AudienceScope}}
	if err := s.CreateNotice(ctx, &n); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddRecipients(ctx, n, []string{"m1"}); err != nil {
		t.Fatal(err)
	}
	ids := make([]string, 10)
	for _, err := range parallel(10, func(i int) error {
		g, _, err := s.Bind(ctx, BindRequest{MemberID: "m1", SchoolID: sc.ID, StudentNo: "1", Name: "张小明"})
		ids[i] = g.ID
		if err == nil {
			_, err = s.MarkReceipt(ctx, n.ID, "m1", true)
		}
		return err
	}) {
		if err != nil {
			t.Fatal(err)
		}
	}
	month := models.MonthOf(s.now())
	if r, err := monthTotals(s, month); err != nil || r.Families != 1 || r.Confirmed != 1 {
		t.Fatalf("figures: %+v %v", r, err)
	}
	matchesRecount(t, s, month)
	for _, err := range parallel(5, func(int) error {
		if err := s.DeleteGuardianship(ctx, ids[0], "m1"); err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
		return nil
	}) {
		if err != nil {
			t.Fatal(err)
		}
	}
	if r, err := monthTotals(s, month); err != nil || r.Families != 0 {
		t.Fatalf("figures after unbinding: %+v %v", r, err)
	}
	matchesRecount(t, s, month)
}

// TestRepeatAfterARecountCountsNothingMore: a bind and a confirmation stored by requests that
// failed before counting are counted by a recount; the parents' repeats afterwards count them
// no more.
func TestRepeatAfterARecountCountsNothingMore(t *testing.T) {
	s := newStore(t)
	sc := schoolWithRoster(t, s)
	ctx := context.Background()
	n := models.Notice{SchoolID: sc.ID, CountyID: sc.CountyID, Title: "通知", Body: "内容", RequireConfirm: true,
		Audience: models.Audience{Kind: models.AudienceScope}}
	if err := s.CreateNotice(ctx, &n); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddRecipients(ctx, n, []string{"m1"}); err != nil {
		t.Fatal(err)
	}
	req := BindRequest{MemberID: "m1", SchoolID: sc.ID, StudentNo: "1", Name: "张小明"}
	failCounterWrites(s, 1, 2)
	if _, _, err := s.Bind(ctx, req); !errors.Is(err, errInjected) {
		t.Fatalf("bind: %v", err)
	}
	if _, err := s.MarkReceipt(ctx, n.ID, "m1", true); !errors.Is(err, errInjected) {
		t.Fatalf("confirm: %v", err)
	}
	s.SetCountFault(nil)
	if err := s.RecountReports(ctx); err != nil {
		t.Fatal(err)
	}
	g, _, err := s.Bind(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.MarkReceipt(ctx, n.ID, "m1", true); err != nil {
		t.Fatal(err)
	}
	month := models.MonthOf(s.now())
	if r, err := monthTotals(s, month); err != nil || r.Families != 1 || r.Confirmed != 1 {
		t.Fatalf("figures: %+v %v", r, err)
	}
	matchesRecount(t, s, month)
	if err := s.DeleteGuardianship(ctx, g.ID, "m1"); err != nil {
		t.Fatal(err)
	}
	matchesRecount(t, s, month)
}
