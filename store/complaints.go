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

// ErrComplaintState is a workflow move from a status the complaint is no longer in.
var ErrComplaintState = errors.New("the complaint has moved on")

func sourceKey(c models.Complaint) string {
	if c.SourceRef != "" {
		return c.Source + ":" + c.SourceRef
	}
	return "id:" + c.ID
}

func (s *Store) newComplaint(c *models.Complaint, by string) {
	now := s.now()
	c.ID, c.Status, c.CreatedAt, c.UpdatedAt = NewID(), models.ComplaintReceived, now, now
	c.SourceKey = sourceKey(*c)
	c.Steps = []models.ComplaintStep{{At: now, By: by, Status: models.ComplaintReceived}}
}

// CreateComplaint records a new complaint, received; a ticket already in the ledger (same
// source and reference) is ErrConflict.
func (s *Store) CreateComplaint(ctx context.Context, c *models.Complaint, by string) error {
	s.newComplaint(c, by)
	return insert(ctx, s.c(colComplaints), c)
}

// ImportComplaints records many complaints at once, skipping tickets already in the ledger; it
// returns how many were new.
func (s *Store) ImportComplaints(ctx context.Context, list []models.Complaint, by string) (int, error) {
	docs := make([]any, len(list))
	for i := range list {
		s.newComplaint(&list[i], by)
		docs[i] = list[i]
	}
	return s.insertIgnoringDuplicates(ctx, colComplaints, docs)
}

// Complaint returns one complaint.
func (s *Store) Complaint(ctx context.Context, id string) (models.Complaint, error) {
	return findOne[models.Complaint](ctx, s.c(colComplaints), bson.M{"_id": id})
}

// complaintScope selects what a scope sees of the ledger: the city all, a county its own, a
// school what was assigned to it.
func complaintScope(scope models.Scope) bson.M {
	switch scope.Role {
	case models.RoleCity:
		return bson.M{}
	case models.RoleCounty:
		return bson.M{"county_id": scope.CountyID}
	case models.RoleSchool:
		return bson.M{"school_id": scope.SchoolID, "status": bson.M{"$ne": models.ComplaintReceived}}
	}
	return bson.M{"_id": "\x00none"}
}

// ComplaintInScope returns a complaint the scope sees (ErrNotFound otherwise).
func (s *Store) ComplaintInScope(ctx context.Context, scope models.Scope, id string) (models.Complaint, error) {
	return findOne[models.Complaint](ctx, s.c(colComplaints), bson.M{"$and": bson.A{complaintScope(scope), bson.M{"_id": id}}})
}

// ComplaintFilter narrows the ledger.
type ComplaintFilter struct {
	Status, Source, Category, SchoolID string
	From, To                           time.Time // received on or after From, before To
	Overdue                            bool
}

func (f ComplaintFilter) bson(scope models.Scope, now time.Time) bson.M {
	m := complaintScope(scope)
	and := bson.A{m}
	for k, v := range map[string]string{"status": f.Status, "source": f.Source, "category": f.Category, "school_id": f.SchoolID} {
		if v != "" {
			and = append(and, bson.M{k: v})
		}
	}
	if !f.From.IsZero() {
		and = append(and, bson.M{"received_on": bson.M{"$gte": f.From}})
	}
	if !f.To.IsZero() {
		and = append(and, bson.M{"received_on": bson.M{"$lt": f.To}})
	}
	if f.Overdue {
		and = append(and, bson.M{"status": bson.M{"$in": bson.A{models.ComplaintAssigned, models.ComplaintInProgress}}, "deadline": bson.M{"$lt": now}})
	}
	return bson.M{"$and": and}
}

// Complaints lists the ledger within scope, filtered, page by page.
func (s *Store) Complaints(ctx context.Context, scope models.Scope, f ComplaintFilter, p Page) ([]models.Complaint, string, error) {
	return listNewest(ctx, s.c(colComplaints), f.bson(scope, s.now()), p, func(x models.Complaint) string { return x.ID })
}

// AllComplaints returns the whole filtered ledger within scope, oldest first (for exports).
func (s *Store) AllComplaints(ctx context.Context, scope models.Scope, f ComplaintFilter) ([]models.Complaint, error) {
	out := []models.Complaint{}
	opts := options.Find().SetSort(bson.D{{Key: "received_on", Value: 1}, {Key: "_id", Value: 1}})
	if err := s.all(ctx, colComplaints, f.bson(scope, s.now()), opts, &out); err != nil {
		return nil, fmt.Errorf("complaints: %w", err)
	}
	return out, nil
}

// MoveComplaint applies a workflow step: from status from to status to (in one conditional
// update, so two staff acting at once cannot both move it), setting the given fields and
// recording the step.
func (s *Store) MoveComplaint(ctx context.Context, id, from, to string, set bson.M, step models.ComplaintStep) (models.Complaint, error) {
	now := s.now()
	step.At, step.Status = now, to
	if set == nil {
		set = bson.M{}
	}
	set["status"], set["updated_at"] = to, now
	if to == models.ComplaintClosed || to == models.ComplaintDismissed {
		set["closed_at"] = now
	}
	res, err := s.c(colComplaints).UpdateOne(ctx, bson.M{"_id": id, "status": from}, bson.M{"$set": set, "$push": bson.M{"steps": step}})
	if err != nil {
		return models.Complaint{}, fmt.Errorf("move complaint: %w", err)
	}
	if res.MatchedCount == 0 {
		return models.Complaint{}, ErrComplaintState
	}
	return s.Complaint(ctx, id)
}

// OverdueComplaints lists the complaints past their deadline not yet escalated.
func (s *Store) OverdueComplaints(ctx context.Context, now time.Time) ([]models.Complaint, error) {
	var out []models.Complaint
	f := bson.M{"status": bson.M{"$in": bson.A{models.ComplaintAssigned, models.ComplaintInProgress}}, "deadline": bson.M{"$lt": now}, "escalated": false}
	if err := s.all(ctx, colComplaints, f, nil, &out); err != nil {
		return nil, fmt.Errorf("overdue complaints: %w", err)
	}
	return out, nil
}

// ClaimEscalation marks a complaint escalated (once) and records the step.
func (s *Store) ClaimEscalation(ctx context.Context, id string) (bool, error) {
	now := s.now()
	step := models.ComplaintStep{At: now, By: "system", Status: models.HistoryEscalated, Note: "逾期未办结，已升级至区县教育局"}
	res, err := s.c(colComplaints).UpdateOne(ctx, bson.M{"_id": id, "escalated": false},
		bson.M{"$set": bson.M{"escalated": true, "updated_at": now}, "$push": bson.M{"steps": step}})
	if err != nil {
		return false, fmt.Errorf("escalate: %w", err)
	}
	return res.MatchedCount == 1, nil
}

// OpenLookBacks opens the look-back of every complaint closed before the cut-off that has none
// yet; it returns them.
func (s *Store) OpenLookBacks(ctx context.Context, closedBefore time.Time) ([]models.Complaint, error) {
	var due []models.Complaint
	f := bson.M{"status": models.ComplaintClosed, "closed_at": bson.M{"$lt": closedBefore}, "look_back": bson.M{"$exists": false}}
	if err := s.all(ctx, colComplaints, f, nil, &due); err != nil {
		return nil, fmt.Errorf("look-backs: %w", err)
	}
	var opened []models.Complaint
	now := s.now()
	for _, c := range due {
		res, err := s.c(colComplaints).UpdateOne(ctx, bson.M{"_id": c.ID, "look_back": bson.M{"$exists": false}},
			bson.M{"$set": bson.M{"look_back": models.LookBack{OpenedAt: now}, "updated_at": now}})
		if err != nil {
			return opened, fmt.Errorf("open look-back: %w", err)
		}
		if res.MatchedCount == 1 {
			c.LookBack = &models.LookBack{OpenedAt: now}
			opened = append(opened, c)
		}
	}
	return opened, nil
}

// RecordLookBack records whether the problem came back (once).
func (s *Store) RecordLookBack(ctx context.Context, id string, recurred bool, note, staffID string) (models.Complaint, error) {
	now := s.now()
	res, err := s.c(colComplaints).UpdateOne(ctx, bson.M{"_id": id, "look_back": bson.M{"$exists": true}, "look_back.recorded_by": bson.M{"$exists": false}},
		bson.M{"$set": bson.M{"look_back.recurred": recurred, "look_back.note": note, "look_back.recorded_at": now, "look_back.recorded_by": staffID, "updated_at": now}})
	if err != nil {
		return models.Complaint{}, fmt.Errorf("record look-back: %w", err)
	}
	if res.MatchedCount == 0 {
		return models.Complaint{}, ErrComplaintState
	}
	return s.Complaint(ctx, id)
}

// ComplaintsOfMember lists a parent's own complaints, newest first.
func (s *Store) ComplaintsOfMember(ctx context.Context, memberID string) ([]models.Complaint, error) {
	out := []models.Complaint{}
	if err := s.all(ctx, colComplaints, bson.M{"member_id": memberID}, options.Find().SetSort(bson.D{{Key: "_id", Value: -1}}), &out); err != nil {
		return nil, fmt.Errorf("my complaints: %w", err)
	}
	return out, nil
}

// RateComplaint records the parent's rating of a finished complaint, once.
func (s *Store) RateComplaint(ctx context.Context, id, memberID string, rating int, note string) error {
	res, err := s.c(colComplaints).UpdateOne(ctx,
		bson.M{"_id": id, "member_id": memberID, "status": bson.M{"$in": bson.A{models.ComplaintClosed, models.ComplaintDismissed}}, "rating": bson.M{"$exists": false}},
		bson.M{"$set": bson.M{"rating": rating, "rating_note": note, "updated_at": s.now()}})
	if err != nil {
		return fmt.Errorf("rate complaint: %w", err)
	}
	if res.MatchedCount == 0 {
		return ErrComplaintState
	}
	return nil
}
