package store

import (
	"context"
	"errors"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"

	"kehou/models"
)

// Report counters. The monthly report needs, per school, a count of the largest collections:
// pupils on the rosters, parent bindings, survey answers (with their satisfied/rated and
// aware/asked tallies) and confirmed receipts. Counting them by scanning took 150 s for a city
// of 200,000 families on the embedded store, which reads every document of a collection for any
// filter. So they are counted as the data is written, in one small document per school (or
// county, for county-level items) and month, and the report reads those few thousand documents.
//
// A counter moves only for a write that stored something (an answer, a binding made or
// removed, a receipt confirmed), and exactly once for it, even when a crash or an error falls
// between storing and counting and the write is retried (countonce.go). Pupils are not
// counted here: the report counts the rosters themselves (EachPupil). `kehou recount` rebuilds
// every counter from the data (RecountReports); a report built from the counters equals one
// built after a recount.

// Counts is one counter document: one school's (or county's, or the city's) counts in a month.
type Counts struct {
	ID         string `bson:"_id"`
	Month      string `bson:"month"` // "2026-10"
	SchoolID   string `bson:"school_id,omitempty"`
	CountyID   string `bson:"county_id,omitempty"`
	Families   int    `bson:"families"`    // bindings made in the month and not removed since
	Responses  int    `bson:"responses"`   // survey answers submitted in the month
	Satisfied  int    `bson:"satisfied"`   // their ratings of 4–5
	Rated      int    `bson:"rated"`       // their ratings
	Aware      int    `bson:"aware"`       // awareness questions answered "aware"
	AwareAsked int    `bson:"aware_asked"` // awareness questions answered
	Confirmed  int    `bson:"confirmed"`   // receipts confirmed in the month, by the notice's sender
}

// countKey names the counter document of a school (or, with no school, a county; with
// neither, the city) in a month.
func countKey(month, schoolID, countyID string) (string, bson.M) {
	switch {
	case schoolID != "":
		return month + "|s:" + schoolID, bson.M{"month": month, "school_id": schoolID}
	case countyID != "":
		return month + "|c:" + countyID, bson.M{"month": month, "county_id": countyID}
	}
	return month + "|city", bson.M{"month": month}
}

// countDelta is a set of counter moves, gathered so that a batch of writes moves each counter
// document once.
type countDelta map[string]*countMove

type countMove struct {
	set bson.M
	inc map[string]int
}

func (d countDelta) add(month, schoolID, countyID, field string, n int) {
	if n == 0 {
		return
	}
	id, set := countKey(month, schoolID, countyID)
	m := d[id]
	if m == nil {
		m = &countMove{set: set, inc: map[string]int{}}
		d[id] = m
	}
	m.inc[field] += n
}

// nonZero is the counters' moves that change something, as a $inc document.
func (m *countMove) nonZero() bson.M {
	inc := bson.M{}
	for k, v := range m.inc {
		if v != 0 {
			inc[k] = v
		}
	}
	return inc
}

// countResponses adds stored answers to their month's counters, tallied with their survey's
// definition as the report does.
func (s *Store) countResponses(ctx context.Context, d countDelta, rs []models.Response, surveys map[string]*models.Survey) error {
	type group struct{ survey, month, school, county string }
	tallies := map[group]*models.Tally{}
	for _, r := range rs {
		sv := surveys[r.SurveyID]
		if sv == nil {
			got, err := s.Survey(ctx, r.SurveyID)
			if errors.Is(err, ErrNotFound) {
				continue // an answer to a deleted survey counts nowhere
			}
			if err != nil {
				return err
			}
			sv = &got
			surveys[r.SurveyID] = sv
		}
		g := group{r.SurveyID, models.MonthOf(r.SubmittedAt), r.SchoolID, r.CountyID}
		if tallies[g] == nil {
			tallies[g] = models.NewTally(sv)
		}
		tallies[g].Add(r.Answers)
	}
	for g, t := range tallies {
		n, sat, rated, aware, asked := t.Counts()
		d.add(g.month, g.school, g.county, "responses", n)
		d.add(g.month, g.school, g.county, "satisfied", sat)
		d.add(g.month, g.school, g.county, "rated", rated)
		d.add(g.month, g.school, g.county, "aware", aware)
		d.add(g.month, g.school, g.county, "aware_asked", asked)
	}
	return nil
}

// countBindings moves the families counter of each binding's school in the month it was made
// (by sign: +1 made, -1 removed).
func countBindings(d countDelta, gs []models.Guardianship, sign int) {
	for _, g := range gs {
		d.add(models.MonthOf(g.CreatedAt), g.SchoolID, "", "families", sign)
	}
}

// eachCounts streams the counter documents (a few per school and month).
func (s *Store) eachCounts(ctx context.Context, fn func(Counts)) error {
	return each(ctx, s, colCounts, bson.M{}, bson.M{"applied": 0}, fn)
}

// RecountReports rebuilds every report counter from the data, by scanning bindings,
// survey answers and confirmed receipts once each (minutes for a large city on the embedded
// store; seconds on MongoDB), and notes when it started: what was on file then is counted.
// The write path counts exactly once by itself, so this is for checking the figures and for a
// database with data from before the counters. Stop writers first, and let the workers finish the tasks
// waiting to be retried: a write made during the recount may be counted twice, and so may an
// answer batch retried after it.
func (s *Store) RecountReports(ctx context.Context) error {
	started := s.now()
	d := countDelta{}
	if err := each(ctx, s, colGuardians, bson.M{}, bson.M{"school_id": 1, "created_at": 1}, func(g models.Guardianship) {
		countBindings(d, []models.Guardianship{g}, 1)
	}); err != nil {
		return err
	}
	surveys := map[string]*models.Survey{}
	var batch []models.Response
	var ferr error
	flush := func() {
		if ferr == nil && len(batch) > 0 {
			ferr = s.countResponses(ctx, d, batch, surveys)
		}
		batch = batch[:0]
	}
	err := each(ctx, s, colResponses, bson.M{}, bson.M{"survey_id": 1, "school_id": 1, "county_id": 1, "answers": 1, "submitted_at": 1}, func(r models.Response) {
		if batch = append(batch, r); len(batch) == 1000 {
			flush()
		}
	})
	flush()
	if err = errors.Join(err, ferr); err != nil {
		return err
	}
	type noticeOwner struct {
		ID       string `bson:"_id"`
		SchoolID string `bson:"school_id"`
		CountyID string `bson:"county_id"`
	}
	owners := map[string]noticeOwner{}
	if err := each(ctx, s, colNotices, bson.M{}, bson.M{"school_id": 1, "county_id": 1}, func(n noticeOwner) { owners[n.ID] = n }); err != nil {
		return err
	}
	err = each(ctx, s, colReceipts, bson.M{"confirmed_at": bson.M{"$exists": true}}, bson.M{"confirmed_at": 1}, func(r models.Receipt) {
		if n, ok := owners[r.NoticeID()]; ok && !r.ConfirmedAt.IsZero() {
			d.add(models.MonthOf(r.ConfirmedAt), n.SchoolID, n.CountyID, "confirmed", 1)
		}
	})
	if err != nil {
		return err
	}
	if _, err := s.c(colCounts).DeleteMany(ctx, bson.M{}); err != nil {
		return fmt.Errorf("recount: %w", err)
	}
	docs := make([]any, 0, len(d))
	for id, m := range d {
		doc := bson.M{"_id": id}
		for k, v := range m.set {
			doc[k] = v
		}
		for k, v := range m.inc {
			doc[k] = v
		}
		docs = append(docs, doc)
	}
	for len(docs) > 0 {
		n := min(len(docs), 1000)
		if _, err := s.c(colCounts).InsertMany(ctx, docs[:n]); err != nil {
			return fmt.Errorf("recount: %w", err)
		}
		docs = docs[n:]
	}
	// What was on file is counted now: a repeat of a bind or confirmation made before must not
	// count it again (countedByRecount). One date, instead of marking every binding and receipt.
	if err := s.upsertByID(ctx, colCountBatches, recountMark, bson.M{"$set": bson.M{"at": started}}); err != nil {
		return fmt.Errorf("recount: %w", err)
	}
	return nil
}
