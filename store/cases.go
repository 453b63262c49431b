package store

import (
	"context"
	"errors"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"kehou/models"
)

// ErrCaseState is a review or feature of a case not in a state that allows it.
var ErrCaseState = errors.New("the case is not in a state that allows this")

// CreateCase stores a school's case, submitted for review.
func (s *Store) CreateCase(ctx context.Context, c *models.Case) error {
	c.ID, c.Status, c.SubmittedAt, c.UpdatedAt = NewID(), models.CaseSubmitted, s.now(), s.now()
	if c.Images == nil {
		c.Images = []string{}
	}
	return insert(ctx, s.c(colCases), c)
}

// CaseInScope returns a case of a school within scope.
func (s *Store) CaseInScope(ctx context.Context, scope models.Scope, id string) (models.Case, error) {
	return findInScope(ctx, s.c(colCases), id, func(c models.Case) bool { return scope.AllowsSchool(c.SchoolID, c.CountyID) })
}

// Cases lists the cases within scope, optionally of a status or featured in a month.
func (s *Store) Cases(ctx context.Context, scope models.Scope, status, month string, p Page) ([]models.Case, string, error) {
	f := scopeFilter(scope, "school_id")
	if status != "" {
		f["status"] = status
	}
	if month != "" {
		f["feature_month"] = month
	}
	return listNewest(ctx, s.c(colCases), f, p, func(x models.Case) string { return x.ID })
}

// FeaturedCases lists the cases featured in a month, city-wide (the monthly list every school
// may read).
func (s *Store) FeaturedCases(ctx context.Context, month string) ([]models.Case, error) {
	out := []models.Case{}
	f := bson.M{"status": models.CaseFeatured, "feature_month": month}
	if err := s.all(ctx, colCases, f, options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}), &out); err != nil {
		return nil, fmt.Errorf("featured cases: %w", err)
	}
	return out, nil
}

// MoveCase changes a case's status from one of from, setting the fields given.
func (s *Store) MoveCase(ctx context.Context, id, to string, set bson.M, from ...string) (models.Case, error) {
	set["status"], set["updated_at"] = to, s.now()
	res, err := s.c(colCases).UpdateOne(ctx, bson.M{"_id": id, "status": bson.M{"$in": from}}, bson.M{"$set": set})
	if err != nil {
		return models.Case{}, fmt.Errorf("move case: %w", err)
	}
	if res.MatchedCount == 0 {
		return models.Case{}, ErrCaseState
	}
	return findOne[models.Case](ctx, s.c(colCases), bson.M{"_id": id})
}
