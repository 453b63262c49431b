package store

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"kehou/models"
)

// CreateNotice stores a new notice as scheduled.
func (s *Store) CreateNotice(ctx context.Context, n *models.Notice) error {
	n.ID = NewID()
	n.Status = models.NoticeScheduled
	n.CreatedAt = s.now()
	n.UpdatedAt = n.CreatedAt
	if n.SendAt.IsZero() || n.SendAt.Before(n.CreatedAt) {
		n.SendAt = n.CreatedAt
	}
	return insert(ctx, s.c(colNotices), n)
}

// Notice returns one notice.
func (s *Store) Notice(ctx context.Context, id string) (models.Notice, error) {
	return findOne[models.Notice](ctx, s.c(colNotices), bson.M{"_id": id})
}

// NoticeInScope returns the notice when the staff scope covers its sender.
func (s *Store) NoticeInScope(ctx context.Context, scope models.Scope, id string) (models.Notice, error) {
	return findInScope(ctx, s.c(colNotices), id, func(n models.Notice) bool { return scope.AllowsOwner(n.SchoolID, n.CountyID) })
}

// Notices lists notices sent from within a scope, newest last.
func (s *Store) Notices(ctx context.Context, scope models.Scope, p Page) ([]models.Notice, string, error) {
	return listNewest(ctx, s.c(colNotices), scopeFilter(scope, "school_id"), p, func(x models.Notice) string { return x.ID })
}

// StartNotice moves a scheduled notice to sending; false when it was cancelled meanwhile.
func (s *Store) StartNotice(ctx context.Context, id string) (bool, error) {
	res, err := s.c(colNotices).UpdateOne(ctx, bson.M{"_id": id, "status": bson.M{"$in": bson.A{models.NoticeScheduled, models.NoticeSending}}},
		bson.M{"$set": bson.M{"status": models.NoticeSending, "updated_at": s.now()}})
	if err != nil {
		return false, fmt.Errorf("start notice: %w", err)
	}
	return res.MatchedCount == 1, nil
}

// DeferNotice moves a scheduled notice's send time (quiet hours): the inbox shows the time it
// really went out, and the reconciler does not take it for stalled meanwhile.
func (s *Store) DeferNotice(ctx context.Context, id string, until time.Time) error {
	_, err := s.c(colNotices).UpdateOne(ctx, bson.M{"_id": id, "status": models.NoticeScheduled},
		bson.M{"$set": bson.M{"send_at": until, "updated_at": s.now()}})
	if err != nil {
		return fmt.Errorf("defer notice: %w", err)
	}
	return nil
}

// CheckpointFanout records one fanned-out batch: where the next batch starts and how many
// new recipients this one added.
func (s *Store) CheckpointFanout(ctx context.Context, id, cursor string, added int, done bool) error {
	set := bson.M{"fanout_cursor": cursor, "updated_at": s.now()}
	if done {
		set["status"] = models.NoticeSent
	}
	_, err := s.c(colNotices).UpdateOne(ctx, bson.M{"_id": id, "status": models.NoticeSending},
		bson.M{"$set": set, "$inc": bson.M{"fanout_batches": 1, "targeted": added}})
	if err != nil {
		return fmt.Errorf("checkpoint fanout: %w", err)
	}
	return nil
}

// CancelNotice cancels a notice that has not started going out.
func (s *Store) CancelNotice(ctx context.Context, id string) (bool, error) {
	res, err := s.c(colNotices).UpdateOne(ctx, bson.M{"_id": id, "status": models.NoticeScheduled},
		bson.M{"$set": bson.M{"status": models.NoticeCancelled, "updated_at": s.now()}})
	if err != nil {
		return false, fmt.Errorf("cancel notice: %w", err)
	}
	return res.MatchedCount == 1, nil
}

// StalledNotices are notices whose fan-out should have progressed by before: scheduled past
// their time, or sending without a checkpoint since. The reconciler re-enqueues their fan-out.
func (s *Store) StalledNotices(ctx context.Context, before time.Time, limit int) ([]models.Notice, error) {
	f := bson.M{"$or": bson.A{
		bson.M{"status": models.NoticeScheduled, "send_at": bson.M{"$lt": before}},
		bson.M{"status": models.NoticeSending, "updated_at": bson.M{"$lt": before}},
	}}
	cur, err := s.c(colNotices).Find(ctx, f, options.Find().SetLimit(int64(limit)))
	if err != nil {
		return nil, fmt.Errorf("stalled notices: %w", err)
	}
	out := []models.Notice{}
	if err := cur.All(ctx, &out); err != nil {
		return nil, fmt.Errorf("stalled notices: %w", err)
	}
	return out, nil
}
