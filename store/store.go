// Package store is kehou's MongoDB persistence: one file per collection, indexes that hold the
// invariants, and sentinel errors that the server maps to HTTP statuses. It works the same on
// MongoDB and on the embedded FerretDB v1, so it uses no transactions, no $lookup and only
// single-document atomic updates (see docs/architecture.md "Data rules").
package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"kehou/store/engine"
)

// Sentinel errors; server/errors.go maps each to one HTTP status.
var (
	ErrNotFound     = errors.New("not found")
	ErrConflict     = errors.New("already exists")
	ErrBindMismatch = errors.New("binding details do not match")
	ErrLocked       = errors.New("account locked")
	ErrBadLogin     = errors.New("wrong username or password")
)

// DuplicateError is a unique index refusing a value a user chose (a county's or school's name,
// a staff username); Field names the request field. It is ErrConflict for errors.Is, and the
// server answers it with 409 and the field named.
type DuplicateError struct{ Field string }

func (e *DuplicateError) Error() string { return e.Field + " already exists" }
func (e *DuplicateError) Unwrap() error { return ErrConflict }

// isDup reports a unique index violation: MongoDB's duplicate key error, or the embedded
// FerretDB v1's, which answers an update that breaks a unique index with an InternalError
// carrying SQLite's "UNIQUE constraint failed" instead of code 11000.
func isDup(err error) bool {
	if err == nil {
		return false
	}
	if mongo.IsDuplicateKeyError(err) {
		return true
	}
	var se mongo.ServerError
	return errors.As(err, &se) && strings.Contains(se.Error(), "UNIQUE constraint failed")
}

// dupOn turns a unique index violation (raw, or ErrConflict from insert) into a DuplicateError
// naming field, for collections where field is the only unique index a user can hit.
func dupOn(field string, err error) error {
	if isDup(err) || errors.Is(err, ErrConflict) {
		return &DuplicateError{Field: field}
	}
	return err
}

// Store holds the database and the sealer for personal data.
type Store struct {
	db        *mongo.Database
	sealer    *Sealer
	now       func() time.Time
	promoters sync.Map      // pool id → *promoter
	tuning    engine.Tuning // the engine switches (SetTuning)

	countFault func(counter string) error // tests only: fails report counter writes (SetCountFault)
}

// SetTuning sets the engine switches (package engine); call it before EnsureIndexes. Without
// it the store takes the production path, which works on the embedded FerretDB too, slower.
func (s *Store) SetTuning(t engine.Tuning) { s.tuning = t }

// upsertByID applies upd to the document with id, creating it when missing. Two first upserts
// of one id can race to insert it, and MongoDB answers the loser with a duplicate key error:
// the loser then applies its update to the document that now exists.
func (s *Store) upsertByID(ctx context.Context, coll, id string, upd any) error {
	_, err := s.c(coll).UpdateOne(ctx, bson.M{"_id": id}, upd, options.UpdateOne().SetUpsert(true))
	if isDup(err) {
		_, err = s.c(coll).UpdateOne(ctx, bson.M{"_id": id}, upd)
	}
	return err
}

// byIDs reads the documents of coll with the given ids (missing ones are skipped), in one
// query or one lookup per id (engine.Tuning.PointReads).
func byIDs[T any](ctx context.Context, s *Store, coll string, ids []string) ([]T, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	var out []T
	if !s.tuning.PointReads {
		cur, err := s.c(coll).Find(ctx, bson.M{"_id": bson.M{"$in": ids}})
		if err != nil {
			return nil, fmt.Errorf("find %s: %w", coll, err)
		}
		if err := cur.All(ctx, &out); err != nil {
			return nil, fmt.Errorf("find %s: %w", coll, err)
		}
		return out, nil
	}
	out = make([]T, 0, len(ids))
	for _, id := range ids {
		v, err := findOne[T](ctx, s.c(coll), bson.M{"_id": id})
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// New returns a Store over db; key encrypts personal data and keys lookup hashes.
func New(db *mongo.Database, key []byte) (*Store, error) {
	s, err := NewSealer(key)
	if err != nil {
		return nil, err
	}
	return &Store{db: db, sealer: s, now: func() time.Time { return time.Now().UTC() }}, nil
}

// SetClock replaces the clock (tests of expiry and lockout).
func (s *Store) SetClock(now func() time.Time) { s.now = now }

// Sealer exposes the personal-data sealer.
func (s *Store) Sealer() *Sealer { return s.sealer }

// Ping checks the database answers.
func (s *Store) Ping(ctx context.Context) error {
	return s.db.RunCommand(ctx, bson.D{{Key: "ping", Value: 1}}).Err()
}

// NewID returns a new, time-ordered identifier; lists page by it.
func NewID() string { return bson.NewObjectID().Hex() }

func (s *Store) c(name string) *mongo.Collection { return s.db.Collection(name) }

// findOne decodes one document or returns ErrNotFound.
func findOne[T any](ctx context.Context, coll *mongo.Collection, filter any) (T, error) {
	var v T
	err := coll.FindOne(ctx, filter).Decode(&v)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return v, ErrNotFound
	}
	if err != nil {
		return v, fmt.Errorf("find %s: %w", coll.Name(), err)
	}
	return v, nil
}

// findInScope returns the document with id when allowed says the caller's scope covers it; one
// outside the scope is ErrNotFound, exactly like a missing one.
func findInScope[T any](ctx context.Context, coll *mongo.Collection, id string, allowed func(T) bool) (T, error) {
	v, err := findOne[T](ctx, coll, bson.M{"_id": id})
	if err != nil {
		return v, err
	}
	if !allowed(v) {
		var zero T
		return zero, ErrNotFound
	}
	return v, nil
}

// insert adds a document, turning a unique-index violation into ErrConflict.
func insert(ctx context.Context, coll *mongo.Collection, doc any) error {
	_, err := coll.InsertOne(ctx, doc)
	if isDup(err) {
		return ErrConflict
	}
	if err != nil {
		return fmt.Errorf("insert %s: %w", coll.Name(), err)
	}
	return nil
}
