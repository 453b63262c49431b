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

// Send locks: what makes the send of a batch's deliveries exclusive (see sendbatches.go).

// ErrBatchBusy means another live task is sending the batch.
var ErrBatchBusy = errors.New("send batch is being sent by another task")

// Claim is a task's ownership of a batch while it sends: the batch and its due deliveries.
type Claim struct {
	ID         string // unique per claim
	Batch      models.SendBatch
	Deliveries []models.Delivery // queued and due: the ones to send now
}

// ClaimBatch makes task the owner of a batch under claim and returns its open deliveries that
// are due. A lock not renewed since deadBefore belongs to a dead sender: its members that sender never recorded become unknown, since
// whether they arrived cannot be known and sending again could send them twice. A sender
// presumed dead that was in fact alive finds its claim recorded when it records (ErrClaimLost),
// and its members were not sent again by anyone. A live owner's lock gives ErrBatchBusy. No
// batch, or nothing due, gives no deliveries; the caller then releases the lock.
func (s *Store) ClaimBatch(ctx context.Context, batch, task, claim string, deadBefore time.Time) (Claim, error) {
	c := Claim{ID: claim}
	now := s.now()
	// The lock comes first, naming nothing; the batch is read only once it is held, so that
	// no read made before another owner recorded and released can be sent from. It names what
	// it sends before anything is sent.
	lock := models.SendLock{ID: batch, Claim: claim, Task: task, At: now}
	_, err := s.c(colSendLocks).InsertOne(ctx, lock)
	switch {
	case isDup(err):
		took, err := s.takeOver(ctx, lock, deadBefore)
		if err != nil {
			return c, err
		}
		if !took {
			return c, ErrBatchBusy
		}
	case err != nil:
		return c, fmt.Errorf("lock send batch: %w", err)
	}
	b, err := findOne[models.SendBatch](ctx, s.c(colSendBatches), bson.M{"_id": batch})
	if errors.Is(err, ErrNotFound) {
		return c, nil
	}
	if err != nil {
		// The lock names nothing yet: letting it go loses nothing.
		return c, errors.Join(err, s.ReleaseBatch(context.WithoutCancel(ctx), batch, claim))
	}
	c.Batch = b
	claimed := due(b, now)
	if len(claimed) > 0 {
		res, err := s.c(colSendLocks).UpdateOne(ctx, bson.M{"_id": batch, "claim": claim}, bson.M{"$set": bson.M{"upto": len(b.Members)}})
		if err != nil {
			return c, fmt.Errorf("lock send batch: %w", err)
		}
		if res.MatchedCount != 1 {
			return c, ErrBatchBusy // taken over meanwhile: this task was presumed dead
		}
	}
	c.Deliveries = make([]models.Delivery, len(claimed))
	for i, m := range claimed {
		c.Deliveries[i] = queuedDelivery(b, m)
	}
	return c, nil
}

// ErrClaimLost means a sender's claim was settled as unknown by a task that presumed it dead
// before it recorded its outcomes: the ledger keeps the settlement.
var ErrClaimLost = errors.New("send claim was taken over before its outcomes were recorded")

// takeOver replaces a dead owner's lock with lock and settles what the dead owner left. The
// owner is dead when its lock was last renewed before deadBefore, even when the lock is an
// earlier run's of the same task: asynq runs a task again as soon as a stopping worker hands it
// back, while that run may still be recording what it sent, and taking its batch over then
// would record unknown the deliveries it had not yet sent. It answers false if the owner lives.
func (s *Store) takeOver(ctx context.Context, lock models.SendLock, deadBefore time.Time) (bool, error) {
	old, err := findOne[models.SendLock](ctx, s.c(colSendLocks), bson.M{"_id": lock.ID})
	if errors.Is(err, ErrNotFound) {
		return false, nil // released in between: the caller tries again later
	}
	if err != nil {
		return false, err
	}
	if !old.At.Before(deadBefore) {
		return false, nil
	}
	lock.Upto, lock.Settles = old.Upto, unsettled(old)
	took, err := s.replaceLock(ctx, old, lock)
	if err != nil || !took {
		return false, err
	}
	_, err = s.settle(ctx, lock)
	return err == nil, err
}

// unsettled is the claim whose members under a lock's Upto may be in flight ("" if none).
func unsettled(l models.SendLock) string {
	switch {
	case l.Upto == 0:
		return ""
	case l.Settles != "":
		return l.Settles
	}
	return l.Claim
}

// replaceLock swaps old for lock if old is still exactly as read: not renewed, not extended by
// its owner's Upto, not taken over by another. Of two tasks taking over, one wins.
func (s *Store) replaceLock(ctx context.Context, old, lock models.SendLock) (bool, error) {
	res, err := s.c(colSendLocks).ReplaceOne(ctx, bson.M{"_id": old.ID, "claim": old.Claim, "at": old.At, "upto": old.Upto}, lock)
	if err != nil {
		return false, fmt.Errorf("take over send batch: %w", err)
	}
	return res.MatchedCount == 1, nil
}

// settle records unknown the deliveries of the claim lock.Settles that were never recorded,
// then clears the lock's Upto (it names nothing of its holder's yet). It returns how many it
// recorded. A holder that dies in between leaves lock.Settles for the next one to settle.
func (s *Store) settle(ctx context.Context, lock models.SendLock) (int, error) {
	if lock.Settles == "" {
		return 0, nil
	}
	b, err := findOne[models.SendBatch](ctx, s.c(colSendBatches), bson.M{"_id": lock.ID})
	if errors.Is(err, ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	var recorded []Recorded
	open := make(map[string]bool, len(b.Open))
	for _, m := range b.Open {
		open[m] = true
	}
	for _, m := range b.Members[:min(lock.Upto, len(b.Members))] {
		if open[m] {
			recorded = append(recorded, Recorded{Delivery: queuedDelivery(b, m), Outcome: Outcome{Status: models.DeliveryUnknown, Reason: "worker_lost"}})
		}
	}
	n, err := s.record(ctx, Claim{ID: lock.Settles, Batch: b}, recorded, Pending{}, true)
	if err != nil {
		return 0, err
	}
	res, err := s.c(colSendLocks).UpdateOne(ctx, bson.M{"_id": lock.ID, "claim": lock.Claim},
		bson.M{"$set": bson.M{"upto": 0}, "$unset": bson.M{"settles": ""}})
	if err != nil {
		return n, fmt.Errorf("settle send batch: %w", err)
	}
	if res.MatchedCount != 1 {
		return n, ErrBatchBusy // taken over meanwhile: the next holder settles again, to the same end
	}
	return n, nil
}

// RenewBatch tells that claim's owner is alive and still sending, so that nobody takes the
// batch over while a provider call is slow. It answers false when the claim is no longer the
// batch's owner: it was presumed dead and its deliveries settled.
func (s *Store) RenewBatch(ctx context.Context, batch, claim string) (bool, error) {
	res, err := s.c(colSendLocks).UpdateOne(ctx, bson.M{"_id": batch, "claim": claim}, bson.M{"$set": bson.M{"at": s.now()}})
	if err != nil {
		return false, fmt.Errorf("renew send batch: %w", err)
	}
	return res.MatchedCount == 1, nil
}

// ReleaseBatch ends claim's ownership of a batch, once every outcome is written.
func (s *Store) ReleaseBatch(ctx context.Context, batch, claim string) error {
	if _, err := s.c(colSendLocks).DeleteOne(ctx, bson.M{"_id": batch, "claim": claim}); err != nil {
		return fmt.Errorf("release send batch: %w", err)
	}
	return nil
}

// ExpireSending settles the locks not renewed since before: their owners died and their tasks
// are gone too. It returns how many deliveries became unknown.
func (s *Store) ExpireSending(ctx context.Context, before time.Time) (int64, error) {
	var locks []models.SendLock
	if err := s.all(ctx, colSendLocks, bson.M{"at": bson.M{"$lt": before}}, options.Find().SetLimit(1000), &locks); err != nil {
		return 0, fmt.Errorf("expired send locks: %w", err)
	}
	var total int64
	for _, old := range locks {
		// Take the lock over first, so that no task claims the batch while its deliveries
		// are being settled, then drop it.
		mine := models.SendLock{ID: old.ID, Claim: NewID(), Task: "reconciler", At: s.now(), Upto: old.Upto, Settles: unsettled(old)}
		took, err := s.replaceLock(ctx, old, mine)
		if err != nil {
			return total, err
		}
		if !took {
			continue
		}
		n, err := s.settle(ctx, mine)
		total += int64(n)
		if errors.Is(err, ErrBatchBusy) {
			continue
		}
		if err != nil {
			return total, err
		}
		if err := s.ReleaseBatch(ctx, old.ID, mine.Claim); err != nil {
			return total, err
		}
	}
	return total, nil
}
