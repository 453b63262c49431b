package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"kehou/models"
)

// CreateEvent stores a draft event and a pool of places for each session.
func (s *Store) CreateEvent(ctx context.Context, e *models.Event) error {
	e.ID = NewID()
	e.Status = models.EventDraft
	e.CreatedAt = s.now()
	e.UpdatedAt = e.CreatedAt
	pools := make([]models.Pool, len(e.Sessions))
	for i := range e.Sessions {
		e.Sessions[i].ID = NewID()
		ses := e.Sessions[i]
		pools[i] = models.Pool{ID: ses.ID, Kind: models.PoolEventSession, OwnerID: e.ID, Capacity: ses.Capacity, StartsAt: ses.StartsAt, EndsAt: ses.EndsAt}
	}
	// Pools first: an event whose insert fails leaves unused pools, never an event without places.
	if err := s.CreatePools(ctx, pools); err != nil {
		return err
	}
	return insert(ctx, s.c(colEvents), e)
}

// Event returns one event regardless of scope.
func (s *Store) Event(ctx context.Context, id string) (models.Event, error) {
	return findOne[models.Event](ctx, s.c(colEvents), bson.M{"_id": id})
}

// EventInScope returns the event when the staff scope covers its owner.
func (s *Store) EventInScope(ctx context.Context, scope models.Scope, id string) (models.Event, error) {
	return findInScope(ctx, s.c(colEvents), id, func(e models.Event) bool { return scope.AllowsOwner(e.SchoolID, e.CountyID) })
}

// Events lists events owned within scope.
func (s *Store) Events(ctx context.Context, scope models.Scope, p Page) ([]models.Event, string, error) {
	return listNewest(ctx, s.c(colEvents), scopeFilter(scope, "school_id"), p, func(x models.Event) string { return x.ID })
}

// OpenEvents lists published events whose sign-up has not closed, sent from the given schools
// or their counties (a parent's list then checks each against each child).
func (s *Store) OpenEvents(ctx context.Context, now time.Time, schoolIDs, countyIDs []string) ([]models.Event, error) {
	var out []models.Event
	f := bson.M{"status": models.EventPublished, "signup_closes": bson.M{"$gt": now},
		"$or": bson.A{bson.M{"school_id": bson.M{"$in": schoolIDs}}, bson.M{"county_id": bson.M{"$in": countyIDs}, "school_id": bson.M{"$exists": false}}}}
	if err := s.all(ctx, colEvents, f, options.Find().SetSort(bson.D{{Key: "signup_closes", Value: 1}}), &out); err != nil {
		return nil, fmt.Errorf("open events: %w", err)
	}
	return out, nil
}

// ErrEventState is a change the event's status does not allow (publishing a cancelled event,
// editing one).
var ErrEventState = errors.New("event is not in a state that allows this")

// SetEventStatus moves an event to status to from one of the statuses from; ErrEventState when
// it was in none of them.
func (s *Store) SetEventStatus(ctx context.Context, id, to string, from ...string) error {
	return s.setStatus(ctx, colEvents, id, to, from)
}

// setStatus moves a document (an event, a programme) to status to from one of the statuses
// from, in one conditional update; ErrEventState when it was in none of them.
func (s *Store) setStatus(ctx context.Context, coll, id, to string, from []string) error {
	res, err := s.c(coll).UpdateOne(ctx, bson.M{"_id": id, "status": bson.M{"$in": from}}, bson.M{"$set": bson.M{"status": to, "updated_at": s.now()}})
	if err != nil {
		return fmt.Errorf("%s status: %w", coll, err)
	}
	if res.MatchedCount == 0 {
		return ErrEventState
	}
	return nil
}

// SetEventNotice records the event's announcement.
func (s *Store) SetEventNotice(ctx context.Context, id, noticeID string) error {
	_, err := s.c(colEvents).UpdateOne(ctx, bson.M{"_id": id}, bson.M{"$set": bson.M{"notice_id": noticeID}})
	if err != nil {
		return fmt.Errorf("set event notice: %w", err)
	}
	return nil
}

// SessionCounts are a session's figures for staff.
type SessionCounts struct {
	Capacity    int `json:"capacity"`
	PlacesHeld  int `json:"places_held"`
	Confirmed   int `json:"confirmed"`
	Waiting     int `json:"waiting"`
	Cancelled   int `json:"cancelled"`
	CheckedIn   int `json:"checked_in"`
	NoShows     int `json:"no_shows"` // confirmed and not checked in, once the session has ended
	Companions  int `json:"companions"`
	WaitingSize int `json:"waiting_places"`
}

// EventCounts tallies an event's sign-ups per session in one pass, beside its pools (PoolsOf).
func (s *Store) EventCounts(ctx context.Context, e models.Event, pools map[string]models.Pool) (map[string]SessionCounts, error) {
	return s.tally(ctx, bson.M{"owner_id": e.ID}, pools)
}

// tally counts the sign-ups the filter selects per pool; confirmed ones not checked in by the
// end of their pool are no-shows.
func (s *Store) tally(ctx context.Context, filter bson.M, pools map[string]models.Pool) (map[string]SessionCounts, error) {
	out := map[string]SessionCounts{}
	for id, p := range pools {
		out[id] = SessionCounts{Capacity: p.Capacity, PlacesHeld: p.Held()}
	}
	var list []models.SignUp
	opts := options.Find().SetProjection(bson.M{"pool_id": 1, "status": 1, "checked_in_at": 1, "companions": 1, "places": 1})
	if err := s.all(ctx, colSignUps, filter, opts, &list); err != nil {
		return nil, fmt.Errorf("sign-up counts: %w", err)
	}
	now := s.now()
	for _, su := range list {
		c := out[su.PoolID]
		switch su.Status {
		case models.SignUpConfirmed:
			c.Confirmed++
			c.Companions += su.Companions
			if !su.CheckedInAt.IsZero() {
				c.CheckedIn++
			} else if p, ok := pools[su.PoolID]; ok && now.After(p.EndsAt) {
				c.NoShows++
			}
		case models.SignUpWaiting:
			c.Waiting++
			c.WaitingSize += su.Places
		case models.SignUpCancelled:
			c.Cancelled++
		}
		out[su.PoolID] = c
	}
	return out, nil
}

// PoolsToRemind lists open pools of a kind starting after now and before until, not yet reminded.
func (s *Store) PoolsToRemind(ctx context.Context, kind string, now, until time.Time) ([]models.Pool, error) {
	var out []models.Pool
	f := bson.M{"kind": kind, "closed": false, "reminded": false, "starts_at": bson.M{"$gt": now, "$lte": until}}
	if err := s.all(ctx, colPools, f, nil, &out); err != nil {
		return nil, fmt.Errorf("pools to remind: %w", err)
	}
	return out, nil
}

// ClaimPoolReminder marks a pool reminded; false when another worker did first.
func (s *Store) ClaimPoolReminder(ctx context.Context, id string) (bool, error) {
	res, err := s.c(colPools).UpdateOne(ctx, bson.M{"_id": id, "reminded": false}, bson.M{"$set": bson.M{"reminded": true}})
	if err != nil {
		return false, fmt.Errorf("claim pool reminder: %w", err)
	}
	return res.MatchedCount == 1, nil
}

// OpenPools lists the pools with waiting lists (open-day sessions, summer-care periods, courses) that
// have not ended and are not closed, for the reconciler.
func (s *Store) OpenPools(ctx context.Context, now time.Time) ([]models.Pool, error) {
	var pools []models.Pool
	f := bson.M{"kind": bson.M{"$in": bson.A{models.PoolEventSession, models.PoolCarePeriod, models.PoolCourse}}, "closed": false, "ends_at": bson.M{"$gt": now}}
	if err := s.all(ctx, colPools, f, options.Find().SetProjection(bson.M{"_id": 1, "kind": 1, "owner_id": 1}), &pools); err != nil {
		return nil, fmt.Errorf("open pools: %w", err)
	}
	return pools, nil
}

// UpdateEvent saves an event's editable text and dates (sessions change through their own
// operations: capacity, cancellation).
func (s *Store) UpdateEvent(ctx context.Context, e *models.Event) error {
	e.UpdatedAt = s.now()
	res, err := s.c(colEvents).UpdateOne(ctx, bson.M{"_id": e.ID, "status": bson.M{"$ne": models.EventCancelled}},
		bson.M{"$set": bson.M{"title": e.Title, "description": e.Description, "place": e.Place, "signup_opens": e.SignupOpens,
			"signup_closes": e.SignupCloses, "cancel_deadline": e.CancelDeadline, "updated_at": e.UpdatedAt}})
	if err != nil {
		return fmt.Errorf("update event: %w", err)
	}
	if res.MatchedCount == 0 {
		return ErrEventState
	}
	return nil
}
