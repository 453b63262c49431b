package store

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"kehou/models"
)

// each streams the documents a filter selects (with a projection), one at a time, so a report
// over a year of a city's data keeps memory flat.
func each[T any](ctx context.Context, s *Store, coll string, filter bson.M, projection bson.M, fn func(T)) error {
	opts := options.Find()
	if projection != nil {
		opts.SetProjection(projection)
	}
	cur, err := s.c(coll).Find(ctx, filter, opts)
	if err != nil {
		return fmt.Errorf("%s: %w", coll, err)
	}
	defer cur.Close(ctx)
	for cur.Next(ctx) {
		var v T
		if err := cur.Decode(&v); err != nil {
			return fmt.Errorf("decode %s: %w", coll, err)
		}
		fn(v)
	}
	return cur.Err()
}

// The monthly report is built by package report from the queries below; the store keeps the
// built reports and answers each query with one streamed pass over a collection, projected to
// the fields a report reads, so a report over a city's year keeps memory flat.

// MonthlyReport returns a month's stored report (ErrNotFound when it was never built).
func (s *Store) MonthlyReport(ctx context.Context, month string) (models.MonthlyReport, error) {
	return findOne[models.MonthlyReport](ctx, s.c(colReports), bson.M{"_id": month})
}

// InsertMonthlyReport stores a built report. A month's report is stored once and never changes:
// ErrConflict when it is stored already (another builder won).
func (s *Store) InsertMonthlyReport(ctx context.Context, r models.MonthlyReport) error {
	return insert(ctx, s.c(colReports), r)
}

// MonthlyReports returns the stored reports of the months from..to ("2026-01".."2026-11"),
// oldest first; months never built are absent. At most a few dozen documents: the dashboard's
// trend reads a year.
func (s *Store) MonthlyReports(ctx context.Context, from, to string) ([]models.MonthlyReport, error) {
	cur, err := s.c(colReports).Find(ctx, bson.M{"_id": bson.M{"$gte": from, "$lte": to}}, options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}))
	if err != nil {
		return nil, fmt.Errorf("monthly reports: %w", err)
	}
	out := []models.MonthlyReport{}
	if err := cur.All(ctx, &out); err != nil {
		return nil, fmt.Errorf("monthly reports: %w", err)
	}
	return out, nil
}

// LiveReport returns the month in progress as it was last computed (report:live, every few
// minutes): ErrNotFound until the first run of the month.
func (s *Store) LiveReport(ctx context.Context, month string) (models.MonthlyReport, error) {
	return findOne[models.MonthlyReport](ctx, s.c(colLiveReports), bson.M{"_id": month})
}

// PutLiveReport replaces the month's live figures, unless a build that finished later is stored
// already (two workers racing: the newer stays).
func (s *Store) PutLiveReport(ctx context.Context, r models.MonthlyReport) error {
	_, err := s.c(colLiveReports).ReplaceOne(ctx, bson.M{"_id": r.ID, "built_at": bson.M{"$lt": r.BuiltAt}}, r, options.Replace().SetUpsert(true))
	if err != nil && !isDup(err) { // a duplicate: the stored build is newer
		return fmt.Errorf("store live report %s: %w", r.ID, err)
	}
	return nil
}

// Now is the store's clock (what a report records as its build time).
func (s *Store) Now() time.Time { return s.now() }

// EachCounts streams the report counters (a few per school and month; see reportcounts.go).
func (s *Store) EachCounts(ctx context.Context, fn func(Counts)) error { return s.eachCounts(ctx, fn) }

// EachPupil streams the school of every pupil on the rosters. The report counts pupils from the
// rosters themselves rather than from a counter: the figure is what stands when the report is
// built, so a roster import that failed half-way is counted as far as it got, and a retry adds
// nothing twice (one index-ordered pass; on the embedded store a scan of the pupils).
func (s *Store) EachPupil(ctx context.Context, fn func(schoolID string)) error {
	type pupil struct {
		SchoolID string `bson:"school_id"`
	}
	return each(ctx, s, colChildren, bson.M{}, bson.M{"school_id": 1, "_id": 0}, func(p pupil) { fn(p.SchoolID) })
}

// EachNoticeOutcome streams every notice's owner, send time, status and number targeted.
func (s *Store) EachNoticeOutcome(ctx context.Context, fn func(models.Notice)) error {
	return each(ctx, s, colNotices, bson.M{}, bson.M{"school_id": 1, "county_id": 1, "send_at": 1, "status": 1, "targeted": 1}, fn)
}

// EachPlacesPool streams the open-day sessions' and summer-care periods' pools that start in
// [from, to): their kind, owner and capacity.
func (s *Store) EachPlacesPool(ctx context.Context, from, to time.Time, fn func(models.Pool)) error {
	return each(ctx, s, colPools, bson.M{"starts_at": bson.M{"$gte": from, "$lt": to}, "kind": bson.M{"$in": bson.A{models.PoolEventSession, models.PoolCarePeriod}}},
		bson.M{"kind": 1, "owner_id": 1, "capacity": 1}, fn)
}

// EachConfirmedSignUp streams the confirmed sign-ups of the given pools: pool, owner, check-in.
func (s *Store) EachConfirmedSignUp(ctx context.Context, poolIDs []string, fn func(models.SignUp)) error {
	if len(poolIDs) == 0 {
		return nil
	}
	ids := make(bson.A, len(poolIDs))
	for i, id := range poolIDs {
		ids[i] = id
	}
	return each(ctx, s, colSignUps, bson.M{"pool_id": bson.M{"$in": ids}, "status": models.SignUpConfirmed},
		bson.M{"pool_id": 1, "school_id": 1, "county_id": 1, "checked_in_at": 1}, fn)
}

// EachApprovedShift streams the approved volunteer applications of shifts starting in
// [from, to): owner and minutes served.
func (s *Store) EachApprovedShift(ctx context.Context, from, to time.Time, fn func(models.Application)) error {
	return each(ctx, s, colApplications, bson.M{"starts_at": bson.M{"$gte": from, "$lt": to}, "status": models.ApplicationApproved},
		bson.M{"school_id": 1, "county_id": 1, "minutes": 1}, fn)
}

// EachComplaintDates streams every complaint's owner, status and dates (received, deadline,
// closed, look-back).
func (s *Store) EachComplaintDates(ctx context.Context, fn func(models.Complaint)) error {
	return each(ctx, s, colComplaints, bson.M{}, bson.M{"school_id": 1, "county_id": 1, "received_on": 1, "closed_at": 1, "status": 1, "deadline": 1, "look_back": 1}, fn)
}
