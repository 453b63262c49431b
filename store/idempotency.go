package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// Idempotency record states.
const (
	IdemPending = "pending"
	IdemDone    = "done"
)

// IdemRecord remembers the answer given to an Idempotency-Key, so a retried POST gets the same
// answer instead of creating a second thing.
type IdemRecord struct {
	ID          string    `bson:"_id"` // hash of who + route + key
	BodyHash    string    `bson:"body_hash"`
	State       string    `bson:"state"`
	Status      int       `bson:"status"`
	ContentType string    `bson:"content_type"`
	Body        []byte    `bson:"body"`
	CreatedAt   time.Time `bson:"created_at"`
}

// IdemStaleAfter is how long a pending record may sit before another request may take the key
// over: the first attempt's process died mid-request.
const IdemStaleAfter = 2 * time.Minute

// BeginIdempotent claims the key. fresh is true when this request must run the handler; when
// false, rec is the earlier attempt (pending or done) for the caller to compare and replay.
func (s *Store) BeginIdempotent(ctx context.Context, id, bodyHash string) (rec IdemRecord, fresh bool, err error) {
	rec = IdemRecord{ID: id, BodyHash: bodyHash, State: IdemPending, CreatedAt: s.now()}
	err = insert(ctx, s.c(colIdempotency), rec)
	if err == nil {
		return rec, true, nil
	}
	if !errors.Is(err, ErrConflict) {
		return rec, false, err
	}
	old, err := findOne[IdemRecord](ctx, s.c(colIdempotency), bson.M{"_id": id})
	if errors.Is(err, ErrNotFound) { // abandoned between our insert and find: try once more
		return rec, true, insert(ctx, s.c(colIdempotency), rec)
	}
	if err != nil {
		return rec, false, err
	}
	if old.State == IdemPending && old.BodyHash == bodyHash && s.now().Sub(old.CreatedAt) > IdemStaleAfter {
		res, err := s.c(colIdempotency).UpdateOne(ctx,
			bson.M{"_id": id, "state": IdemPending, "created_at": old.CreatedAt},
			bson.M{"$set": bson.M{"created_at": rec.CreatedAt}})
		if err != nil {
			return rec, false, fmt.Errorf("take over idempotency key: %w", err)
		}
		if res.ModifiedCount == 1 {
			return rec, true, nil
		}
	}
	return old, false, nil
}

// FinishIdempotent stores the response given for the key.
func (s *Store) FinishIdempotent(ctx context.Context, id string, status int, contentType string, body []byte) error {
	_, err := s.c(colIdempotency).UpdateOne(ctx, bson.M{"_id": id}, bson.M{"$set": bson.M{
		"state": IdemDone, "status": status, "content_type": contentType, "body": body,
	}})
	if err != nil {
		return fmt.Errorf("finish idempotency key: %w", err)
	}
	return nil
}

// AbandonIdempotent forgets the key after a failure the client should retry (5xx).
func (s *Store) AbandonIdempotent(ctx context.Context, id string) error {
	if _, err := s.c(colIdempotency).DeleteOne(ctx, bson.M{"_id": id, "state": IdemPending}); err != nil {
		return fmt.Errorf("abandon idempotency key: %w", err)
	}
	return nil
}

// PurgeIdempotency deletes records older than age (keys are honoured for that long).
func (s *Store) PurgeIdempotency(ctx context.Context, age time.Duration) (int64, error) {
	res, err := s.c(colIdempotency).DeleteMany(ctx, bson.M{"created_at": bson.M{"$lt": s.now().Add(-age)}})
	if err != nil {
		return 0, fmt.Errorf("purge idempotency: %w", err)
	}
	return res.DeletedCount, nil
}
