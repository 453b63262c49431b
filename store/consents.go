package store

import (
	"context"
	"errors"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"kehou/models"
)

// GrantConsent records one accept of a subscribe-message template: a one-time accept adds a
// send credit (up to models.MaxConsentCredits), a long-term accept marks the template long-term.
func (s *Store) GrantConsent(ctx context.Context, memberID, templateID string, longTerm bool) error {
	id := memberID + ":" + templateID
	update := bson.M{"$set": bson.M{"member_id": memberID, "template_id": templateID, "updated_at": s.now()}}
	if longTerm {
		update["$set"].(bson.M)["long_term"] = true
	} else {
		update["$inc"] = bson.M{"credits": 1}
		update["$setOnInsert"] = bson.M{"long_term": false}
	}
	_, err := s.c(colConsents).UpdateOne(ctx, bson.M{"_id": id}, update, options.UpdateOne().SetUpsert(true))
	if err != nil {
		return fmt.Errorf("grant consent: %w", err)
	}
	// Keep the credits bounded (a separate step: FerretDB has no $min in updates with $inc).
	_, err = s.c(colConsents).UpdateOne(ctx, bson.M{"_id": id, "credits": bson.M{"$gt": models.MaxConsentCredits}},
		bson.M{"$set": bson.M{"credits": models.MaxConsentCredits}})
	return err
}

// RevokeConsent is a reject (or ban) in the mini-program: long-term consent ends. One-time
// credits already given stay: each was a separate accept.
func (s *Store) RevokeConsent(ctx context.Context, memberID, templateID string) error {
	_, err := s.c(colConsents).UpdateOne(ctx, bson.M{"_id": memberID + ":" + templateID}, bson.M{"$set": bson.M{"long_term": false, "updated_at": s.now()}})
	if err != nil {
		return fmt.Errorf("revoke consent: %w", err)
	}
	return nil
}

// SpendConsent uses one send of a template: true when the member has a long-term consent or a
// credit, which is then taken (atomically: two concurrent sends cannot spend one credit twice).
func (s *Store) SpendConsent(ctx context.Context, memberID, templateID string) (bool, error) {
	id := memberID + ":" + templateID
	c, err := findOne[models.Consent](ctx, s.c(colConsents), bson.M{"_id": id})
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if c.LongTerm {
		return true, nil
	}
	res, err := s.c(colConsents).UpdateOne(ctx, bson.M{"_id": id, "credits": bson.M{"$gt": 0}}, bson.M{"$inc": bson.M{"credits": -1}})
	if err != nil {
		return false, fmt.Errorf("spend consent: %w", err)
	}
	return res.ModifiedCount == 1, nil
}

// RefundConsent gives back a credit spent on a send that did not go out.
func (s *Store) RefundConsent(ctx context.Context, memberID, templateID string) error {
	_, err := s.c(colConsents).UpdateOne(ctx, bson.M{"_id": memberID + ":" + templateID, "long_term": bson.M{"$ne": true}}, bson.M{"$inc": bson.M{"credits": 1}})
	return err
}

// ClearConsent drops every credit of a template after WeChat answered 43101 (no consent left).
func (s *Store) ClearConsent(ctx context.Context, memberID, templateID string) error {
	_, err := s.c(colConsents).UpdateOne(ctx, bson.M{"_id": memberID + ":" + templateID},
		bson.M{"$set": bson.M{"credits": 0, "long_term": false, "updated_at": s.now()}})
	if err != nil && !errors.Is(err, mongo.ErrNoDocuments) {
		return fmt.Errorf("clear consent: %w", err)
	}
	return nil
}

// Consents lists a member's consents.
func (s *Store) Consents(ctx context.Context, memberID string) ([]models.Consent, error) {
	var out []models.Consent
	if err := s.all(ctx, colConsents, bson.M{"member_id": memberID}, options.Find(), &out); err != nil {
		return nil, fmt.Errorf("consents: %w", err)
	}
	return out, nil
}
