package store

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"math/big"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"kehou/models"
)

// ImportResult counts what a roster import did.
type ImportResult struct {
	Created   int `json:"created"`
	Updated   int `json:"updated"`
	Unchanged int `json:"unchanged"`
	Renamed   int `json:"renamed"` // of the updated: name changed, bindings removed, new binding code
}

// ImportRoster upserts the rows by (school, student number): new pupils are created with a
// fresh binding code, known ones get their name, grade and class updated (a new school year),
// and a re-import of the same file writes nothing. Rows were validated by models.ParseRoster.
// The school's pupils are read once and new ones inserted in bulk, because a per-row upsert
// costs a collection scan on the embedded FerretDB (measured: a minute for 2,000 rows).
func (s *Store) ImportRoster(ctx context.Context, school models.School, rows []models.RosterRow) (ImportResult, error) {
	var res ImportResult
	type known struct {
		ID        string `bson:"_id"`
		StudentNo string `bson:"student_no"`
		NameHash  string `bson:"name_hash"`
		Grade     int    `bson:"grade"`
		Class     string `bson:"class"`
		PhoneHash string `bson:"phone_hash"`
	}
	var existing []known
	if err := s.all(ctx, colChildren, bson.M{"school_id": school.ID}, options.Find().SetProjection(bson.M{"student_no": 1, "name_hash": 1, "grade": 1, "class": 1, "phone_hash": 1}), &existing); err != nil {
		return res, fmt.Errorf("import roster: %w", err)
	}
	byNo := make(map[string]known, len(existing))
	for _, k := range existing {
		byNo[k.StudentNo] = k
	}
	now := s.now()
	var inserts []any
	for _, r := range rows {
		hash := s.sealer.Hash("child_name", models.NormalizeName(r.Name))
		var phoneEnc []byte
		phoneHash := ""
		if r.Phone != "" {
			phoneEnc, phoneHash = s.sealer.Seal(r.Phone, "roster-phone"), s.PhoneHash(r.Phone)
		}
		k, ok := byNo[r.StudentNo]
		if !ok {
			inserts = append(inserts, models.Child{ID: NewID(), SchoolID: school.ID, CountyID: school.CountyID, StudentNo: r.StudentNo,
				NameEnc: s.sealer.Seal(r.Name, "child_name"), NameHash: hash, NameMasked: models.MaskName(r.Name),
				Grade: r.Grade, Class: r.Class, BindCodeEnc: s.sealer.Seal(newBindCode(), "bind_code"),
				PhoneEnc: phoneEnc, PhoneHash: phoneHash, PhoneMasked: maskIf(r.Phone), CreatedAt: now, UpdatedAt: now})
			continue
		}
		// A roster without a phone column (or an empty cell) keeps the number on file.
		samePhone := r.Phone == "" || k.PhoneHash == phoneHash
		if k.NameHash == hash && k.Grade == r.Grade && k.Class == r.Class && samePhone {
			res.Unchanged++
			continue
		}
		set := bson.M{"county_id": school.CountyID, "grade": r.Grade, "class": r.Class,
			"name_enc": s.sealer.Seal(r.Name, "child_name"), "name_hash": hash, "name_masked": models.MaskName(r.Name), "updated_at": now}
		if !samePhone {
			set["phone_enc"], set["phone_hash"], set["phone_masked"] = phoneEnc, phoneHash, MaskPhone(r.Phone)
		}
		if k.NameHash != hash {
			// Another name under the same student number may be another pupil (numbers get
			// reused): the old parents' bindings go, and so does the old binding code, so that
			// nobody keeps seeing a child who may not be theirs.
			if err := s.deleteBindingsOf(ctx, k.ID); err != nil {
				return res, fmt.Errorf("import roster: %w", err)
			}
			set["bind_code_enc"] = s.sealer.Seal(newBindCode(), "bind_code")
			res.Renamed++
		}
		if _, err := s.c(colChildren).UpdateOne(ctx, bson.M{"_id": k.ID}, bson.M{"$set": set}); err != nil {
			return res, fmt.Errorf("import roster: %w", err)
		}
		res.Updated++
	}
	// A concurrent import of the same file may insert the same pupils first; the unique index
	// (school, student number) keeps one of each.
	_, n, err := s.insertNew(ctx, colChildren, inserts)
	if err != nil {
		return res, fmt.Errorf("import roster: %w", err)
	}
	res.Created = n
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
// ChildrenByID reads many pupils in one query, by id (unknown ids are left out).
func (s *Store) ChildrenByID(ctx context.Context, ids []string) (map[string]models.Child, error) {
	out := map[string]models.Child{}
	if len(ids) == 0 {
		return out, nil
	}
	var list []models.Child
	if err := s.all(ctx, colChildren, bson.M{"_id": bson.M{"$in": ids}}, nil, &list); err != nil {
		return nil, fmt.Errorf("children: %w", err)
	}
	for _, c := range list {
		out[c.ID] = c
	}
	return out, nil
}

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

func maskIf(phone string) string {
	if phone == "" {
		return ""
	}
	return MaskPhone(phone)
}

// RosterPhone is the roster's guardian number of a child of the member (the first that has one),
// "" when none: the SMS fallback for a parent who has not authorised a number.
func (s *Store) RosterPhone(ctx context.Context, memberID string) (string, error) {
	gs, err := s.GuardianshipsOfMember(ctx, memberID)
	if err != nil {
		return "", fmt.Errorf("roster phone: %w", err)
	}
	for _, g := range gs {
		ch, err := findOne[models.Child](ctx, s.c(colChildren), bson.M{"_id": g.ChildID})
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return "", err
		}
		if len(ch.PhoneEnc) > 0 {
			return s.sealer.Open(ch.PhoneEnc, "roster-phone")
		}
	}
	return "", nil
}
