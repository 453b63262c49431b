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

// Survey state errors; server/errors.go maps them.
var (
	ErrSurveyLocked = errors.New("survey has answers and can no longer be edited")
	ErrSurveyState  = errors.New("survey is not in a state that allows this")
)

// CreateSurvey stores a new survey as a draft.
func (s *Store) CreateSurvey(ctx context.Context, sv *models.Survey) error {
	sv.ID = NewID()
	sv.Status = models.SurveyDraft
	sv.CreatedAt = s.now()
	sv.UpdatedAt = sv.CreatedAt
	return insert(ctx, s.c(colSurveys), sv)
}

// Survey returns one survey regardless of scope.
func (s *Store) Survey(ctx context.Context, id string) (models.Survey, error) {
	return findOne[models.Survey](ctx, s.c(colSurveys), bson.M{"_id": id})
}

// SurveyVisible returns the survey when staff of scope may see it (models.Survey.VisibleTo).
func (s *Store) SurveyVisible(ctx context.Context, scope models.Scope, id string) (models.Survey, error) {
	sv, err := s.Survey(ctx, id)
	if err != nil {
		return sv, err
	}
	if !sv.VisibleTo(scope) {
		return models.Survey{}, ErrNotFound
	}
	return sv, nil
}

// Surveys lists the surveys staff of scope may see, optionally of one status.
func (s *Store) Surveys(ctx context.Context, scope models.Scope, status string, p Page) ([]models.Survey, string, error) {
	none := bson.M{"$exists": false}
	var f bson.M
	switch scope.Role {
	case models.RoleCity:
		f = bson.M{}
	case models.RoleCounty:
		f = bson.M{"$or": bson.A{bson.M{"county_id": scope.CountyID}, bson.M{"county_id": none}}}
	case models.RoleSchool:
		f = bson.M{"$or": bson.A{bson.M{"school_id": scope.SchoolID},
			bson.M{"county_id": scope.CountyID, "school_id": none}, bson.M{"county_id": none}}}
	default:
		f = bson.M{"_id": "\x00none"}
	}
	if status != "" {
		f = bson.M{"$and": bson.A{f, bson.M{"status": status}}}
	}
	return listNewest(ctx, s.c(colSurveys), f, p, func(x models.Survey) string { return x.ID })
}

// OpenSurveys lists the published surveys open at now that were sent from the given schools,
// their counties or the city (a parent's list then checks each against each child).
func (s *Store) OpenSurveys(ctx context.Context, now time.Time, schoolIDs, countyIDs []string) ([]models.Survey, error) {
	var out []models.Survey
	none := bson.M{"$exists": false}
	f := bson.M{"status": models.SurveyPublished, "opens_at": bson.M{"$lte": now}, "closes_at": bson.M{"$gt": now},
		"$or": bson.A{bson.M{"school_id": bson.M{"$in": schoolIDs}}, bson.M{"county_id": bson.M{"$in": countyIDs}, "school_id": none},
			bson.M{"county_id": none}}}
	if err := s.all(ctx, colSurveys, f, options.Find().SetSort(bson.D{{Key: "closes_at", Value: 1}}), &out); err != nil {
		return nil, fmt.Errorf("open surveys: %w", err)
	}
	return out, nil
}

// UpdateSurvey replaces a survey's definition while it has no answers and is not closed.
func (s *Store) UpdateSurvey(ctx context.Context, sv *models.Survey) error {
	sv.UpdatedAt = s.now()
	res, err := s.c(colSurveys).UpdateOne(ctx,
		bson.M{"_id": sv.ID, "answered": false, "status": bson.M{"$in": bson.A{models.SurveyDraft, models.SurveyPublished}}},
		bson.M{"$set": bson.M{"kind": sv.Kind, "title": sv.Title, "description": sv.Description, "audience": sv.Audience,
			"opens_at": sv.OpensAt, "closes_at": sv.ClosesAt, "anonymous": sv.Anonymous, "questions": sv.Questions,
			"remind_at": sv.RemindAt, "updated_at": sv.UpdatedAt}})
	if err != nil {
		return fmt.Errorf("update survey: %w", err)
	}
	if res.MatchedCount == 0 {
		return ErrSurveyLocked
	}
	return nil
}

// MarkSurveyAnswered fixes the questions: it runs before the first answer is accepted. It
// succeeds only if the survey is still the version the answer was checked against (updatedAt):
// false means it was edited meanwhile, and the answer must be checked again.
func (s *Store) MarkSurveyAnswered(ctx context.Context, id string, updatedAt time.Time) (bool, error) {
	res, err := s.c(colSurveys).UpdateOne(ctx, bson.M{"_id": id, "updated_at": updatedAt}, bson.M{"$set": bson.M{"answered": true}})
	if err != nil {
		return false, fmt.Errorf("mark survey answered: %w", err)
	}
	return res.MatchedCount == 1, nil
}

// PublishSurvey moves a draft to published; remindAt (zero for none) is when the families who
// have not answered are reminded.
func (s *Store) PublishSurvey(ctx context.Context, id string, remindAt time.Time, channels []string) error {
	now := s.now()
	set := bson.M{"status": models.SurveyPublished, "published_at": now, "channels": channels, "updated_at": now}
	if !remindAt.IsZero() {
		set["remind_at"] = remindAt
	}
	return s.moveSurvey(ctx, bson.M{"_id": id, "status": models.SurveyDraft}, set)
}

// SetSurveyNotice records the invitation notice of a survey.
func (s *Store) SetSurveyNotice(ctx context.Context, id, noticeID string) error {
	_, err := s.c(colSurveys).UpdateOne(ctx, bson.M{"_id": id}, bson.M{"$set": bson.M{"notice_id": noticeID}})
	if err != nil {
		return fmt.Errorf("set survey notice: %w", err)
	}
	return nil
}

// CloseSurvey stops a published survey taking answers now.
func (s *Store) CloseSurvey(ctx context.Context, sv models.Survey) error {
	now := s.now()
	set := bson.M{"status": models.SurveyClosed, "updated_at": now}
	if sv.ClosesAt.After(now) {
		set["closes_at"] = now
	}
	return s.moveSurvey(ctx, bson.M{"_id": sv.ID, "status": models.SurveyPublished}, set)
}

// ArchiveSurvey hides a draft or a finished survey from the working lists (results stay).
func (s *Store) ArchiveSurvey(ctx context.Context, sv models.Survey) error {
	now := s.now()
	f := bson.M{"_id": sv.ID, "$or": bson.A{
		bson.M{"status": bson.M{"$in": bson.A{models.SurveyDraft, models.SurveyClosed}}},
		bson.M{"status": models.SurveyPublished, "closes_at": bson.M{"$lte": now}}}}
	return s.moveSurvey(ctx, f, bson.M{"status": models.SurveyArchived, "updated_at": now})
}

func (s *Store) moveSurvey(ctx context.Context, filter, set bson.M) error {
	res, err := s.c(colSurveys).UpdateOne(ctx, filter, bson.M{"$set": set})
	if err != nil {
		return fmt.Errorf("survey status: %w", err)
	}
	if res.MatchedCount == 0 {
		return ErrSurveyState
	}
	return nil
}

// DueSurveyReminders lists published surveys whose reminder time has come and that are still open.
func (s *Store) DueSurveyReminders(ctx context.Context, now time.Time) ([]models.Survey, error) {
	var out []models.Survey
	f := bson.M{"status": models.SurveyPublished, "reminded": false, "remind_at": bson.M{"$lte": now},
		"closes_at": bson.M{"$gt": now}}
	if err := s.all(ctx, colSurveys, f, options.Find().SetLimit(100), &out); err != nil {
		return nil, fmt.Errorf("due survey reminders: %w", err)
	}
	return out, nil
}

// ClaimSurveyReminder marks a survey reminded; false when another worker did first.
func (s *Store) ClaimSurveyReminder(ctx context.Context, id string) (bool, error) {
	res, err := s.c(colSurveys).UpdateOne(ctx, bson.M{"_id": id, "reminded": false}, bson.M{"$set": bson.M{"reminded": true}})
	if err != nil {
		return false, fmt.Errorf("claim survey reminder: %w", err)
	}
	return res.MatchedCount == 1, nil
}

// ReleaseSurveyReminder undoes a claim whose reminder could not be made.
func (s *Store) ReleaseSurveyReminder(ctx context.Context, id string) error {
	_, err := s.c(colSurveys).UpdateOne(ctx, bson.M{"_id": id}, bson.M{"$set": bson.M{"reminded": false}})
	if err != nil {
		return fmt.Errorf("release survey reminder: %w", err)
	}
	return nil
}
