package store

import (
	"context"
	"errors"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"kehou/models"
)

// memberID derives a member's id from the openid (keyed, so ids reveal nothing), which lets a
// login find its member by primary key (on MongoDB) with a single bare {_id} filter.
func (s *Store) memberID(openid string) string { return "m" + s.sealer.Hash("member", openid)[:24] }

// UpsertMember finds the member by openid, creates one otherwise, and stores the new
// session_key encrypted. On a member's first login with a unionid already known under another
// openid (another app of the same WeChat platform), the earlier member is kept instead.
func (s *Store) UpsertMember(ctx context.Context, openid, unionid, sessionKey string) (models.Member, error) {
	now := s.now()
	set := bson.M{"last_login_at": now, "session_key_enc": s.sealer.Seal(sessionKey, "session_key:"+openid)}
	id := s.memberID(openid)
	if unionid != "" {
		set["unionid"] = unionid
		if _, err := findOne[models.Member](ctx, s.c(colMembers), bson.M{"_id": id}); errors.Is(err, ErrNotFound) {
			earlier, err := findOne[models.Member](ctx, s.c(colMembers), bson.M{"unionid": unionid})
			if err == nil {
				id = earlier.ID
				set["openid"] = openid
			} else if !errors.Is(err, ErrNotFound) {
				return models.Member{}, err
			}
		}
	}
	onInsert := bson.M{"created_at": now}
	if _, adopting := set["openid"]; !adopting {
		onInsert["openid"] = openid
	}
	update := bson.M{"$set": set, "$setOnInsert": onInsert}
	opts := options.FindOneAndUpdate().SetUpsert(true).SetReturnDocument(options.After)
	var m models.Member
	err := s.c(colMembers).FindOneAndUpdate(ctx, bson.M{"_id": id}, update, opts).Decode(&m)
	if isDup(err) {
		// Two first logins raced; the other created the member, so this update now matches.
		err = s.c(colMembers).FindOneAndUpdate(ctx, bson.M{"_id": id}, bson.M{"$set": set}, opts).Decode(&m)
	}
	if err != nil {
		return models.Member{}, fmt.Errorf("upsert member: %w", err)
	}
	return m, nil
}

// Member returns one member.
func (s *Store) Member(ctx context.Context, id string) (models.Member, error) {
	return findOne[models.Member](ctx, s.c(colMembers), bson.M{"_id": id})
}

// SetPhone stores the number a member authorised, encrypted, with a keyed hash for lookup, and
// copies it onto the member's bindings (see models.Guardianship.GuardianPhoneEnc).
func (s *Store) SetPhone(ctx context.Context, memberID, phone string) error {
	_, err := s.c(colMembers).UpdateOne(ctx, bson.M{"_id": memberID}, bson.M{"$set": bson.M{
		"phone_enc": s.sealer.Seal(phone, "phone"), "phone_hash": s.sealer.Hash("phone", phone)}})
	if err != nil {
		return fmt.Errorf("set phone: %w", err)
	}
	gs, err := s.GuardianshipsOfMember(ctx, memberID)
	if err != nil {
		return err
	}
	ids := make([]string, len(gs))
	for i, g := range gs {
		ids[i] = g.ID
	}
	return s.copyPhone(ctx, memberID, ids)
}

// copyPhone copies a member's number as it is now onto some of the member's bindings, each by
// _id. It runs after every write that could make a copy stale (a new number, a new binding),
// so a copy is current unless a binding and a new number of one member cross within
// milliseconds; the member's own record stays the truth for everything but broadcasts.
func (s *Store) copyPhone(ctx context.Context, memberID string, guardianships []string) error {
	if len(guardianships) == 0 {
		return nil
	}
	m, err := s.Member(ctx, memberID)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, id := range guardianships {
		upd := bson.M{"$set": bson.M{"guardian_phone_enc": m.PhoneEnc}}
		if len(m.PhoneEnc) == 0 {
			upd = bson.M{"$unset": bson.M{"guardian_phone_enc": ""}}
		}
		if _, err := s.c(colGuardians).UpdateOne(ctx, bson.M{"_id": id}, upd); err != nil {
			return fmt.Errorf("copy phone: %w", err)
		}
	}
	return nil
}

// Phone decrypts a member's number ("" when none was authorised).
func (s *Store) Phone(m models.Member) (string, error) {
	if len(m.PhoneEnc) == 0 {
		return "", nil
	}
	return s.sealer.Open(m.PhoneEnc, "phone")
}

// PhoneHash is the lookup hash of a number (for per-number rate limits without the number).
func (s *Store) PhoneHash(phone string) string { return s.sealer.Hash("phone", phone) }

// MembersByID loads members by id.
func (s *Store) MembersByID(ctx context.Context, ids []string) (map[string]models.Member, error) {
	list, err := byIDs[models.Member](ctx, s, colMembers, ids)
	if err != nil {
		return nil, fmt.Errorf("members: %w", err)
	}
	out := make(map[string]models.Member, len(list))
	for _, m := range list {
		out[m.ID] = m
	}
	return out, nil
}

// NewMember is a member to create in bulk (demo seeding, load tests).
type NewMember struct {
	OpenID string
	Phone  string // E.164, optional
}

// CreateMembers inserts members in one write and returns them in order; ids are derived from
// the openids as at login, so they log in as these members.
func (s *Store) CreateMembers(ctx context.Context, list []NewMember) ([]models.Member, error) {
	now := s.now()
	out := make([]models.Member, len(list))
	docs := make([]any, len(list))
	for i, nm := range list {
		m := models.Member{ID: s.memberID(nm.OpenID), OpenID: nm.OpenID, CreatedAt: now, LastLoginAt: now}
		if nm.Phone != "" {
			m.PhoneEnc, m.PhoneHash = s.sealer.Seal(nm.Phone, "phone"), s.sealer.Hash("phone", nm.Phone)
		}
		out[i], docs[i] = m, m
	}
	if _, err := s.c(colMembers).InsertMany(ctx, docs); err != nil {
		return nil, fmt.Errorf("create members: %w", err)
	}
	return out, nil
}
