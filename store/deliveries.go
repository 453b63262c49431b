package store

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
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

// AddRecipients puts the notice in each member's inbox, sending nothing. It returns how many
// members were new to the notice.
func (s *Store) AddRecipients(ctx context.Context, n models.Notice, members []string) (int, error) {
	added, _, err := s.QueueRecipients(ctx, n, "", "", nil, [][]string{members}, nil)
	return added, err
}

// DeliveriesOfNotice lists a notice's deliveries in id order, optionally of one status.
func (s *Store) DeliveriesOfNotice(ctx context.Context, noticeID, status string, p Page) ([]models.Delivery, string, error) {
	all, err := s.noticeDeliveries(ctx, noticeID)
	if err != nil {
		return nil, "", err
	}
	out := []models.Delivery{}
	n := int(p.limit())
	for _, d := range all {
		if d.ID <= p.Cursor || (status != "" && d.Status != status) {
			continue
		}
		if len(out) == n {
			return out, out[n-1].ID, nil
		}
		out = append(out, d)
	}
	return out, "", nil
}

// noticeDeliveries returns every delivery of a notice in id order: the recorded ones from its
// delivery records, the queued ones from its send batches. A delivery whose record is written
// and whose batch does not yet know it (the moment in between, or a sender that died there)
// shows its outcome. It reads the notice's whole ledger, about 100 bytes per recipient: on
// the embedded store any query by notice does, and a report needs all of it anyway.
func (s *Store) noticeDeliveries(ctx context.Context, noticeID string) ([]models.Delivery, error) {
	var recs []models.DeliveryRecord
	if err := s.all(ctx, colRecords, bson.M{"notice_id": noticeID}, nil, &recs); err != nil {
		return nil, fmt.Errorf("delivery records: %w", err)
	}
	slices.SortFunc(recs, func(a, b models.DeliveryRecord) int {
		return cmp.Or(a.At.Compare(b.At), strings.Compare(a.ID, b.ID))
	})
	byID := map[string]models.Delivery{}
	for _, rec := range recs {
		for _, o := range rec.Outcomes {
			d := rec.Delivery(o)
			if earlier, ok := byID[d.ID]; !ok || d.Prevails(earlier) {
				byID[d.ID] = d
			}
		}
	}
	queued, err := s.queuedOfNotice(ctx, noticeID)
	if err != nil {
		return nil, err
	}
	for _, d := range queued {
		if _, ok := byID[d.ID]; !ok {
			byID[d.ID] = d
		}
	}
	return slices.SortedFunc(maps.Values(byID), func(a, b models.Delivery) int { return strings.Compare(a.ID, b.ID) }), nil
}

// queuedOfNotice lists a notice's queued deliveries (the open members of its batches).
func (s *Store) queuedOfNotice(ctx context.Context, noticeID string) ([]models.Delivery, error) {
	var bs []models.SendBatch
	err := s.all(ctx, colSendBatches, bson.M{"notice_id": noticeID, "done": false},
		options.Find().SetProjection(bson.M{"members": 0, "phones": 0}), &bs)
	if err != nil {
		return nil, fmt.Errorf("queued deliveries: %w", err)
	}
	var out []models.Delivery
	for _, b := range bs {
		for _, m := range b.Open {
			out = append(out, queuedDelivery(b, m))
		}
	}
	return out, nil
}

// OpenDeliveries counts a notice's queued deliveries.
func (s *Store) OpenDeliveries(ctx context.Context, noticeID string) (int, error) {
	q, err := s.queuedOfNotice(ctx, noticeID)
	return len(q), err
}

// StuckBatches returns batches with open deliveries not touched since before and not
// deferred, for the reconciler to send again (their task was lost with Redis, or never
// enqueued).
func (s *Store) StuckBatches(ctx context.Context, before time.Time, limit int) ([]models.SendBatch, error) {
	var out []models.SendBatch
	f := bson.M{"done": false, "updated_at": bson.M{"$lt": before},
		"$or": bson.A{bson.M{"not_before": bson.M{"$exists": false}}, bson.M{"not_before": bson.M{"$lt": s.now()}}}}
	err := s.all(ctx, colSendBatches, f,
		options.Find().SetLimit(int64(limit)).SetProjection(bson.M{"_id": 1, "notice_id": 1, "channel": 1, "open": 1}), &out)
	if err != nil {
		return nil, fmt.Errorf("stuck batches: %w", err)
	}
	return out, nil
}
