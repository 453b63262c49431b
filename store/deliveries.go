package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"kehou/models"
)

// insertIgnoringDuplicates inserts docs unordered and counts how many were new; documents whose
// id already exists (a retried fan-out) are left as they are.
func (s *Store) insertIgnoringDuplicates(ctx context.Context, coll string, docs []any) (int, error) {
	_, n, err := s.insertNew(ctx, coll, docs)
	return n, err
}

// insertNew is insertIgnoringDuplicates that also tells which documents were new (the
// report counters count only those).
func (s *Store) insertNew(ctx context.Context, coll string, docs []any) ([]bool, int, error) {
	if len(docs) == 0 {
		return nil, 0, nil
	}
	isNew := make([]bool, len(docs))
	for i := range isNew {
		isNew[i] = true
	}
	_, err := s.c(coll).InsertMany(ctx, docs, options.InsertMany().SetOrdered(false))
	if err == nil {
		return isNew, len(docs), nil
	}
	var bwe mongo.BulkWriteException
	if !errors.As(err, &bwe) || bwe.WriteConcernError != nil {
		return nil, 0, fmt.Errorf("insert %s: %w", coll, err)
	}
	for _, we := range bwe.WriteErrors {
		if we.Code != 11000 || we.Index < 0 || we.Index >= len(docs) {
			return nil, 0, fmt.Errorf("insert %s: %w", coll, err)
		}
		isNew[we.Index] = false
	}
	return isNew, len(docs) - len(bwe.WriteErrors), nil
}

// AddRecipients puts the notice in each member's inbox. It returns how many members were new
// to the notice.
func (s *Store) AddRecipients(ctx context.Context, n models.Notice, members []string) (int, error) {
	receipts := make([]any, len(members))
	for i, m := range members {
		receipts[i] = models.Receipt{ID: n.ID + ":" + m, NoticeID: n.ID, MemberID: m, SendAt: n.SendAt}
	}
	return s.insertIgnoringDuplicates(ctx, colReceipts, receipts)
}

// DeliveriesOfNotice lists a notice's deliveries, optionally of one status.
func (s *Store) DeliveriesOfNotice(ctx context.Context, noticeID, status string, p Page) ([]models.Delivery, string, error) {
	f := bson.M{"notice_id": noticeID}
	if status != "" {
		f["status"] = status
	}
	return list(ctx, s.c(colDeliveries), f, p, func(x models.Delivery) string { return x.ID })
}

// OpenDeliveries counts a notice's deliveries still queued or being sent.
func (s *Store) OpenDeliveries(ctx context.Context, noticeID string) (int, error) {
	n, err := s.c(colDeliveries).CountDocuments(ctx, bson.M{"notice_id": noticeID, "status": bson.M{"$in": bson.A{models.DeliveryQueued, models.DeliverySending}}})
	if err != nil {
		return 0, fmt.Errorf("open deliveries: %w", err)
	}
	return int(n), nil
}

// StuckQueued returns queued deliveries not touched since before, for the reconciler to send
// again (their task was lost with Redis, or never enqueued).
func (s *Store) StuckQueued(ctx context.Context, before time.Time, limit int) ([]models.Delivery, error) {
	var out []models.Delivery
	f := bson.M{"status": models.DeliveryQueued, "updated_at": bson.M{"$lt": before},
		"$or": bson.A{bson.M{"not_before": bson.M{"$exists": false}}, bson.M{"not_before": bson.M{"$lt": s.now()}}}}
	err := s.all(ctx, colDeliveries, f,
		options.Find().SetLimit(int64(limit)).SetProjection(bson.M{"_id": 1, "notice_id": 1, "member_id": 1, "channel": 1, "batch": 1}), &out)
	if err != nil {
		return nil, fmt.Errorf("stuck deliveries: %w", err)
	}
	return out, nil
}
