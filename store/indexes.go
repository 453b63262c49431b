package store

import (
	"context"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Collection names.
const (
	colCounties    = "counties"
	colSchools     = "schools"
	colStaff       = "staff"
	colMembers     = "members"
	colSessions    = "sessions"
	colChildren    = "children"
	colGuardians   = "guardians"
	colAudit       = "audit"
	colIdempotency = "idempotency"
)

func unique(keys ...string) mongo.IndexModel {
	return mongo.IndexModel{Keys: keyDoc(keys), Options: options.Index().SetUnique(true)}
}

func plain(keys ...string) mongo.IndexModel { return mongo.IndexModel{Keys: keyDoc(keys)} }

func keyDoc(keys []string) bson.D {
	d := bson.D{}
	for _, k := range keys {
		d = append(d, bson.E{Key: k, Value: 1})
	}
	return d
}

// EnsureIndexes creates every index the invariants rely on. It is idempotent and runs at start.
func (s *Store) EnsureIndexes(ctx context.Context) error {
	want := map[string][]mongo.IndexModel{
		colCounties:    {unique("name")},
		colSchools:     {unique("name"), plain("county_id")},
		colStaff:       {unique("username"), plain("county_id"), plain("school_id")},
		colMembers:     {unique("openid"), plain("unionid")},
		colSessions:    {plain("subject_id"), plain("expires_at")},
		colChildren:    {unique("school_id", "student_no"), plain("county_id")},
		colGuardians:   {unique("child_id", "member_id"), plain("member_id"), plain("school_id")},
		colAudit:       {plain("school_id"), plain("county_id")},
		colIdempotency: {plain("created_at")},
	}
	for name, models := range want {
		if _, err := s.c(name).Indexes().CreateMany(ctx, models); err != nil {
			return fmt.Errorf("ensure indexes on %s: %w", name, err)
		}
	}
	return nil
}
