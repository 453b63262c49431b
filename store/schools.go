package store

import (
	"context"
	"fmt"
	"regexp"

	"go.mongodb.org/mongo-driver/v2/bson"

	"kehou/models"
)

// scopeFilter limits a query on documents carrying county_id/school_id to a staff scope.
func scopeFilter(scope models.Scope, schoolField string) bson.M {
	switch scope.Role {
	case models.RoleCity:
		return bson.M{}
	case models.RoleCounty:
		return bson.M{"county_id": scope.CountyID}
	case models.RoleSchool:
		return bson.M{schoolField: scope.SchoolID}
	}
	return bson.M{"_id": "\x00none"} // an unknown role sees nothing
}

// CreateSchool adds a school; a duplicate name is ErrConflict.
func (s *Store) CreateSchool(ctx context.Context, sc *models.School) error {
	sc.ID = NewID()
	sc.CreatedAt = s.now()
	sc.UpdatedAt = sc.CreatedAt
	return dupOn("name", insert(ctx, s.c(colSchools), sc))
}

// School returns one school regardless of scope (callers check scope).
func (s *Store) School(ctx context.Context, id string) (models.School, error) {
	return findOne[models.School](ctx, s.c(colSchools), bson.M{"_id": id})
}

// SchoolInScope returns the school, or ErrNotFound when it is outside the scope.
func (s *Store) SchoolInScope(ctx context.Context, scope models.Scope, id string) (models.School, error) {
	sc, err := s.School(ctx, id)
	if err != nil {
		return sc, err
	}
	if !scope.AllowsSchool(sc.ID, sc.CountyID) {
		return models.School{}, ErrNotFound
	}
	return sc, nil
}

// Schools lists schools within scope, optionally in one county.
func (s *Store) Schools(ctx context.Context, scope models.Scope, countyID string, p Page) ([]models.School, string, error) {
	f := scopeFilter(scope, "_id")
	if countyID != "" {
		if !scope.AllowsCounty(countyID) && scope.Role != models.RoleSchool {
			return []models.School{}, "", nil
		}
		f["county_id"] = countyID
	}
	return list(ctx, s.c(colSchools), f, p, func(x models.School) string { return x.ID })
}

// AllSchools lists every school for the parents' and volunteers' school picker (there are a
// few hundred), optionally only one county's and only those whose name contains nameHas.
func (s *Store) AllSchools(ctx context.Context, countyID, nameHas string, p Page) ([]models.School, string, error) {
	f := bson.M{}
	if countyID != "" {
		f["county_id"] = countyID
	}
	if nameHas != "" {
		f["name"] = bson.M{"$regex": regexp.QuoteMeta(nameHas)}
	}
	return list(ctx, s.c(colSchools), f, p, func(x models.School) string { return x.ID })
}

// UpdateSchool replaces a school's editable fields.
func (s *Store) UpdateSchool(ctx context.Context, sc *models.School) error {
	sc.UpdatedAt = s.now()
	res, err := s.c(colSchools).UpdateOne(ctx, bson.M{"_id": sc.ID}, bson.M{"$set": bson.M{
		"name": sc.Name, "location": sc.Location, "stage": sc.Stage, "address": sc.Address,
		"contact": sc.Contact, "phone": sc.Phone, "require_bind_code": sc.RequireBindCode,
		"updated_at": sc.UpdatedAt,
	}})
	if isDup(err) {
		return &DuplicateError{Field: "name"}
	}
	if err != nil {
		return fmt.Errorf("update school: %w", err)
	}
	if res.MatchedCount == 0 {
		return ErrNotFound
	}
	return nil
}
