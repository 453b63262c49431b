package store

import (
	"context"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"kehou/models"
)

// UpsertMember finds the member by openid (or, failing that, by unionid, so a user seen first
// through another app of the same WeChat platform keeps one identity), creates one otherwise,
// and stores the new session_key encrypted.
func (s *Store) UpsertMember(ctx context.Context, openid, unionid, sessionKey string) (models.Member, error) {
	now := s.now()
	set := bson.M{"last_login_at": now, "session_key_enc": s.sealer.Seal(sessionKey, "session_key:"+openid)}
	if unionid != "" {
		set["unionid"] = unionid
		// An earlier member with this unionid but another openid adopts the new openid.
		_, err := s.c(colMembers).UpdateOne(ctx,
			bson.M{"unionid": unionid, "openid": bson.M{"$ne": openid}},
			bson.M{"$set": bson.M{"openid": openid}})
		if err != nil && !isDup(err) {
			return models.Member{}, fmt.Errorf("upsert member: %w", err)
		}
	}
	filter := bson.M{"openid": openid}
	update := bson.M{"$set": set, "$setOnInsert": bson.M{"_id": NewID(), "created_at": now}}
	opts := options.FindOneAndUpdate().SetUpsert(true).SetReturnDocument(options.After)
	var m models.Member
	err := s.c(colMembers).FindOneAndUpdate(ctx, filter, update, opts).Decode(&m)
	if isDup(err) {
		// Two first logins raced; the other created the member, so this update now matches.
		err = s.c(colMembers).FindOneAndUpdate(ctx, filter, bson.M{"$set": set}, opts).Decode(&m)
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
