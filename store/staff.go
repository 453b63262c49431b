package store

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"kehou/models"
)

// CreateStaff adds an account; passwordHash must already be an argon2id hash.
func (s *Store) CreateStaff(ctx context.Context, st *models.Staff) error {
	st.ID = NewID()
	st.CreatedAt = s.now()
	st.UpdatedAt = st.CreatedAt
	return dupOn("username", insert(ctx, s.c(colStaff), st))
}

// Staff returns one account.
func (s *Store) Staff(ctx context.Context, id string) (models.Staff, error) {
	return findOne[models.Staff](ctx, s.c(colStaff), bson.M{"_id": id})
}

// StaffByUsername finds an account for login.
func (s *Store) StaffByUsername(ctx context.Context, username string) (models.Staff, error) {
	return findOne[models.Staff](ctx, s.c(colStaff), bson.M{"username": username})
}

// CountStaff counts all accounts (0 means a fresh database).
func (s *Store) CountStaff(ctx context.Context) (int64, error) {
	n, err := s.c(colStaff).CountDocuments(ctx, bson.M{})
	if err != nil {
		return 0, fmt.Errorf("count staff: %w", err)
	}
	return n, nil
}

// StaffList lists the accounts within a scope.
func (s *Store) StaffList(ctx context.Context, scope models.Scope, p Page) ([]models.Staff, string, error) {
	return list(ctx, s.c(colStaff), scopeFilter(scope, "school_id"), p, func(x models.Staff) string { return x.ID })
}

// UpdateStaff changes name, disabled flag and (when non-empty) the password hash. Changing the
// password also clears a lockout.
func (s *Store) UpdateStaff(ctx context.Context, id, name string, disabled bool, passwordHash string) error {
	set := bson.M{"name": name, "disabled": disabled, "updated_at": s.now()}
	if passwordHash != "" {
		set["password_hash"] = passwordHash
		set["failed_logins"] = 0
		set["locked_until"] = time.Time{}
	}
	res, err := s.c(colStaff).UpdateOne(ctx, bson.M{"_id": id}, bson.M{"$set": set})
	if err != nil {
		return fmt.Errorf("update staff: %w", err)
	}
	if res.MatchedCount == 0 {
		return ErrNotFound
	}
	return nil
}

// RecordLoginFailure counts a failed password and locks the account for lockout once max
// failures in a row are reached. It returns whether the account is now locked.
func (s *Store) RecordLoginFailure(ctx context.Context, id string, max int, lockout time.Duration) (bool, error) {
	var st models.Staff
	err := s.c(colStaff).FindOneAndUpdate(ctx, bson.M{"_id": id},
		bson.M{"$inc": bson.M{"failed_logins": 1}},
		options.FindOneAndUpdate().SetReturnDocument(options.After)).Decode(&st)
	if err != nil {
		return false, fmt.Errorf("record login failure: %w", err)
	}
	if st.FailedLogins < max {
		return false, nil
	}
	_, err = s.c(colStaff).UpdateOne(ctx, bson.M{"_id": id}, bson.M{"$set": bson.M{
		"failed_logins": 0, "locked_until": s.now().Add(lockout),
	}})
	if err != nil {
		return false, fmt.Errorf("lock account: %w", err)
	}
	return true, nil
}

// RecordLoginSuccess resets the failure count.
func (s *Store) RecordLoginSuccess(ctx context.Context, id string) error {
	_, err := s.c(colStaff).UpdateOne(ctx, bson.M{"_id": id, "failed_logins": bson.M{"$ne": 0}},
		bson.M{"$set": bson.M{"failed_logins": 0}})
	if err != nil {
		return fmt.Errorf("reset login failures: %w", err)
	}
	return nil
}
