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
