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

// The send path of a broadcast writes one document per recipient (the receipt in their
// inbox), and everything else per batch and by id. On MongoDB that is merely tidy; on the
// embedded FerretDB v1 it is what makes a broadcast fast: FerretDB answers an exact {_id}
// filter from its index and reads the whole collection for any other filter, an update by _id
// costs about 1 ms, and each document inserted about 0.07 ms, as much as a no-op asynq task
// (bench/README.md).
//
// So a delivery is written once, when its outcome is known (sent, failed, skipped, unknown),
// together with the others its send learned: one delivery record per send (delivery_records).
// Until then it is queued: its member is listed as open in its send batch (send_batches, one
// document per send task, up to jobs.DefaultSendChunk members). A send batch is where the
// ledger keeps what is still to do; the receipt in the member's inbox names the batch of the
// notice's first channel, so a fan-out run again after a crash puts nobody in a second batch.
//
// A send is made exclusive by the database, before any provider call: a task owns a batch
// while its lock (send_locks, one small document per batch being sent, unique by _id) is its
// own, and it sends only the members it wrote into its lock (Upto) with one conditional update
// on that lock. A member leaves the open list only through a delivery record, and a claim has
// one record at most: the record's _id is the claim's, so the owner's own record and the
// "unknown" one written for it when it is presumed dead cannot both exist. A lock left by a
// dead owner names the members it was sending: their outcome cannot be known, so they are
// recorded unknown instead of being sent again. An owner renews its lock while it sends
// (RenewBatch), so a slow provider call does not make it look dead.

// QueueRecipients puts a notice in the inboxes of members and, when channel is set, queues
// their deliveries on it: chunks[i] goes into the send batch prefix+tags[i]. A member already in
// the notice's inbox (a fan-out run again) is not queued again; if the batch their receipt names
// does not list them (the earlier run stopped in between), it is made to. It returns how many
// members were new to the notice and the batches that list members of this call now and did
// not before, for their send tasks to be enqueued. phones (optional) are members' encrypted
// numbers, carried into the batches.
//
// A receipt names its batch by tag only: the prefix is the same for every batch of the
// notice's first channel, and a receipt is written per recipient, so its size is the
// broadcast's (a receipt with the whole key took about 25 % longer to insert).
func (s *Store) QueueRecipients(ctx context.Context, n models.Notice, channel, prefix string, tags []string, chunks [][]string, phones map[string][]byte) (int, []string, error) {
	var receipts []any
	for i, chunk := range chunks {
		for _, m := range chunk {
			r := models.Receipt{ID: models.ReceiptID(n.ID, m), MemberID: m}
			if channel != "" {
				r.Batch = tags[i]
			}
			receipts = append(receipts, r)
		}
	}
	isNew, added, err := s.insertNew(ctx, colReceipts, receipts)
	if err != nil || channel == "" {
		return added, nil, err
	}
	byBatch := map[string][]string{}
	var repeated []string
	for i, doc := range receipts {
		r := doc.(models.Receipt)
		if isNew[i] {
			byBatch[prefix+r.Batch] = append(byBatch[prefix+r.Batch], r.MemberID)
		} else {
			repeated = append(repeated, r.ID)
		}
	}
	if len(repeated) > 0 {
		earlier, err := byIDs[models.Receipt](ctx, s, colReceipts, repeated)
		if err != nil {
			return added, nil, err
		}
		for _, r := range earlier {
			if r.Batch != "" {
				key := r.Batch
				if !strings.HasPrefix(key, prefix) { // receipts written before tags name the whole key
					key = prefix + key
				}
				byBatch[key] = append(byBatch[key], r.MemberID)
			}
		}
	}
	var batches []string
	for _, b := range slices.Sorted(maps.Keys(byBatch)) {
		grew, err := s.EnsureBatch(ctx, n.ID, channel, b, byBatch[b], phones)
		if err != nil {
			return added, nil, err
		}
		if grew {
			batches = append(batches, b)
		}
	}
	return added, batches, nil
}

// EnsureBatch makes a send batch list members (as open) unless it has carried them already.
// Callers give each member of a notice and channel one batch key (a receipt's, a fallback
// send's, a robot's), so this is what keeps a delivery in one batch; the batch key being
// deterministic, a repeated call adds nothing. The batch keeps the numbers phones has of its
// members. It answers whether the batch lists members it did not before.
func (s *Store) EnsureBatch(ctx context.Context, noticeID, channel, batch string, members []string, phones map[string][]byte) (bool, error) {
	members = slices.Compact(slices.Sorted(slices.Values(members)))
	if len(members) == 0 {
		return false, nil
	}
	now := s.now()
	b := models.SendBatch{ID: batch, NoticeID: noticeID, Channel: channel, Members: members, Open: members, CreatedAt: now, UpdatedAt: now}
	b.Phones = models.MemberPhones(members, phones)
	_, err := s.c(colSendBatches).InsertOne(ctx, b)
	if !isDup(err) {
		if err != nil {
			return false, fmt.Errorf("send batch: %w", err)
		}
		return true, nil
	}
	// The batch exists: add the members it has never carried, in one conditional update so
	// that two callers cannot both add one (a member added twice could be sent twice).
	for range 10 {
		cur, err := findOne[models.SendBatch](ctx, s.c(colSendBatches), bson.M{"_id": batch})
		if err != nil {
			return false, fmt.Errorf("send batch: %w", err)
		}
		var missing []string
		for _, m := range members {
			if !slices.Contains(cur.Members, m) && !slices.Contains(missing, m) {
				missing = append(missing, m)
			}
		}
		if len(missing) == 0 {
			return false, nil
		}
		push := bson.M{"members": bson.M{"$each": missing}, "open": bson.M{"$each": missing}}
		if list := models.MemberPhones(missing, phones); list != nil {
			push["phones"] = bson.M{"$each": list}
		}
		res, err := s.c(colSendBatches).UpdateOne(ctx, bson.M{"_id": batch, "members": bson.M{"$nin": missing}}, bson.M{
			"$push": push, "$set": bson.M{"done": false, "updated_at": now}})
		if err != nil {
			return false, fmt.Errorf("send batch: %w", err)
		}
		if res.MatchedCount == 1 {
			return true, nil
		}
	}
	return false, fmt.Errorf("send batch %s: too many concurrent changes", batch)
}

// DeferBatch defers a batch until notBefore (quiet hours), so the reconciler leaves it alone
// while its deferred task waits.
func (s *Store) DeferBatch(ctx context.Context, batch string, notBefore time.Time) error {
	_, err := s.c(colSendBatches).UpdateOne(ctx, bson.M{"_id": batch}, bson.M{"$set": bson.M{"not_before": notBefore}})
	if err != nil {
		return fmt.Errorf("defer batch: %w", err)
	}
	return nil
}

// ErrBatchBusy means another live task is sending the batch.
var ErrBatchBusy = errors.New("send batch is being sent by another task")

// Claim is a task's ownership of a batch while it sends: the batch and its due deliveries.
type Claim struct {
	ID         string // unique per claim
	Batch      models.SendBatch
	Deliveries []models.Delivery // queued and due: the ones to send now
}

// ClaimBatch makes task the owner of a batch under claim and returns its open deliveries that
// are due. A lock not renewed since deadBefore, or left by an earlier run of the same task,
// belongs to a dead sender: its members that sender never recorded become unknown, since
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

// queuedDelivery is the delivery of one of a batch's open members, as it stands until its
// outcome is recorded.
func queuedDelivery(b models.SendBatch, member string) models.Delivery {
	return models.Delivery{ID: models.DeliveryID(b.NoticeID, member, b.Channel), NoticeID: b.NoticeID, MemberID: member,
		Channel: b.Channel, Status: models.DeliveryQueued, Reason: b.Reason, Attempts: b.Attempts, CreatedAt: b.CreatedAt, UpdatedAt: b.UpdatedAt}
}

// due lists a batch's open members unless the batch is deferred past now.
func due(b models.SendBatch, now time.Time) []string {
	if b.NotBefore.After(now) || len(b.Open) == 0 {
		return []string{}
	}
	return b.Open
}

// ErrClaimLost means a sender's claim was settled as unknown by a task that presumed it dead
// before it recorded its outcomes: the ledger keeps the settlement.
var ErrClaimLost = errors.New("send claim was taken over before its outcomes were recorded")

// takeOver replaces a dead owner's lock with lock and settles what the dead owner left. The
// owner is dead when its lock was last renewed before deadBefore, or when the lock is an
// earlier run's of the same task (asynq runs a task again only once the earlier run failed,
// timed out or lost its worker). It answers false if the owner lives.
func (s *Store) takeOver(ctx context.Context, lock models.SendLock, deadBefore time.Time) (bool, error) {
	old, err := findOne[models.SendLock](ctx, s.c(colSendLocks), bson.M{"_id": lock.ID})
	if errors.Is(err, ErrNotFound) {
		return false, nil // released in between: the caller tries again later
	}
	if err != nil {
		return false, err
	}
	rerun := old.Task == lock.Task && lock.Task != "" // a task without an id is no rerun of another
	if !rerun && !old.At.Before(deadBefore) {
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

// Outcome is what happened to a delivery.
type Outcome struct {
	Status     string // sent, failed, skipped or unknown
	Reason     string
	Code       string
	ProviderID string
}

// Recorded is a delivery with its outcome.
type Recorded struct {
	models.Delivery
	Outcome
}

// Pending says why a claim's unrecorded deliveries stay queued, and until when they wait
// (zero: until the batch's task runs again).
type Pending struct {
	Reason    string
	NotBefore time.Time
}

// RecordOutcomes records the outcomes of some of a claim's deliveries and takes them off the
// batch's open list; the claim's other deliveries stay open, as pending says. Only the claim's
// owner calls it, once, and it releases its lock only after this succeeded: a crash or an
// error in between leaves the lock, whose next owner settles the claim (takeOver). The
// outcomes are written, as one delivery record with the claim's id, before the open list
// changes. If the claim was settled before (its owner presumed dead), the settlement's record
// holds that id: nothing is written and the answer is ErrClaimLost.
func (s *Store) RecordOutcomes(ctx context.Context, c Claim, recorded []Recorded, pending Pending) error {
	_, err := s.record(ctx, c, recorded, pending, false)
	return err
}

// record writes claim c's delivery record and takes its members off the open list. A settler
// (settling) that finds the record written already takes off the members that record names
// (its writer may have died before doing so) and answers 0.
func (s *Store) record(ctx context.Context, c Claim, recorded []Recorded, pending Pending, settling bool) (int, error) {
	now := s.now()
	done := make([]string, len(recorded))
	rec := models.DeliveryRecord{ID: c.ID, NoticeID: c.Batch.NoticeID, Batch: c.Batch.ID, Channel: c.Batch.Channel,
		Attempts: c.Batch.Attempts + 1, QueuedAt: c.Batch.CreatedAt, At: now, Outcomes: make([]models.DeliveryOutcome, len(recorded))}
	for i, r := range recorded {
		o := r.Outcome
		rec.Outcomes[i] = models.DeliveryOutcome{MemberID: r.MemberID, Status: o.Status, Reason: o.Reason, Code: o.Code, ProviderID: o.ProviderID}
		done[i] = r.MemberID
	}
	_, err := s.c(colRecords).InsertOne(ctx, rec)
	switch {
	case isDup(err) && !settling:
		return 0, ErrClaimLost
	case isDup(err):
		earlier, err := findOne[models.DeliveryRecord](ctx, s.c(colRecords), bson.M{"_id": c.ID})
		if err != nil {
			return 0, fmt.Errorf("settle delivery record: %w", err)
		}
		done = done[:0]
		for _, o := range earlier.Outcomes {
			done = append(done, o.MemberID)
		}
		if len(done) == 0 {
			return 0, nil
		}
		_, err = s.c(colSendBatches).UpdateOne(ctx, bson.M{"_id": c.Batch.ID}, bson.M{"$pullAll": bson.M{"open": done}})
		if err != nil {
			return 0, fmt.Errorf("settle send batch: %w", err)
		}
		return 0, s.fixDone(ctx, c.Batch.ID)
	case err != nil:
		return 0, fmt.Errorf("record deliveries: %w", err)
	}
	// Done when the claim leaves nothing open, as far as it knows; the answer shows whether
	// that held (a member added meanwhile by EnsureBatch), and a second write corrects it.
	// Both writes go by _id alone: with any other condition FerretDB reads every batch.
	left := len(c.Batch.Open)
	for _, m := range done {
		if slices.Contains(c.Batch.Open, m) {
			left--
		}
	}
	set := bson.M{"updated_at": now, "reason": pending.Reason, "done": left == 0}
	if !pending.NotBefore.IsZero() {
		set["not_before"] = pending.NotBefore
	}
	update := bson.M{"$set": set, "$inc": bson.M{"attempts": 1}}
	if left == 0 {
		update["$unset"] = bson.M{"phones": ""} // numbers are kept no longer than needed
	}
	if len(done) > 0 {
		update["$pullAll"] = bson.M{"open": done}
	}
	var b models.SendBatch
	err = s.c(colSendBatches).FindOneAndUpdate(ctx, bson.M{"_id": c.Batch.ID}, update,
		options.FindOneAndUpdate().SetReturnDocument(options.After)).Decode(&b)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return len(recorded), nil
	}
	if err != nil {
		return 0, fmt.Errorf("record send batch: %w", err)
	}
	if empty := len(b.Open) == 0; b.Done != empty {
		// A member was added meanwhile, or an earlier claim's late record said otherwise.
		if _, err := s.c(colSendBatches).UpdateOne(ctx, bson.M{"_id": c.Batch.ID}, bson.M{"$set": bson.M{"done": empty}}); err != nil {
			return 0, fmt.Errorf("record send batch: %w", err)
		}
	}
	return len(recorded), nil
}

// fixDone sets a batch's done flag from its open list.
func (s *Store) fixDone(ctx context.Context, batch string) error {
	b, err := findOne[models.SendBatch](ctx, s.c(colSendBatches), bson.M{"_id": batch})
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if empty := len(b.Open) == 0; b.Done != empty {
		if _, err := s.c(colSendBatches).UpdateOne(ctx, bson.M{"_id": batch}, bson.M{"$set": bson.M{"done": empty}}); err != nil {
			return fmt.Errorf("settle send batch: %w", err)
		}
	}
	return nil
}

// PurgeSendBatches deletes the send batches that finished more than age ago, of notices whose
// sending is over (sent or cancelled), and returns how many. Nothing touches such a batch
// again: a fan-out ends once its notice is sent, and a batch falls back only while it sends.
// Until then the batch is what says its members were queued once, so it is kept.
func (s *Store) PurgeSendBatches(ctx context.Context, age time.Duration) (int64, error) {
	var old []models.SendBatch
	err := s.all(ctx, colSendBatches, bson.M{"done": true, "updated_at": bson.M{"$lt": s.now().Add(-age)}},
		options.Find().SetProjection(bson.M{"_id": 1, "notice_id": 1}).SetLimit(10000), &old)
	if err != nil {
		return 0, fmt.Errorf("old send batches: %w", err)
	}
	over := map[string]bool{}
	var ids []string
	for _, b := range old {
		ended, seen := over[b.NoticeID]
		if !seen {
			n, err := s.Notice(ctx, b.NoticeID)
			switch {
			case errors.Is(err, ErrNotFound):
				ended = true
			case err != nil:
				return 0, err
			default:
				ended = n.Status == models.NoticeSent || n.Status == models.NoticeCancelled
			}
			over[b.NoticeID] = ended
		}
		if ended {
			ids = append(ids, b.ID)
		}
	}
	if len(ids) == 0 {
		return 0, nil
	}
	res, err := s.c(colSendBatches).DeleteMany(ctx, bson.M{"_id": bson.M{"$in": ids}, "done": true})
	if err != nil {
		return 0, fmt.Errorf("purge send batches: %w", err)
	}
	return res.DeletedCount, nil
}
