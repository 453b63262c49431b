package store

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"kehou/models"
)

// CreateProgramme stores a draft summer-care programme and a pool of places for each period.
func (s *Store) CreateProgramme(ctx context.Context, p *models.Programme) error {
	p.ID, p.Status = NewID(), models.EventDraft
	p.CreatedAt = s.now()
	p.UpdatedAt = p.CreatedAt
	pools := make([]models.Pool, len(p.Periods))
	for i := range p.Periods {
		p.Periods[i].ID = NewID()
		per := p.Periods[i]
		pools[i] = models.Pool{ID: per.ID, Kind: models.PoolCarePeriod, OwnerID: p.ID, Capacity: per.Capacity, StartsAt: per.StartsAt.Time, EndsAt: per.EndsAt.Time}
	}
	// Pools first: a programme whose insert fails leaves unused pools, never periods without places.
	if err := s.CreatePools(ctx, pools); err != nil {
		return err
	}
	return insert(ctx, s.c(colProgrammes), p)
}

// Programme returns one programme regardless of scope.
func (s *Store) Programme(ctx context.Context, id string) (models.Programme, error) {
	return findOne[models.Programme](ctx, s.c(colProgrammes), bson.M{"_id": id})
}

// ProgrammeInScope returns the programme when the staff scope covers its school.
func (s *Store) ProgrammeInScope(ctx context.Context, scope models.Scope, id string) (models.Programme, error) {
	return findInScope(ctx, s.c(colProgrammes), id, func(p models.Programme) bool { return scope.AllowsSchool(p.SchoolID, p.CountyID) })
}

// Programmes lists the programmes of schools within scope.
func (s *Store) Programmes(ctx context.Context, scope models.Scope, p Page) ([]models.Programme, string, error) {
	return listNewest(ctx, s.c(colProgrammes), scopeFilter(scope, "school_id"), p, func(x models.Programme) string { return x.ID })
}

// OpenProgrammes lists the published programmes of the given schools whose enrolment has not
// closed.
func (s *Store) OpenProgrammes(ctx context.Context, now time.Time, schoolIDs []string) ([]models.Programme, error) {
	var out []models.Programme
	if len(schoolIDs) == 0 { // a member with no child bound (a volunteer): $in needs an array, and none match
		return out, nil
	}
	f := bson.M{"status": models.EventPublished, "enrol_closes": bson.M{"$gt": now}, "school_id": bson.M{"$in": schoolIDs}}
	if err := s.all(ctx, colProgrammes, f, options.Find().SetSort(bson.D{{Key: "enrol_closes", Value: 1}}), &out); err != nil {
		return nil, fmt.Errorf("open programmes: %w", err)
	}
	return out, nil
}

// ProgrammesOfCounties lists the published programmes in the given counties (every county when
// none is given) that have not ended, for volunteers looking for shifts.
func (s *Store) ProgrammesOfCounties(ctx context.Context, now time.Time, countyIDs []string) ([]models.Programme, error) {
	var out []models.Programme
	f := bson.M{"status": models.EventPublished}
	if len(countyIDs) > 0 {
		f["county_id"] = bson.M{"$in": countyIDs}
	}
	if err := s.all(ctx, colProgrammes, f, nil, &out); err != nil {
		return nil, fmt.Errorf("programmes: %w", err)
	}
	open := out[:0]
	for _, p := range out {
		if p.Ends().After(now) {
			open = append(open, p)
		}
	}
	return open, nil
}

// SetProgrammeStatus moves a programme to status to from one of from (ErrEventState if none).
func (s *Store) SetProgrammeStatus(ctx context.Context, id, to string, from ...string) error {
	return s.setStatus(ctx, colProgrammes, id, to, from)
}

// SetProgrammeNotice records the programme's announcement.
func (s *Store) SetProgrammeNotice(ctx context.Context, id, noticeID string) error {
	if _, err := s.c(colProgrammes).UpdateOne(ctx, bson.M{"_id": id}, bson.M{"$set": bson.M{"notice_id": noticeID}}); err != nil {
		return fmt.Errorf("set programme notice: %w", err)
	}
	return nil
}

// UpdateProgramme saves a programme's editable text and dates (periods change through their
// own operations: capacity, cancellation).
func (s *Store) UpdateProgramme(ctx context.Context, p *models.Programme) error {
	p.UpdatedAt = s.now()
	res, err := s.c(colProgrammes).UpdateOne(ctx, bson.M{"_id": p.ID, "status": bson.M{"$ne": models.EventCancelled}},
		bson.M{"$set": bson.M{"title": p.Title, "description": p.Description, "daily_start": p.DailyStart, "daily_end": p.DailyEnd,
			"fee_note": p.FeeNote, "offerings": p.Offerings, "enrol_opens": p.EnrolOpens, "enrol_closes": p.EnrolCloses,
			"cancel_deadline": p.CancelDeadline, "updated_at": p.UpdatedAt}})
	if err != nil {
		return fmt.Errorf("update programme: %w", err)
	}
	if res.MatchedCount == 0 {
		return ErrEventState
	}
	return nil
}

// ProgrammeCounts tallies a programme's enrolments per period, beside its pools (PoolsOf).
func (s *Store) ProgrammeCounts(ctx context.Context, p models.Programme, pools map[string]models.Pool) (map[string]SessionCounts, error) {
	return s.tally(ctx, bson.M{"programme_id": p.ID}, pools)
}
