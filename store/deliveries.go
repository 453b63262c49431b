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

// QueueDeliveries creates queued deliveries of a notice on a channel, in one send batch
// (idempotently: a delivery that exists keeps its batch and status). Deliveries are claimed
// and finished by batch with equality filters, because the embedded FerretDB evaluates
// {_id: {$in: [...]}} against every document of the collection (measured: 7 s for 200 ids
// among 20,000).
func (s *Store) QueueDeliveries(ctx context.Context, noticeID, channel, batch string, members []string) error {
	now := s.now()
	docs := make([]any, len(members))
	for i, m := range members {
		docs[i] = models.Delivery{ID: models.DeliveryID(noticeID, m, channel), NoticeID: noticeID, MemberID: m, Channel: channel,
			Batch: batch, Status: models.DeliveryQueued, CreatedAt: now, UpdatedAt: now}
	}
	_, err := s.insertIgnoringDuplicates(ctx, colDeliveries, docs)
	return err
}

// ClaimBatch marks the queued deliveries of a batch that are due as being sent under claim by
// task. Deliveries left in sending by an earlier run of the same task, or by anyone before
// deadBefore, become unknown: that sender died during the provider call (asynq runs a task
// again only once the earlier run is gone), so whether they arrived cannot be known, and
// sending again could send them twice. Deliveries another live task is sending are left alone.
// It returns the claimed deliveries.
func (s *Store) ClaimBatch(ctx context.Context, batch, task, claim string, deadBefore time.Time) ([]models.Delivery, error) {
	now := s.now()
	dead := bson.M{"batch": batch, "status": models.DeliverySending, "claim": bson.M{"$ne": claim},
		"$or": bson.A{bson.M{"claim_task": task}, bson.M{"updated_at": bson.M{"$lt": deadBefore}}}}
	_, err := s.c(colDeliveries).UpdateMany(ctx, dead,
		bson.M{"$set": bson.M{"status": models.DeliveryUnknown, "reason": "worker_lost", "updated_at": now}})
	if err != nil {
		return nil, fmt.Errorf("mark unknown deliveries: %w", err)
	}
	due := bson.M{"batch": batch, "status": models.DeliveryQueued,
		"$or": bson.A{bson.M{"not_before": bson.M{"$exists": false}}, bson.M{"not_before": bson.M{"$lte": now}}}}
	_, err = s.c(colDeliveries).UpdateMany(ctx, due,
		bson.M{"$set": bson.M{"status": models.DeliverySending, "claim": claim, "claim_task": task, "updated_at": now}, "$inc": bson.M{"attempts": 1}})
	if err != nil {
		return nil, fmt.Errorf("claim deliveries: %w", err)
	}
	var out []models.Delivery
	if err := s.all(ctx, colDeliveries, bson.M{"claim": claim, "status": models.DeliverySending}, options.Find(), &out); err != nil {
		return nil, fmt.Errorf("claimed deliveries: %w", err)
	}
	return out, nil
}

// Outcome is what happened to some claimed deliveries.
type Outcome struct {
	Status    string // sent, failed, skipped, or queued (to try again)
	Reason    string
	Code      string
	NotBefore time.Time // for queued: do not send again before (rate-limit waits)
}

// FinishDeliveries records an outcome for claimed deliveries; ids nil means every delivery
// still sending under the claim (the sender passes the largest group that way, so that the
// usual all-sent batch is one equality update). The claim guards the write: a delivery the
// reconciler has meanwhile declared unknown keeps that status.
func (s *Store) FinishDeliveries(ctx context.Context, claim string, ids []string, o Outcome) error {
	if ids != nil && len(ids) == 0 {
		return nil
	}
	now := s.now()
	set := bson.M{"status": o.Status, "reason": o.Reason, "code": o.Code, "updated_at": now}
	switch o.Status {
	case models.DeliverySent:
		set["sent_at"] = now
	case models.DeliveryQueued:
		set["claim"] = ""
		set["not_before"] = o.NotBefore
	}
	f := bson.M{"claim": claim, "status": models.DeliverySending}
	if ids != nil {
		f["_id"] = bson.M{"$in": ids}
	}
	_, err := s.c(colDeliveries).UpdateMany(ctx, f, bson.M{"$set": set})
	if err != nil {
		return fmt.Errorf("finish deliveries: %w", err)
	}
	return nil
}

// StuckQueued returns queued deliveries not touched since before, for the reconciler to send
// again (their task was lost with Redis, or never enqueued).
func (s *Store) StuckQueued(ctx context.Context, before time.Time, limit int) ([]models.Delivery, error) {
	var out []models.Delivery
	f := bson.M{"status": models.DeliveryQueued, "updated_at": bson.M{"$lt": before},
		"$or": bson.A{bson.M{"not_before": bson.M{"$exists": false}}, bson.M{"not_before": bson.M{"$lt": s.now()}}}}
	err := s.all(ctx, colDeliveries, f,
		options.Find().SetLimit(int64(limit)).SetProjection(bson.M{"_id": 1, "notice_id": 1, "channel": 1, "batch": 1}), &out)
	if err != nil {
		return nil, fmt.Errorf("stuck deliveries: %w", err)
	}
	return out, nil
}

// TouchBatch marks a batch's queued deliveries as waiting until notBefore, so the reconciler
// leaves them alone while their deferred task waits (quiet hours).
func (s *Store) TouchBatch(ctx context.Context, batch string, notBefore time.Time) error {
	_, err := s.c(colDeliveries).UpdateMany(ctx, bson.M{"batch": batch, "status": models.DeliveryQueued},
		bson.M{"$set": bson.M{"updated_at": s.now(), "not_before": notBefore}})
	if err != nil {
		return fmt.Errorf("touch deliveries: %w", err)
	}
	return nil
}

// ExpireSending declares deliveries stuck in sending since before as unknown (their worker
// died and their task is gone too).
func (s *Store) ExpireSending(ctx context.Context, before time.Time) (int64, error) {
	res, err := s.c(colDeliveries).UpdateMany(ctx, bson.M{"status": models.DeliverySending, "updated_at": bson.M{"$lt": before}},
		bson.M{"$set": bson.M{"status": models.DeliveryUnknown, "reason": "worker_lost", "updated_at": s.now()}})
	if err != nil {
		return 0, fmt.Errorf("expire sending: %w", err)
	}
	return res.ModifiedCount, nil
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
