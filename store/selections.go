package store

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"kehou/models"
)

// CreateSelection stores a draft selection; the caller has set the commitment and sealed seed.
func (s *Store) CreateSelection(ctx context.Context, sel *models.Selection) error {
	sel.ID, sel.Status, sel.CreatedAt = NewID(), models.SelectionDraft, s.now()
	for i := range sel.Courses {
		sel.Courses[i].ID = NewID()
		if sel.Courses[i].Grades == nil {
			sel.Courses[i].Grades = []int{}
		}
	}
	return insert(ctx, s.c(colSelections), sel)
}

// SetSelectionSeed stores a selection's sealed seed.
func (s *Store) SetSelectionSeed(ctx context.Context, id string, sealed []byte) error {
	if _, err := s.c(colSelections).UpdateOne(ctx, bson.M{"_id": id}, bson.M{"$set": bson.M{"seed_enc": sealed}}); err != nil {
		return fmt.Errorf("selection seed: %w", err)
	}
	return nil
}

// SealSeed encrypts a draw seed until the draw; OpenSeed reads it back.
func (s *Store) SealSeed(seed, selectionID string) []byte {
	return s.sealer.Seal(seed, "seed:"+selectionID)
}

// OpenSeed decrypts a selection's sealed seed.
func (s *Store) OpenSeed(sel models.Selection) (string, error) {
	return s.sealer.Open(sel.SeedEnc, "seed:"+sel.ID)
}

// Selection returns one selection.
func (s *Store) Selection(ctx context.Context, id string) (models.Selection, error) {
	return findOne[models.Selection](ctx, s.c(colSelections), bson.M{"_id": id})
}

// SelectionInScope returns the selection when the staff scope covers its school.
func (s *Store) SelectionInScope(ctx context.Context, scope models.Scope, id string) (models.Selection, error) {
	return findInScope(ctx, s.c(colSelections), id, func(x models.Selection) bool { return scope.AllowsSchool(x.SchoolID, x.CountyID) })
}

// Selections lists the selections of schools within scope.
func (s *Store) Selections(ctx context.Context, scope models.Scope, p Page) ([]models.Selection, string, error) {
	return listNewest(ctx, s.c(colSelections), scopeFilter(scope, "school_id"), p, func(x models.Selection) string { return x.ID })
}

// SelectionsOfSchools lists the published (open or drawn) selections of the given schools.
func (s *Store) SelectionsOfSchools(ctx context.Context, schoolIDs []string) ([]models.Selection, error) {
	var out []models.Selection
	f := bson.M{"school_id": bson.M{"$in": schoolIDs}, "status": bson.M{"$in": bson.A{models.SelectionOpen, models.SelectionDrawn}}}
	if err := s.all(ctx, colSelections, f, options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}), &out); err != nil {
		return nil, fmt.Errorf("selections: %w", err)
	}
	return out, nil
}

// SetSelectionStatus moves a selection to status to from one of from (ErrEventState if none).
func (s *Store) SetSelectionStatus(ctx context.Context, id, to string, from ...string) error {
	return s.setStatus(ctx, colSelections, id, to, from)
}

// RevealSeed records the draw: the seed becomes public (ErrEventState unless still open).
func (s *Store) RevealSeed(ctx context.Context, id, seed string, at time.Time) error {
	res, err := s.c(colSelections).UpdateOne(ctx, bson.M{"_id": id, "status": models.SelectionOpen},
		bson.M{"$set": bson.M{"status": models.SelectionDrawn, "seed": seed, "drawn_at": at}})
	if err != nil {
		return fmt.Errorf("reveal seed: %w", err)
	}
	if res.MatchedCount == 0 {
		return ErrEventState
	}
	return nil
}

// SaveRequest stores a child's ranked choices (replacing earlier ones).
func (s *Store) SaveRequest(ctx context.Context, r *models.CourseRequest) error {
	r.ID, r.UpdatedAt = r.SelectionID+":"+r.ChildID, s.now()
	if _, err := s.c(colRequests).ReplaceOne(ctx, bson.M{"_id": r.ID}, r, options.Replace().SetUpsert(true)); err != nil {
		return fmt.Errorf("save request: %w", err)
	}
	return nil
}

// Requests lists every request of a selection, in id order.
func (s *Store) Requests(ctx context.Context, selectionID string) ([]models.CourseRequest, error) {
	out := []models.CourseRequest{}
	f := bson.M{"selection_id": selectionID}
	if err := s.all(ctx, colRequests, f, options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}), &out); err != nil {
		return nil, fmt.Errorf("requests: %w", err)
	}
	return out, nil
}

// RequestCode is a child's anonymised code in a selection's public draw: an HMAC, so it cannot
// be traced to the child without the server's key, yet is stable per child and selection.
func (s *Store) RequestCode(selectionID, childID string) string {
	return s.sealer.Hash("draw:"+selectionID, childID)[:12]
}

// CreateCoursePools gives each course of a drawn selection its pool of places (idempotent).
func (s *Store) CreateCoursePools(ctx context.Context, sel models.Selection) error {
	docs := make([]any, len(sel.Courses))
	now := s.now()
	for i, c := range sel.Courses {
		docs[i] = models.Pool{ID: c.ID, Kind: models.PoolCourse, OwnerID: sel.ID, Capacity: c.Capacity, Free: c.Capacity, Holders: []string{},
			StartsAt: sel.Closes, EndsAt: sel.Closes.AddDate(0, 6, 0), UpdatedAt: now}
	}
	_, err := s.insertIgnoringDuplicates(ctx, colPools, docs)
	return err
}

// Request returns a child's request in a selection.
func (s *Store) Request(ctx context.Context, selectionID, childID string) (models.CourseRequest, error) {
	return findOne[models.CourseRequest](ctx, s.c(colRequests), bson.M{"_id": selectionID + ":" + childID})
}

// ActiveSignUp returns a child's confirmed or waiting sign-up of an owner (a course).
func (s *Store) ActiveSignUp(ctx context.Context, ownerID, childID string) (models.SignUp, error) {
	return findOne[models.SignUp](ctx, s.c(colSignUps), bson.M{"owner_id": ownerID, "child_id": childID, "active": ""})
}

// EndRuledOutWaits cancels a child's waits in a selection for courses it can no longer take
// beside the courses it holds (a clash in time, or the limits reached).
func (s *Store) EndRuledOutWaits(ctx context.Context, selectionID, childID string, courses map[string]models.DrawCourse, rules models.SelectionRules) error {
	var sus []models.SignUp
	if err := s.all(ctx, colSignUps, bson.M{"programme_id": selectionID, "child_id": childID, "active": ""}, nil, &sus); err != nil {
		return fmt.Errorf("course waits: %w", err)
	}
	var held []models.DrawCourse
	for _, su := range sus {
		if su.Status == models.SignUpConfirmed {
			held = append(held, courses[su.PoolID])
		}
	}
	ext := 0
	for _, h := range held {
		if h.Extended {
			ext++
		}
	}
	for _, su := range sus {
		if su.Status != models.SignUpWaiting {
			continue
		}
		c := courses[su.PoolID]
		out := len(held) >= rules.MaxCourses || (c.Extended && rules.MaxExtended > 0 && ext >= rules.MaxExtended)
		for _, h := range held {
			out = out || h.Clash(c)
		}
		if out {
			if _, _, err := s.CancelSignUp(ctx, su.ID); err != nil {
				return err
			}
		}
	}
	return nil
}
