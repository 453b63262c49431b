package store

import (
	"context"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"kehou/models"
)

// CreateCounty adds a county; a duplicate name is ErrConflict.
func (s *Store) CreateCounty(ctx context.Context, c *models.County) error {
	c.ID = NewID()
	c.CreatedAt = s.now()
	return dupOn("name", insert(ctx, s.c(colCounties), c))
}

// County returns one county.
func (s *Store) County(ctx context.Context, id string) (models.County, error) {
	return findOne[models.County](ctx, s.c(colCounties), bson.M{"_id": id})
}

// Counties lists the counties a scope covers, by name. A city has a few dozen at most.
func (s *Store) Counties(ctx context.Context, scope models.Scope) ([]models.County, error) {
	f := bson.M{}
	if scope.Role != models.RoleCity {
		f["_id"] = scope.CountyID
	}
	cur, err := s.c(colCounties).Find(ctx, f, options.Find().SetSort(bson.D{{Key: "name", Value: 1}}))
	if err != nil {
		return nil, fmt.Errorf("list counties: %w", err)
	}
	out := []models.County{}
	if err := cur.All(ctx, &out); err != nil {
		return nil, fmt.Errorf("list counties: %w", err)
	}
	return out, nil
}

// RenameCounty changes a county's name.
func (s *Store) RenameCounty(ctx context.Context, id, name string) error {
	res, err := s.c(colCounties).UpdateOne(ctx, bson.M{"_id": id}, bson.M{"$set": bson.M{"name": name}})
	if isDup(err) {
		return &DuplicateError{Field: "name"}
	}
	if err != nil {
		return fmt.Errorf("rename county: %w", err)
	}
	if res.MatchedCount == 0 {
		return ErrNotFound
	}
	return nil
}
