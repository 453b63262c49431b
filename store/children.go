package store

import (
	"context"
	"crypto/rand"
	"fmt"
	"math/big"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"kehou/models"
)

// ImportResult counts what a roster import did.
type ImportResult struct {
	Created int `json:"created"`
	Updated int `json:"updated"`
}

// ImportRoster upserts the rows by (school, student number): new pupils are created with a
// fresh binding code, known ones get their name, grade and class updated (a new school year),
// and a re-import of the same file changes nothing. Rows were validated by models.ParseRoster.
func (s *Store) ImportRoster(ctx context.Context, school models.School, rows []models.RosterRow) (ImportResult, error) {
	var res ImportResult
	now := s.now()
	const batch = 500
	for start := 0; start < len(rows); start += batch {
		end := min(start+batch, len(rows))
		var writes []mongo.WriteModel
		for _, r := range rows[start:end] {
			name := models.NormalizeName(r.Name)
			writes = append(writes, mongo.NewUpdateOneModel().
				SetFilter(bson.M{"school_id": school.ID, "student_no": r.StudentNo}).
				SetUpdate(bson.M{
					"$set": bson.M{
						"county_id": school.CountyID, "grade": r.Grade, "class": r.Class,
						"name_enc": s.sealer.Seal(r.Name, "child_name"), "name_hash": s.sealer.Hash("child_name", name),
						"name_masked": models.MaskName(r.Name), "updated_at": now,
					},
					"$setOnInsert": bson.M{
						"_id": NewID(), "created_at": now,
						"bind_code_enc": s.sealer.Seal(newBindCode(), "bind_code"),
					},
				}).SetUpsert(true))
		}
		out, err := s.c(colChildren).BulkWrite(ctx, writes, options.BulkWrite().SetOrdered(false))
		if err != nil {
			return res, fmt.Errorf("import roster: %w", err)
		}
		res.Created += int(out.UpsertedCount)
		res.Updated += int(out.MatchedCount)
	}
	return res, nil
}

// bindCodeAlphabet leaves out 0/O and 1/I/L, which parents misread on paper.
const bindCodeAlphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"

func newBindCode() string {
	b := make([]byte, 8)
	for i := range b {
		n, err := rand.Int(rand.Reader, big.NewInt(int64(len(bindCodeAlphabet))))
		if err != nil {
			panic("bind code: no randomness: " + err.Error())
		}
		b[i] = bindCodeAlphabet[n.Int64()]
	}
	return string(b)
}

// Child returns one child.
func (s *Store) Child(ctx context.Context, id string) (models.Child, error) {
	return findOne[models.Child](ctx, s.c(colChildren), bson.M{"_id": id})
}

// Children lists a school's pupils, optionally of one grade and class.
func (s *Store) Children(ctx context.Context, schoolID string, grade int, class string, p Page) ([]models.Child, string, error) {
	f := bson.M{"school_id": schoolID}
	if grade > 0 {
		f["grade"] = grade
	}
	if class != "" {
		f["class"] = class
	}
	return list(ctx, s.c(colChildren), f, p, func(x models.Child) string { return x.ID })
}

// ChildName decrypts a child's full name, for the few places that need it (the letter to
// parents with binding codes).
func (s *Store) ChildName(c models.Child) (string, error) {
	return s.sealer.Open(c.NameEnc, "child_name")
}

// BindCode decrypts a child's binding code.
func (s *Store) BindCode(c models.Child) (string, error) {
	return s.sealer.Open(c.BindCodeEnc, "bind_code")
}
