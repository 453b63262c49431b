package store

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"kehou/models"
)

// SessionKey is what a bearer token is stored and looked up by, here and in the API's Redis
// session entries: a keyed hash (HMAC-SHA-256 with the sealer's key), so that neither a copy of
// the database nor of Redis yields a usable token, nor lets one be checked offline.
func (s *Store) SessionKey(token string) string { return s.sealer.Hash("session-token", token) }

// CreateSession issues an opaque token for subject; only its keyed hash (SessionKey) is stored.
func (s *Store) CreateSession(ctx context.Context, kind, subjectID string, ttl time.Duration) (token string, expires time.Time, err error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", time.Time{}, fmt.Errorf("create session: %w", err)
	}
	token = base64.RawURLEncoding.EncodeToString(b)
	now := s.now()
	sess := models.Session{ID: s.SessionKey(token), Kind: kind, SubjectID: subjectID, CreatedAt: now, ExpiresAt: now.Add(ttl)}
	if err := insert(ctx, s.c(colSessions), sess); err != nil {
		return "", time.Time{}, err
	}
	return token, sess.ExpiresAt, nil
}

// Session resolves a token of the given kind; an unknown, expired or other-kind token is
// ErrNotFound.
func (s *Store) Session(ctx context.Context, kind, token string) (models.Session, error) {
	return s.SessionByKey(ctx, kind, s.SessionKey(token))
}

// SessionByKey resolves a session by its SessionKey, for what holds the key rather than the token
// (the queue monitor's ticket remembers the session it was issued under, never the token).
func (s *Store) SessionByKey(ctx context.Context, kind, key string) (models.Session, error) {
	// Filter by _id alone and check the kind here: a bare {_id} filter is the one MongoDB and
	// FerretDB both answer from the primary key's point of view without extra predicates.
	sess, err := findOne[models.Session](ctx, s.c(colSessions), bson.M{"_id": key})
	if err != nil {
		return sess, err
	}
	if sess.Kind != kind || !s.now().Before(sess.ExpiresAt) {
		return models.Session{}, ErrNotFound
	}
	return sess, nil
}

// DeleteSession revokes a token (logout). Revoking an unknown token is not an error.
func (s *Store) DeleteSession(ctx context.Context, token string) error {
	if _, err := s.c(colSessions).DeleteOne(ctx, bson.M{"_id": s.SessionKey(token)}); err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

// DeleteSessionsOf revokes every session of a subject (a disabled account, a changed password).
func (s *Store) DeleteSessionsOf(ctx context.Context, subjectID string) error {
	if _, err := s.c(colSessions).DeleteMany(ctx, bson.M{"subject_id": subjectID}); err != nil {
		return fmt.Errorf("delete sessions: %w", err)
	}
	return nil
}

// PurgeExpiredSessions deletes sessions that ended before now (FerretDB has no TTL indexes, so
// a periodic job does this).
func (s *Store) PurgeExpiredSessions(ctx context.Context) (int64, error) {
	res, err := s.c(colSessions).DeleteMany(ctx, bson.M{"expires_at": bson.M{"$lt": s.now()}})
	if err != nil {
		return 0, fmt.Errorf("purge sessions: %w", err)
	}
	return res.DeletedCount, nil
}
