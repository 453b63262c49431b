package store

import (
	"context"
	"fmt"
	"sort"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"kehou/models"
)

// SurveyResults is a survey's figures within one staff scope: everyone in scope first, then
// each county (for the city), then each school.
type SurveyResults struct {
	SurveyID string               `json:"survey_id"`
	Groups   []models.GroupResult `json:"groups"`
}

type placeDoc struct {
	ID       string `bson:"_id"`
	SchoolID string `bson:"school_id"`
	CountyID string `bson:"county_id"`
	Name     string `bson:"name"`
	ChildID  string `bson:"child_id"`
}

// Results tallies a survey's answers within scope, by county and school, in one pass over the
// answers. Memory grows with the schools and with the pupils bound in scope (to count the
// families reached), not with the answers.
func (s *Store) Results(ctx context.Context, sv models.Survey, scope models.Scope) (SurveyResults, error) {
	targets, err := s.surveyTargets(ctx, sv, scope)
	if err != nil {
		return SurveyResults{}, err
	}
	var schools []placeDoc
	if err := s.all(ctx, colSchools, scopeFilter(scope, "_id"), options.Find().SetProjection(bson.M{"name": 1, "county_id": 1}), &schools); err != nil {
		return SurveyResults{}, fmt.Errorf("results schools: %w", err)
	}
	counties, err := s.Counties(ctx, scope)
	if err != nil {
		return SurveyResults{}, err
	}
	all := models.NewTally(&sv)
	byCounty, bySchool := map[string]*models.Tally{}, map[string]*models.Tally{}
	tally := func(m map[string]*models.Tally, id string) *models.Tally {
		if m[id] == nil {
			m[id] = models.NewTally(&sv)
		}
		return m[id]
	}
	err = s.EachResponse(ctx, sv.ID, scope, func(r models.Response) error {
		all.Add(r.Answers)
		tally(byCounty, r.CountyID).Add(r.Answers)
		tally(bySchool, r.SchoolID).Add(r.Answers)
		return nil
	})
	if err != nil {
		return SurveyResults{}, err
	}
	total := 0
	countyTargets := map[string]int{}
	for _, sc := range schools {
		total += targets[sc.ID]
		countyTargets[sc.CountyID] += targets[sc.ID]
	}
	out := SurveyResults{SurveyID: sv.ID}
	out.Groups = append(out.Groups, all.Result(models.LevelAll, "", "全部", total))
	if scope.Role == models.RoleCity {
		sort.Slice(counties, func(i, j int) bool { return counties[i].Name < counties[j].Name })
		for _, c := range counties {
			if countyTargets[c.ID] == 0 && byCounty[c.ID] == nil {
				continue
			}
			out.Groups = append(out.Groups, tally(byCounty, c.ID).Result(models.LevelCounty, c.ID, c.Name, countyTargets[c.ID]))
		}
	}
	sort.Slice(schools, func(i, j int) bool { return schools[i].Name < schools[j].Name })
	countyOf := map[string]string{}
	for _, sc := range schools {
		if targets[sc.ID] == 0 && bySchool[sc.ID] == nil {
			continue
		}
		countyOf[sc.ID] = sc.CountyID
		out.Groups = append(out.Groups, tally(bySchool, sc.ID).Result(models.LevelSchool, sc.ID, sc.Name, targets[sc.ID]))
	}
	// Siblings are the counties (under the whole scope) and each county's schools (under the
	// county's figures, or the whole scope for a county admin).
	siblings := map[string][]*models.GroupResult{}
	for i := range out.Groups {
		g := &out.Groups[i]
		switch g.Level {
		case models.LevelCounty:
			siblings["counties"] = append(siblings["counties"], g)
		case models.LevelSchool:
			siblings["schools of "+countyOf[g.ID]] = append(siblings["schools of "+countyOf[g.ID]], g)
		}
	}
	for _, list := range siblings {
		models.Suppress(list)
	}
	return out, nil
}

// surveyTargets counts, per school, the families a survey reaches within scope: pupils in its
// audience with at least one bound parent (a pupil whose family has not bound cannot answer).
func (s *Store) surveyTargets(ctx context.Context, sv models.Survey, scope models.Scope) (map[string]int, error) {
	var bound []placeDoc
	if err := s.all(ctx, colGuardians, scopeFilter(scope, "school_id"), options.Find().SetProjection(bson.M{"child_id": 1}), &bound); err != nil {
		return nil, fmt.Errorf("survey targets: %w", err)
	}
	has := make(map[string]bool, len(bound))
	for _, g := range bound {
		has[g.ChildID] = true
	}
	f := bson.M{"$and": bson.A{childFilter(models.Notice{SchoolID: sv.SchoolID, CountyID: sv.CountyID, Audience: sv.Audience}),
		scopeFilter(scope, "school_id")}}
	cur, err := s.c(colChildren).Find(ctx, f, options.Find().SetProjection(bson.M{"school_id": 1}))
	if err != nil {
		return nil, fmt.Errorf("survey targets: %w", err)
	}
	defer cur.Close(ctx)
	out := map[string]int{}
	for cur.Next(ctx) {
		var c placeDoc
		if err := cur.Decode(&c); err != nil {
			return nil, fmt.Errorf("survey targets: %w", err)
		}
		if has[c.ID] {
			out[c.SchoolID]++
		}
	}
	return out, cur.Err()
}
