package store

import (
	"context"
	"fmt"
	"slices"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"kehou/models"
)

// MemberIDsByPhone finds the members who authorised this number (E.164, "+8613812345678"),
// through the keyed hash: the number itself is never queried.
func (s *Store) MemberIDsByPhone(ctx context.Context, phone string) ([]string, error) {
	var ms []models.Member
	err := s.all(ctx, colMembers, bson.M{"phone_hash": s.PhoneHash(phone)}, options.Find().SetProjection(bson.M{"_id": 1}).SetLimit(20), &ms)
	if err != nil {
		return nil, fmt.Errorf("members by phone: %w", err)
	}
	ids := make([]string, len(ms))
	for i, m := range ms {
		ids[i] = m.ID
	}
	return ids, nil
}

// DeliveriesToMembers lists a notice's deliveries to a few members (a search from the
// delivery report), optionally of one status, in ledger order. It reads the ledger once, as
// the report does.
func (s *Store) DeliveriesToMembers(ctx context.Context, noticeID string, members []string, status string) ([]models.Delivery, error) {
	out := []models.Delivery{}
	if len(members) == 0 {
		return out, nil
	}
	err := s.eachLedgerBatch(ctx, noticeID, func(_ string, ds []models.Delivery) error {
		for _, d := range ds {
			if slices.Contains(members, d.MemberID) && (status == "" || d.Status == status) {
				out = append(out, d)
			}
		}
		return nil
	}, "")
	if err != nil {
		return nil, fmt.Errorf("deliveries to members: %w", err)
	}
	return out, nil
}
