package store

import (
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

// DeliveriesOfNotice lists a notice's deliveries, optionally of one status, send batch by send
// batch and in id order within a batch. The cursor is the last item's ledgerCursor.
func (s *Store) DeliveriesOfNotice(ctx context.Context, noticeID, status string, p Page) ([]models.Delivery, string, error) {
	out := []models.Delivery{}
	n := int(p.limit())
	next, last := "", ""
	errFull := errors.New("page full")
	err := s.eachLedgerBatch(ctx, noticeID, func(batch string, ds []models.Delivery) error {
		for _, d := range ds {
			c := ledgerCursor(batch, d.MemberID)
			if c <= p.Cursor || (status != "" && d.Status != status) {
				continue
			}
			if len(out) == n {
				next = last // there is more after the page's last item
				return errFull
			}
			out, last = append(out, d), c
		}
		return nil
	}, p.Cursor)
	if err != nil && !errors.Is(err, errFull) {
		return nil, "", err
	}
	return out, next, nil
}

// ledgerCursor orders the ledger: by send batch, then by member (a batch's deliveries share
// their notice and channel, so that is delivery id order). "!" sorts before every character of
// batch keys and member ids, so a batch comes before the batches its key is a prefix of.
func ledgerCursor(batch, memberID string) string { return batch + "!" + memberID }

// eachLedgerBatch calls fn with a notice's deliveries one send batch at a time, in batch order
// (from the batch whose ledgerCursor prefix is at or after after), each in id order: the
// recorded ones from the delivery records, the queued ones from the batch's open list. No two
// records name one delivery (a claim has one record, and a member leaves the open list once
// recorded: see store/sendbatches.go), so the records are listed as they are; a member both
// recorded and still open (its sender died between its record and its batch update) shows its
// record. A member is in one batch per channel, so memory stays that of one batch however
// large the notice.
func (s *Store) eachLedgerBatch(ctx context.Context, noticeID string, fn func(batch string, ds []models.Delivery) error, after string) error {
	start, _, _ := strings.Cut(after, "!")
	open, err := s.openByBatch(ctx, noticeID)
	if err != nil {
		return err
	}
	openKeys := slices.Sorted(maps.Keys(open))
	emit := func(batch string, ds []models.Delivery) error {
		recorded := make(map[string]bool, len(ds))
		for _, d := range ds {
			recorded[d.ID] = true
		}
		for _, d := range open[batch] {
			if !recorded[d.ID] {
				ds = append(ds, d)
			}
		}
		delete(open, batch)
		slices.SortStableFunc(ds, func(a, b models.Delivery) int { return strings.Compare(a.ID, b.ID) })
		return fn(batch, ds)
	}
	// Batches with open members and no records are emitted in their place in the order.
	openBefore := func(batch string) error {
		for len(openKeys) > 0 && (batch == "" || openKeys[0] < batch) {
			k := openKeys[0]
			openKeys = openKeys[1:]
			if _, ok := open[k]; ok && k >= start {
				if err := emit(k, nil); err != nil {
					return err
				}
			}
		}
		return nil
	}
	f := bson.M{"notice_id": noticeID}
	if start != "" {
		f["batch"] = bson.M{"$gte": start}
	}
	cur, err := s.c(colRecords).Find(ctx, f, options.Find().SetSort(bson.D{{Key: "batch", Value: 1}, {Key: "at", Value: 1}, {Key: "_id", Value: 1}}))
	if err != nil {
		return fmt.Errorf("delivery records: %w", err)
	}
	defer cur.Close(ctx)
	batch, recs := "", []models.Delivery(nil)
	for cur.Next(ctx) {
		var rec models.DeliveryRecord
		if err := cur.Decode(&rec); err != nil {
			return fmt.Errorf("delivery records: %w", err)
		}
		if rec.Batch != batch {
			if batch != "" {
				if err := emit(batch, recs); err != nil {
					return err
				}
			}
			if err := openBefore(rec.Batch); err != nil {
				return err
			}
			batch, recs = rec.Batch, nil
		}
		for _, o := range rec.Outcomes {
			recs = append(recs, rec.Delivery(o))
		}
	}
	if err := cur.Err(); err != nil {
		return fmt.Errorf("delivery records: %w", err)
	}
	if batch != "" {
		if err := emit(batch, recs); err != nil {
			return err
		}
	}
	return openBefore("")
}

// openByBatch lists a notice's queued deliveries (the open members of its batches) by batch.
func (s *Store) openByBatch(ctx context.Context, noticeID string) (map[string][]models.Delivery, error) {
	var bs []models.SendBatch
	err := s.all(ctx, colSendBatches, bson.M{"notice_id": noticeID, "done": false},
		options.Find().SetProjection(bson.M{"members": 0, "phones": 0}), &bs)
	if err != nil {
		return nil, fmt.Errorf("queued deliveries: %w", err)
	}
	out := map[string][]models.Delivery{}
	for _, b := range bs {
		for _, m := range b.Open {
			out[b.ID] = append(out[b.ID], queuedDelivery(b, m))
		}
	}
	return out, nil
}

// OpenDeliveries counts a notice's queued deliveries.
func (s *Store) OpenDeliveries(ctx context.Context, noticeID string) (int, error) {
	open, err := s.openByBatch(ctx, noticeID)
	n := 0
	for _, ds := range open {
		n += len(ds)
	}
	return n, err
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
