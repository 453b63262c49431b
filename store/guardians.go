package store

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"sort"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"kehou/models"
)

// BindRequest is what a parent types to bind a child.
type BindRequest struct {
	MemberID  string
	SchoolID  string
	StudentNo string
	Name      string
	BindCode  string // required when the school requires binding codes
	Relation  string
}

// Bind makes the member a guardian of the child that matches the request. Every mismatch
// (unknown student number, wrong name, wrong or missing code) is the same ErrBindMismatch, so
// the answer does not reveal which part was wrong. Binding an already-bound child again returns
// the existing guardianship (a retried request is not an error).
func (s *Store) Bind(ctx context.Context, req BindRequest) (models.Guardianship, models.Child, error) {
	school, err := s.School(ctx, req.SchoolID)
	if errors.Is(err, ErrNotFound) {
		return models.Guardianship{}, models.Child{}, ErrBindMismatch
	}
	if err != nil {
		return models.Guardianship{}, models.Child{}, err
	}
	child, err := findOne[models.Child](ctx, s.c(colChildren), bson.M{"school_id": school.ID, "student_no": strings.TrimSpace(req.StudentNo)})
	if errors.Is(err, ErrNotFound) {
		return models.Guardianship{}, models.Child{}, ErrBindMismatch
	}
	if err != nil {
		return models.Guardianship{}, models.Child{}, err
	}
	nameOK := subtle.ConstantTimeCompare([]byte(child.NameHash), []byte(s.sealer.Hash("child_name", models.NormalizeName(req.Name)))) == 1
	codeOK := true
	if school.RequireBindCode {
		code, err := s.BindCode(child)
		if err != nil {
			return models.Guardianship{}, models.Child{}, fmt.Errorf("bind: %w", err)
		}
		codeOK = subtle.ConstantTimeCompare([]byte(code), []byte(strings.ToUpper(strings.TrimSpace(req.BindCode)))) == 1
	}
	if !nameOK || !codeOK {
		return models.Guardianship{}, models.Child{}, ErrBindMismatch
	}
	g := models.Guardianship{ID: NewID(), ChildID: child.ID, MemberID: req.MemberID, SchoolID: child.SchoolID,
		CountyID: child.CountyID, Relation: req.Relation, CreatedAt: s.now()}
	// Listed under the parent before it exists: a crash in between leaves an id that finds
	// nothing, never a binding the parent cannot see.
	if err := s.listBindings(ctx, map[string][]string{req.MemberID: {g.ID}}); err != nil {
		return models.Guardianship{}, models.Child{}, err
	}
	err = insert(ctx, s.c(colGuardians), g)
	if errors.Is(err, ErrConflict) {
		// A repeat: the binding is on file, and counted unless the first request failed
		// between storing it and counting it; then this repeat counts it.
		var cg countedGuardianship
		cg, err = findOne[countedGuardianship](ctx, s.c(colGuardians), bson.M{"child_id": child.ID, "member_id": req.MemberID})
		g = cg.Guardianship
		if err == nil {
			err = s.listBindings(ctx, map[string][]string{req.MemberID: {g.ID}})
		}
		var todo bool
		if err == nil {
			todo, err = s.uncounted(ctx, cg)
		}
		if err == nil && todo {
			err = s.countBinding(ctx, g)
		}
	} else if err == nil {
		err = s.countBinding(ctx, g)
	}
	if err != nil {
		return models.Guardianship{}, models.Child{}, err
	}
	if err := s.copyPhone(ctx, req.MemberID, []string{g.ID}); err != nil {
		return models.Guardianship{}, models.Child{}, err
	}
	return g, child, nil
}

// memberBindings lists one parent's binding ids under the parent's id. Finding a family's
// children happens on nearly every mini-program request with a cold cache, and the embedded
// store answers {member_id: x} by reading every binding of the city (measured: the first
// request of each of 10,000 parents slowed to 2 a second), while a read by _id is an index
// seek. The list may hold ids whose binding is gone (they are skipped and dropped); it never
// misses one, because an id is listed before its binding is written.
type memberBindings struct {
	ID  string   `bson:"_id"`
	IDs []string `bson:"ids"`
}

// listBindings adds binding ids to their parents' lists (member id → ids).
func (s *Store) listBindings(ctx context.Context, byMember map[string][]string) error {
	for m, ids := range byMember {
		upd := bson.M{"$addToSet": bson.M{"ids": bson.M{"$each": append([]string{}, ids...)}}}
		if err := s.upsertByID(ctx, colMemberBinds, m, upd); err != nil {
			return fmt.Errorf("list bindings: %w", err)
		}
	}
	return nil
}

// forgetBinding drops a removed binding from its parent's list.
func (s *Store) forgetBinding(ctx context.Context, memberID, id string) error {
	if _, err := s.c(colMemberBinds).UpdateOne(ctx, bson.M{"_id": memberID}, bson.M{"$pull": bson.M{"ids": id}}); err != nil {
		return fmt.Errorf("list bindings: %w", err)
	}
	return nil
}

// GuardianshipsOfMember lists a parent's bindings (a family has a handful), each read by _id
// through the parent's list.
func (s *Store) GuardianshipsOfMember(ctx context.Context, memberID string) ([]models.Guardianship, error) {
	mb, err := findOne[memberBindings](ctx, s.c(colMemberBinds), bson.M{"_id": memberID})
	if errors.Is(err, ErrNotFound) {
		return []models.Guardianship{}, nil // a parent without a list has no bindings
	}
	if err != nil {
		return nil, fmt.Errorf("list guardianships: %w", err)
	}
	out := []models.Guardianship{}
	for _, id := range mb.IDs {
		g, err := findOne[models.Guardianship](ctx, s.c(colGuardians), bson.M{"_id": id})
		if errors.Is(err, ErrNotFound) || (err == nil && g.MemberID != memberID) {
			continue // listed, then never written or removed since
		}
		if err != nil {
			return nil, fmt.Errorf("list guardianships: %w", err)
		}
		out = append(out, g)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].CreatedAt.Before(out[j].CreatedAt) }) // in the order bound
	return out, nil
}

// GuardianshipsOfSchool lists the bindings of a school's pupils.
func (s *Store) GuardianshipsOfSchool(ctx context.Context, schoolID string, p Page) ([]models.Guardianship, string, error) {
	return list(ctx, s.c(colGuardians), bson.M{"school_id": schoolID}, p, func(x models.Guardianship) string { return x.ID })
}

// Guardianship returns one binding.
func (s *Store) Guardianship(ctx context.Context, id string) (models.Guardianship, error) {
	return findOne[models.Guardianship](ctx, s.c(colGuardians), bson.M{"_id": id})
}

// DeleteGuardianship removes a binding; memberID, when not empty, must own it (a parent
// unbinding) so that one parent cannot remove another's binding.
func (s *Store) DeleteGuardianship(ctx context.Context, id, memberID string) error {
	f := bson.M{"_id": id}
	if memberID != "" {
		f["member_id"] = memberID
	}
	g, err := findOne[countedGuardianship](ctx, s.c(colGuardians), f)
	if err != nil {
		return err
	}
	return s.removeBinding(ctx, g)
}

// deleteBindingsOf removes every binding of a child (its student number now names another
// pupil).
func (s *Store) deleteBindingsOf(ctx context.Context, childID string) error {
	var gs []countedGuardianship
	if err := s.all(ctx, colGuardians, bson.M{"child_id": childID}, options.Find(), &gs); err != nil {
		return err
	}
	for _, g := range gs {
		if err := s.removeBinding(ctx, g); err != nil {
			return err
		}
	}
	return nil
}

// AddGuardianships inserts bindings in bulk (demo seeding, load tests); existing ones are kept.
// A binding without GuardianPhoneEnc gets its member's number. The new bindings are counted as
// one batch, exactly once when a failed call is repeated with the same bindings (ids); they are
// stored marked counted, so a parent's bind of one of them never counts it again.
func (s *Store) AddGuardianships(ctx context.Context, list []models.Guardianship) error {
	docs := make([]any, len(list))
	for i, g := range list {
		if g.ID == "" {
			g.ID = NewID()
		}
		if g.CreatedAt.IsZero() {
			g.CreatedAt = s.now()
		}
		list[i] = g
	}
	byMember := map[string][]string{}
	var noPhone []string
	for _, g := range list {
		byMember[g.MemberID] = append(byMember[g.MemberID], g.ID)
		if len(g.GuardianPhoneEnc) == 0 {
			noPhone = append(noPhone, g.MemberID)
		}
	}
	if len(noPhone) > 0 {
		// Callers that hold the members pass their numbers; the others' are read here.
		ms, err := s.MembersByID(ctx, noPhone)
		if err != nil {
			return err
		}
		for i, g := range list {
			if len(g.GuardianPhoneEnc) == 0 && len(ms[g.MemberID].PhoneEnc) > 0 {
				list[i].GuardianPhoneEnc = ms[g.MemberID].PhoneEnc
			}
		}
	}
	if err := s.listBindings(ctx, byMember); err != nil {
		return err
	}
	ids := make([]string, len(list))
	for i, g := range list {
		docs[i], ids[i] = countedGuardianship{Guardianship: g, Counted: true}, g.ID
	}
	isNew, _, err := s.insertNew(ctx, colGuardians, docs)
	if err != nil {
		return err
	}
	return s.countBindingBatch(ctx, batchKey(opBindings, ids), list, isNew)
}
