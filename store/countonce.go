package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Counting exactly once. A write and its counter move are two documents and there are no
// transactions, so a crash or an error can fall between them, and the retry the system makes
// anyway (asynq retries an answer batch; a parent repeats a bind, an unbind or a confirmation)
// must then count what was stored and not counted, and nothing twice. Each counted operation
// has a key (a batch of answers, a binding made or removed, a receipt confirmed):
//
//   - The counter document records the key in the same single-document update that moves it
//     (`applied.<key>`, guarded by `applied.<key>` not existing), so applying a key again
//     changes nothing, whichever counter documents of the operation a failure left unmoved.
//   - Once every counter of the operation moved, the operation is marked counted where its data
//     is (the binding's or receipt's `counted` field, or a document per answer batch), and a
//     repeat that finds the mark counts nothing. A repeat that finds no mark counts the stored
//     data under the same key: a binding or receipt by its id, an answer batch those answers
//     it stored itself (each answer carries a tag of the batch that stored it, responses.go).
//   - A key leaves its counter document only when its operation is marked counted and
//     countGrace has passed since it was applied (settleCounts), so a concurrent repeat that
//     read "not counted" just before the mark still finds the key. A key whose operation was
//     never marked stays until a repeat marks it.
//
// The guard is atomic on MongoDB, and on the embedded store because its client has one
// connection (docs/architecture.md).

// Kinds of counted operation, the prefix of their keys.
const (
	opAnswers  = "r" // a batch of answers: the batch's key
	opBindings = "g" // a bulk insert of bindings (AddGuardianships): the batch's key
	opBind     = "b" // a binding made: its id
	opUnbind   = "u" // a binding removed: its id
	opConfirm  = "c" // a receipt confirmed: its id
)

const (
	// colCountBatches holds one document per counted batch (answers, bulk bindings): its mark.
	// Marks are kept for good: a batch re-run from asynq's archive months later must still find
	// its mark, or it would count its answers again. One small document per batch of up to
	// 1,000 answers is a few hundred a year per city.
	colCountBatches = "report_count_batches"
	// countGrace is how long a counted operation's key stays in its counter documents after it
	// was applied: far longer than a request or task takes between reading "not counted" and
	// moving a counter (the API's write timeout is 60 s, an answer batch's task timeout one
	// minute, jobs.answerBatchTimeout), and short, because the keys of the
	// last countGrace are in the document that every write of them rewrites (a city-wide
	// notice's confirmations all move the city's counter document).
	countGrace = 2 * time.Minute
	// countSettleAt is how many keys a counter document gathers before they are settled.
	countSettleAt = 16
)

// SetCountFault makes every report counter write first call f with the counter document's id
// and fail with its error when it returns one (nil: no fault). For fault-injection tests only:
// it lets a test fail the counter write that follows a stored write, and then see the retry
// count exactly. Set it while nothing else uses the store (it is not synchronised).
func (s *Store) SetCountFault(f func(counter string) error) { s.countFault = f }

// opKey names a counted operation. The key is a field name in the counter documents, so a dot
// in the id (none of ours has one) is escaped.
func opKey(kind, id string) string { return kind + ":" + strings.ReplaceAll(id, ".", "%2E") }

// batchKey names a batch of documents by their ids, whatever their order: a retried task
// carries the same ids.
func batchKey(kind string, ids []string) string {
	sorted := slices.Sorted(slices.Values(ids))
	h := sha256.Sum256([]byte(strings.Join(sorted, "\n")))
	return opKey(kind, hex.EncodeToString(h[:16]))
}

// applyCountsOnce moves the counters of d for the operation key, each counter document at most
// once whatever is retried (see above). It does not mark the operation counted.
func (s *Store) applyCountsOnce(ctx context.Context, key string, d countDelta) error {
	field := "applied." + key
	for id, m := range d {
		inc := m.nonZero()
		if len(inc) == 0 {
			continue
		}
		if s.countFault != nil {
			if err := s.countFault(id); err != nil {
				return fmt.Errorf("report counters: %w", err)
			}
		}
		filter := bson.M{"_id": id, field: bson.M{"$exists": false}}
		upd := bson.M{"$inc": inc, "$setOnInsert": m.set, "$set": bson.M{field: s.now()}}
		opts := options.FindOneAndUpdate().SetUpsert(true).SetReturnDocument(options.After) // no projection: FerretDB v1 has none here
		var doc struct {
			Applied map[string]time.Time `bson:"applied"`
		}
		err := s.c(colCounts).FindOneAndUpdate(ctx, filter, upd, opts).Decode(&doc)
		if mongo.IsDuplicateKeyError(err) {
			// The document exists: either it has the key (nothing to do), or another first
			// write created it meanwhile (apply to it).
			err = s.c(colCounts).FindOneAndUpdate(ctx, filter, upd, opts.SetUpsert(false)).Decode(&doc)
			if errors.Is(err, mongo.ErrNoDocuments) {
				continue
			}
		}
		if err != nil {
			return fmt.Errorf("report counters: %w", err)
		}
		if len(doc.Applied) >= countSettleAt {
			if err := s.settleCounts(ctx, id, doc.Applied); err != nil {
				return err
			}
		}
	}
	return nil
}

// settleCounts drops from a counter document the keys of operations marked counted at least
// countGrace ago.
func (s *Store) settleCounts(ctx context.Context, id string, applied map[string]time.Time) error {
	unset := bson.M{}
	for key, at := range applied {
		if s.now().Sub(at) < countGrace {
			continue
		}
		done, err := s.opCounted(ctx, key)
		if err != nil {
			return err
		}
		if done {
			unset["applied."+key] = ""
		}
	}
	if len(unset) == 0 {
		return nil
	}
	if _, err := s.c(colCounts).UpdateOne(ctx, bson.M{"_id": id}, bson.M{"$unset": unset}); err != nil {
		return fmt.Errorf("settle report counters: %w", err)
	}
	return nil
}

// countedMark is the field that marks a binding or receipt counted.
type countedMark struct {
	Counted bool `bson:"counted"`
}

// opCounted reports whether an operation is marked counted. A binding or receipt that is gone
// counts as settled: nothing can count it again.
func (s *Store) opCounted(ctx context.Context, key string) (bool, error) {
	kind, id, _ := strings.Cut(key, ":")
	id = strings.ReplaceAll(id, "%2E", ".")
	var coll string
	switch kind {
	case opAnswers, opBindings:
		return s.batchCounted(ctx, key)
	case opBind, opUnbind:
		coll = colGuardians
	case opConfirm:
		coll = colReceipts
	default:
		return false, nil
	}
	m, err := findOne[countedMark](ctx, s.c(coll), bson.M{"_id": id})
	switch {
	case errors.Is(err, ErrNotFound):
		return true, nil
	case err != nil:
		return false, fmt.Errorf("settle report counters: %w", err)
	}
	return kind != opUnbind && m.Counted, nil
}

// recountMark is the colCountBatches document that holds when the last recount started.
const recountMark = "~recount"

// countedByRecount reports whether a write made at is in the counters because a recount
// counted it (RecountReports runs with writers stopped and counts what is on file). A repeat
// that finds a binding or confirmation unmarked asks this before counting it.
func (s *Store) countedByRecount(ctx context.Context, at time.Time) (bool, error) {
	m, err := findOne[struct {
		At time.Time `bson:"at"`
	}](ctx, s.c(colCountBatches), bson.M{"_id": recountMark})
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("last recount: %w", err)
	}
	return !at.After(m.At), nil
}

// markBatchCounted marks a batch's counters moved.
func (s *Store) markBatchCounted(ctx context.Context, key string) error {
	_, err := s.c(colCountBatches).InsertOne(ctx, bson.M{"_id": key, "at": s.now()})
	if err != nil && !mongo.IsDuplicateKeyError(err) {
		return fmt.Errorf("mark counted: %w", err)
	}
	return nil
}

// batchCounted reports whether a batch's counters all moved.
func (s *Store) batchCounted(ctx context.Context, key string) (bool, error) {
	_, err := findOne[bson.M](ctx, s.c(colCountBatches), bson.M{"_id": key})
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("batch counted: %w", err)
	}
	return true, nil
}

// markCounted marks a binding or receipt counted.
func (s *Store) markCounted(ctx context.Context, coll, id string) error {
	if _, err := s.c(coll).UpdateOne(ctx, bson.M{"_id": id}, bson.M{"$set": bson.M{"counted": true}}); err != nil {
		return fmt.Errorf("mark counted: %w", err)
	}
	return nil
}
