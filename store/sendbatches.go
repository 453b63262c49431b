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

// The send path of a broadcast touches documents by id only. On MongoDB that is merely tidy;
// on the embedded FerretDB v1 it is what keeps a broadcast linear: FerretDB answers an exact
// {_id} filter from its index and reads the whole collection for any other filter, so a claim
// or an outcome written with {batch, status} filters cost a pass over every delivery ever made
// (bench/README.md: 76 deliveries/s at 10,000 recipients, hours at 100,000).
//
// A batch (send_batches) lists the members it carries; a task owns a batch while its lock
// (send_locks, one small document per batch being sent) exists. Only the owner writes the
// batch's deliveries, each by id. send_locks stays as small as the number of batches in
// flight, so the conditional updates that take over a dead owner's lock stay cheap there.

// QueueDeliveries creates queued deliveries of a notice on a channel in one send batch. A
// delivery that already exists (a repeated fan-out) keeps its batch and status and is not
// added to this one, so no two batches ever carry the same delivery. The deliveries are
// written before the batch lists them: a crash in between leaves queued deliveries that no
// batch lists, which the reconciler finds (StuckQueued) and adds back (RepairBatch).
func (s *Store) QueueDeliveries(ctx context.Context, noticeID, channel, batch string, members []string) error {
	now := s.now()
	docs := make([]any, len(members))
	for i, m := range members {
		docs[i] = models.Delivery{ID: models.DeliveryID(noticeID, m, channel), NoticeID: noticeID, MemberID: m, Channel: channel,
			Batch: batch, Status: models.DeliveryQueued, CreatedAt: now, UpdatedAt: now}
	}
	isNew, n, err := s.insertNew(ctx, colDeliveries, docs)
	if err != nil || n == 0 {
		return err
	}
	added := make([]string, 0, n)
	for i, m := range members {
		if isNew[i] {
			added = append(added, m)
		}
	}
	return s.addToBatch(ctx, noticeID, channel, batch, added)
}

func (s *Store) addToBatch(ctx context.Context, noticeID, channel, batch string, members []string) error {
	err := s.upsertByID(ctx, colSendBatches, batch, bson.M{"$addToSet": bson.M{"members": bson.M{"$each": members}},
		"$setOnInsert": bson.M{"notice_id": noticeID, "channel": channel, "attempts": 0, "created_at": s.now()}})
	if err != nil {
		return fmt.Errorf("send batch: %w", err)
	}
	return nil
}

// RepairBatch makes sure a batch lists members whose queued deliveries carry its key (see
// QueueDeliveries). It answers false while the batch is deferred (quiet hours), when sending
// it again now would only defer it again.
func (s *Store) RepairBatch(ctx context.Context, noticeID, channel, batch string, members []string) (bool, error) {
	b, err := findOne[models.SendBatch](ctx, s.c(colSendBatches), bson.M{"_id": batch})
	if err != nil && !errors.Is(err, ErrNotFound) {
		return false, err
	}
	if b.NotBefore.After(s.now()) {
		return false, nil
	}
	listed := make(map[string]bool, len(b.Members))
	for _, m := range b.Members {
		listed[m] = true
	}
	var missing []string
	for _, m := range members {
		if !listed[m] {
			missing = append(missing, m)
		}
	}
	if len(missing) > 0 {
		if err := s.addToBatch(ctx, noticeID, channel, batch, missing); err != nil {
			return false, err
		}
	}
	return true, nil
}

// TouchBatch defers a batch until notBefore (quiet hours), so the reconciler leaves it alone
// while its deferred task waits.
func (s *Store) TouchBatch(ctx context.Context, batch string, notBefore time.Time) error {
	_, err := s.c(colSendBatches).UpdateOne(ctx, bson.M{"_id": batch}, bson.M{"$set": bson.M{"not_before": notBefore}})
	if err != nil {
		return fmt.Errorf("defer batch: %w", err)
	}
	return nil
}

// ErrBatchBusy means another live task is sending the batch.
var ErrBatchBusy = errors.New("send batch is being sent by another task")

// ClaimBatch makes task the owner of a batch under claim and returns its deliveries that are
// queued and due. A lock left by an earlier run of the same task, or taken before deadBefore,
// belongs to a dead sender (asynq runs a task again only once the earlier run is gone): its
// deliveries that sender never finished become unknown, since whether they arrived cannot be
// known and sending again could send them twice. A live owner's lock gives ErrBatchBusy.
// No batch, or nothing due, gives no deliveries; the caller then releases the lock.
func (s *Store) ClaimBatch(ctx context.Context, batch, task, claim string, deadBefore time.Time) ([]models.Delivery, error) {
	b, err := findOne[models.SendBatch](ctx, s.c(colSendBatches), bson.M{"_id": batch})
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(b.Members))
	for i, m := range b.Members {
		ids[i] = models.DeliveryID(b.NoticeID, m, b.Channel)
	}
	now := s.now()
	// The lock names what it sends before anything is sent: on the first claim every
	// delivery of the batch; otherwise nothing until the deliveries are read below (a lock
	// that died naming too much would make unsent deliveries unknown).
	lock := models.SendLock{ID: batch, Claim: claim, Task: task, At: now, Claimed: []string{}}
	if b.Attempts == 0 {
		lock.Claimed = ids
	}
	took := false
	_, err = s.c(colSendLocks).InsertOne(ctx, lock)
	switch {
	case mongo.IsDuplicateKeyError(err):
		lock.Claimed = []string{}
		if took, err = s.takeOver(ctx, lock, deadBefore); err != nil {
			return nil, err
		}
		if !took {
			return nil, ErrBatchBusy
		}
	case err != nil:
		return nil, fmt.Errorf("lock send batch: %w", err)
	}
	if _, err := s.c(colSendBatches).UpdateOne(ctx, bson.M{"_id": batch}, bson.M{"$inc": bson.M{"attempts": 1}}); err != nil {
		return nil, fmt.Errorf("count batch attempt: %w", err)
	}
	if b.Attempts == 0 && !took {
		// The first claim: every delivery is as QueueDeliveries created it.
		out := make([]models.Delivery, len(b.Members))
		for i, m := range b.Members {
			out[i] = models.Delivery{ID: ids[i], NoticeID: b.NoticeID, MemberID: m, Channel: b.Channel, Batch: batch,
				Status: models.DeliveryQueued, CreatedAt: b.CreatedAt}
		}
		return out, nil
	}
	ds, err := byIDs[models.Delivery](ctx, s, colDeliveries, ids)
	if err != nil {
		return nil, err
	}
	var out []models.Delivery
	claimed := []string{}
	for _, d := range ds {
		if d.Batch == batch && d.Status == models.DeliveryQueued && !d.NotBefore.After(now) {
			out = append(out, d)
			claimed = append(claimed, d.ID)
		}
	}
	if _, err := s.c(colSendLocks).UpdateOne(ctx, bson.M{"_id": batch, "claim": claim}, bson.M{"$set": bson.M{"claimed": claimed}}); err != nil {
		return nil, fmt.Errorf("lock send batch: %w", err)
	}
	return out, nil
}

// takeOver replaces a dead owner's lock with lock (one conditional update: of two tasks taking
// over, one wins) and settles what the dead owner left. It answers false if the owner lives.
func (s *Store) takeOver(ctx context.Context, lock models.SendLock, deadBefore time.Time) (bool, error) {
	old, err := findOne[models.SendLock](ctx, s.c(colSendLocks), bson.M{"_id": lock.ID})
	if errors.Is(err, ErrNotFound) {
		return false, nil // released in between: the caller tries again later
	}
	if err != nil {
		return false, err
	}
	if old.Task != lock.Task && !old.At.Before(deadBefore) {
		return false, nil
	}
	res, err := s.c(colSendLocks).ReplaceOne(ctx, bson.M{"_id": lock.ID, "claim": old.Claim}, lock)
	if err != nil {
		return false, fmt.Errorf("take over send batch: %w", err)
	}
	if res.ModifiedCount != 1 {
		return false, nil
	}
	_, err = s.settleDead(ctx, old)
	return err == nil, err
}

// settleDead marks unknown the deliveries a dead owner claimed and never finished (an outcome
// records its claim), and returns how many.
func (s *Store) settleDead(ctx context.Context, dead models.SendLock) (int, error) {
	ds, err := byIDs[models.Delivery](ctx, s, colDeliveries, dead.Claimed)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, d := range ds {
		if d.Status != models.DeliveryQueued || d.Claim == dead.Claim || d.Batch != dead.ID {
			continue
		}
		_, err := s.c(colDeliveries).UpdateOne(ctx, bson.M{"_id": d.ID}, bson.M{"$set": bson.M{
			"status": models.DeliveryUnknown, "reason": "worker_lost", "claim": dead.Claim, "updated_at": s.now()}})
		if err != nil {
			return n, fmt.Errorf("mark delivery unknown: %w", err)
		}
		n++
	}
	return n, nil
}

// ReleaseBatch ends claim's ownership of a batch, once every outcome is written.
func (s *Store) ReleaseBatch(ctx context.Context, batch, claim string) error {
	if _, err := s.c(colSendLocks).DeleteOne(ctx, bson.M{"_id": batch, "claim": claim}); err != nil {
		return fmt.Errorf("release send batch: %w", err)
	}
	return nil
}

// ExpireSending settles the locks taken before before: their owners died and their tasks are
// gone too (a send never runs that long). It returns how many deliveries became unknown.
func (s *Store) ExpireSending(ctx context.Context, before time.Time) (int64, error) {
	var locks []models.SendLock
	if err := s.all(ctx, colSendLocks, bson.M{"at": bson.M{"$lt": before}}, options.Find().SetLimit(1000), &locks); err != nil {
		return 0, fmt.Errorf("expired send locks: %w", err)
	}
	var total int64
	for _, old := range locks {
		// Take the lock over first, so that no task claims the batch while its deliveries
		// are being settled, then drop it.
		mine := models.SendLock{ID: old.ID, Claim: NewID(), Task: "reconciler", At: s.now()}
		res, err := s.c(colSendLocks).ReplaceOne(ctx, bson.M{"_id": old.ID, "claim": old.Claim}, mine)
		if err != nil {
			return total, fmt.Errorf("take over send batch: %w", err)
		}
		if res.ModifiedCount != 1 {
			continue
		}
		n, err := s.settleDead(ctx, old)
		total += int64(n)
		if err != nil {
			return total, err
		}
		if err := s.ReleaseBatch(ctx, old.ID, mine.Claim); err != nil {
			return total, err
		}
	}
	return total, nil
}

// Outcome is what happened to some claimed deliveries.
type Outcome struct {
	Status    string // sent, failed, skipped, or queued (to try again)
	Reason    string
	Code      string
	NotBefore time.Time // for queued: do not send again before (rate-limit waits)
}

// FinishDeliveries records an outcome for deliveries claimed under claim (the claim's owner is
// the only writer of its batch's deliveries): one write for all on MongoDB, one by id each on
// the embedded store (see pointReads).
func (s *Store) FinishDeliveries(ctx context.Context, claim string, ids []string, o Outcome) error {
	if len(ids) == 0 {
		return nil
	}
	now := s.now()
	set := bson.M{"status": o.Status, "reason": o.Reason, "code": o.Code, "claim": claim, "updated_at": now}
	switch o.Status {
	case models.DeliverySent:
		set["sent_at"] = now
	case models.DeliveryQueued:
		set["not_before"] = o.NotBefore
	}
	update := bson.M{"$set": set, "$inc": bson.M{"attempts": 1}}
	if !s.pointReads {
		if _, err := s.c(colDeliveries).UpdateMany(ctx, bson.M{"_id": bson.M{"$in": ids}}, update); err != nil {
			return fmt.Errorf("finish deliveries: %w", err)
		}
		return nil
	}
	for _, id := range ids {
		if _, err := s.c(colDeliveries).UpdateOne(ctx, bson.M{"_id": id}, update); err != nil {
			return fmt.Errorf("finish delivery: %w", err)
		}
	}
	return nil
}
