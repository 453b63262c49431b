package store

import (
	"context"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"kehou/models"
)

// SavePlan stores a school's plan for a term, replacing the one before.
func (s *Store) SavePlan(ctx context.Context, p *models.Plan) error {
	p.ID, p.UpdatedAt = models.PlanID(p.SchoolID, p.Term), s.now()
	if _, err := s.c(colPlans).ReplaceOne(ctx, bson.M{"_id": p.ID}, p, options.Replace().SetUpsert(true)); err != nil {
		return fmt.Errorf("save plan: %w", err)
	}
	return nil
}

// Plan returns a school's plan for a term.
func (s *Store) Plan(ctx context.Context, schoolID, term string) (models.Plan, error) {
	return findOne[models.Plan](ctx, s.c(colPlans), bson.M{"_id": models.PlanID(schoolID, term)})
}

// PlansOfTerm returns the term's plans of the schools within scope, by school.
func (s *Store) PlansOfTerm(ctx context.Context, scope models.Scope, term string) (map[string]models.Plan, error) {
	f := scopeFilter(scope, "school_id")
	f["term"] = term
	var list []models.Plan
	if err := s.all(ctx, colPlans, f, nil, &list); err != nil {
		return nil, fmt.Errorf("plans: %w", err)
	}
	out := make(map[string]models.Plan, len(list))
	for _, p := range list {
		out[p.SchoolID] = p
	}
	return out, nil
}

// SchoolsInScope lists every school within scope (for the compliance view, which must count the
// schools without a plan too).
func (s *Store) SchoolsInScope(ctx context.Context, scope models.Scope) ([]models.School, error) {
	var out []models.School
	f := scopeFilter(scope, "_id")
	if err := s.all(ctx, colSchools, f, options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}), &out); err != nil {
		return nil, fmt.Errorf("schools: %w", err)
	}
	return out, nil
}

// CreateInstitution registers an external institution.
func (s *Store) CreateInstitution(ctx context.Context, in *models.Institution) error {
	in.ID, in.UpdatedAt = NewID(), s.now()
	return insert(ctx, s.c(colInstitutions), in)
}

// Institution returns one institution.
func (s *Store) Institution(ctx context.Context, id string) (models.Institution, error) {
	return findOne[models.Institution](ctx, s.c(colInstitutions), bson.M{"_id": id})
}

// Institutions lists the registry a scope sees: the city's entries and its county's (every
// entry for the city).
func (s *Store) Institutions(ctx context.Context, scope models.Scope) ([]models.Institution, error) {
	f := bson.M{}
	if scope.Role != models.RoleCity {
		f = bson.M{"$or": bson.A{bson.M{"county_id": scope.CountyID}, bson.M{"county_id": bson.M{"$exists": false}}}}
	}
	out := []models.Institution{}
	if err := s.all(ctx, colInstitutions, f, options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}), &out); err != nil {
		return nil, fmt.Errorf("institutions: %w", err)
	}
	return out, nil
}

// InstitutionsByID returns the named institutions by id (unknown ids are left out).
func (s *Store) InstitutionsByID(ctx context.Context, ids []string) (map[string]models.Institution, error) {
	out := map[string]models.Institution{}
	if len(ids) == 0 {
		return out, nil
	}
	var list []models.Institution
	if err := s.all(ctx, colInstitutions, bson.M{"_id": bson.M{"$in": ids}}, nil, &list); err != nil {
		return nil, fmt.Errorf("institutions: %w", err)
	}
	for _, in := range list {
		out[in.ID] = in
	}
	return out, nil
}

// UpdateInstitution saves an institution's record.
func (s *Store) UpdateInstitution(ctx context.Context, in *models.Institution) error {
	in.UpdatedAt = s.now()
	res, err := s.c(colInstitutions).ReplaceOne(ctx, bson.M{"_id": in.ID}, in)
	if err != nil {
		return fmt.Errorf("update institution: %w", err)
	}
	if res.MatchedCount == 0 {
		return ErrNotFound
	}
	return nil
}

// PlansUsing lists the plans (of any term) with an item run by the institution.
func (s *Store) PlansUsing(ctx context.Context, institutionID string) ([]models.Plan, error) {
	var out []models.Plan
	if err := s.all(ctx, colPlans, bson.M{"items.institution_id": institutionID}, nil, &out); err != nil {
		return nil, fmt.Errorf("plans using institution: %w", err)
	}
	return out, nil
}
