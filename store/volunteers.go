package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"kehou/models"
)

// Volunteer errors.
var (
	ErrNoVolunteer    = errors.New("the member has no volunteer profile")
	ErrShiftOverlap   = errors.New("the volunteer already holds an overlapping shift")
	ErrProfileBusy    = errors.New("the volunteer profile kept changing; try again")
	ErrCredentialGone = errors.New("no such credential")
)

// SaveVolunteer creates or updates a member's volunteer profile from what the volunteer gave
// (phone in plain text: it is stored encrypted with a lookup hash, and shown masked). Unchanged
// credentials keep their verification; new or changed ones wait for staff. A member without an
// authorised number gets this one for SMS notices.
func (s *Store) SaveVolunteer(ctx context.Context, in models.Volunteer, phone string) (models.Volunteer, error) {
	phone, _ = models.NormalizeMobile(phone)
	for i := range in.Credentials {
		if in.Credentials[i].ID == "" {
			in.Credentials[i].ID = NewID()
		}
	}
	apply := func(v *models.Volunteer) {
		v.Name, v.Type, v.Organisation, v.SchoolID, v.CountyID, v.Skills = in.Name, in.Type, in.Organisation, in.SchoolID, in.CountyID, in.Skills
		v.PhoneEnc, v.PhoneHash, v.PhoneMasked = s.sealer.Seal(phone, "volunteer-phone"), s.sealer.Hash("phone", phone), MaskPhone(phone)
		v.Credentials = models.MergeCredentials(v.Credentials, in.Credentials)
		if v.Skills == nil {
			v.Skills = []string{}
		}
	}
	v, err := s.updateVolunteer(ctx, in.ID, func(v *models.Volunteer) error { apply(v); return nil })
	if errors.Is(err, ErrNoVolunteer) {
		v = models.Volunteer{ID: in.ID, Holds: []models.Hold{}, CreatedAt: s.now(), UpdatedAt: s.now()}
		apply(&v)
		err = insert(ctx, s.c(colVolunteers), v)
		if errors.Is(err, ErrConflict) { // created by a concurrent save: update it instead
			return s.SaveVolunteer(ctx, in, phone)
		}
	}
	if err != nil {
		return v, err
	}
	if m, err := s.Member(ctx, in.ID); err == nil && len(m.PhoneEnc) == 0 {
		if err := s.SetPhone(ctx, in.ID, phone); err != nil {
			return v, err
		}
	}
	return v, nil
}

// updateVolunteer changes a profile with fn, in one update conditional on the version read, and
// tries again when another change came first.
func (s *Store) updateVolunteer(ctx context.Context, id string, fn func(*models.Volunteer) error) (models.Volunteer, error) {
	for range 20 {
		v, err := s.Volunteer(ctx, id)
		if err != nil {
			return v, err
		}
		version := v.Version
		if err := fn(&v); err != nil {
			return v, err
		}
		v.Version, v.UpdatedAt = version+1, s.now()
		res, err := s.c(colVolunteers).ReplaceOne(ctx, bson.M{"_id": id, "version": version}, v)
		if err != nil {
			return v, fmt.Errorf("update volunteer: %w", err)
		}
		if res.MatchedCount == 1 {
			return v, nil
		}
	}
	return models.Volunteer{}, ErrProfileBusy
}

// Volunteer returns a member's volunteer profile (ErrNoVolunteer when there is none).
func (s *Store) Volunteer(ctx context.Context, id string) (models.Volunteer, error) {
	v, err := findOne[models.Volunteer](ctx, s.c(colVolunteers), bson.M{"_id": id})
	if errors.Is(err, ErrNotFound) {
		return v, ErrNoVolunteer
	}
	return v, err
}

// VolunteerPhone decrypts a volunteer's number.
func (s *Store) VolunteerPhone(v models.Volunteer) (string, error) {
	if len(v.PhoneEnc) == 0 {
		return "", nil
	}
	return s.sealer.Open(v.PhoneEnc, "volunteer-phone")
}

// volunteerFilter selects the volunteers a staff scope sees: the city all; a county those who
// serve in it or applied to its schools; a school those who applied to it.
func (s *Store) volunteerFilter(ctx context.Context, scope models.Scope) (bson.M, error) {
	switch scope.Role {
	case models.RoleCity:
		return bson.M{}, nil
	case models.RoleCounty, models.RoleSchool:
		f := scopeFilter(scope, "school_id")
		var list []string
		if err := s.c(colApplications).Distinct(ctx, "volunteer_id", f).Decode(&list); err != nil {
			return nil, fmt.Errorf("volunteers in scope: %w", err)
		}
		or := bson.A{bson.M{"_id": bson.M{"$in": list}}}
		if scope.Role == models.RoleCounty {
			or = append(or, bson.M{"county_id": scope.CountyID})
		}
		return bson.M{"$or": or}, nil
	}
	return bson.M{"_id": "\x00none"}, nil
}

// Volunteers lists the volunteers within scope, optionally of one type.
func (s *Store) Volunteers(ctx context.Context, scope models.Scope, typ string, p Page) ([]models.Volunteer, string, error) {
	f, err := s.volunteerFilter(ctx, scope)
	if err != nil {
		return nil, "", err
	}
	if typ != "" {
		f = bson.M{"$and": bson.A{f, bson.M{"type": typ}}}
	}
	return list(ctx, s.c(colVolunteers), f, p, func(x models.Volunteer) string { return x.ID })
}

// VolunteerInScope returns a profile the staff scope sees (ErrNotFound otherwise).
func (s *Store) VolunteerInScope(ctx context.Context, scope models.Scope, id string) (models.Volunteer, error) {
	f, err := s.volunteerFilter(ctx, scope)
	if err != nil {
		return models.Volunteer{}, err
	}
	v, err := findOne[models.Volunteer](ctx, s.c(colVolunteers), bson.M{"$and": bson.A{f, bson.M{"_id": id}}})
	return v, err
}

// VerifyCredential records staff's decision on a credential: verified, or rejected with a note.
func (s *Store) VerifyCredential(ctx context.Context, volunteerID, credentialID string, ok bool, note, staffID string) (models.Volunteer, error) {
	return s.updateVolunteer(ctx, volunteerID, func(v *models.Volunteer) error {
		c := v.Credential(credentialID)
		if c == nil {
			return ErrCredentialGone
		}
		c.Status, c.Note, c.VerifiedBy, c.VerifiedAt = models.CredentialVerified, "", staffID, s.now()
		if !ok {
			c.Status, c.Note = models.CredentialRejected, note
		}
		return nil
	})
}

// holdGrace is how long a hold may wait for its application to be inserted. A hold is
// recorded first and its application right after, so a younger hold without an application is
// another Apply in flight, not a crash; treating it as stale let two overlapping applications
// both succeed.
const holdGrace = time.Minute

// hold records that the volunteer applied for a shift, refusing one that overlaps a shift they
// applied for or hold (ErrShiftOverlap). A hold whose application is no longer active, or was
// never inserted within holdGrace (a crash between recording the hold and finishing), is dropped
// on the way, so it never blocks for long.
func (s *Store) hold(ctx context.Context, volunteerID string, h models.Hold) error {
	_, err := s.updateVolunteer(ctx, volunteerID, func(v *models.Volunteer) error {
		keep := v.Holds[:0]
		for _, x := range v.Holds {
			if !models.Overlaps(x.StartsAt, x.EndsAt, h.StartsAt, h.EndsAt) {
				keep = append(keep, x)
				continue
			}
			a, err := s.Application(ctx, x.ApplicationID)
			if (errors.Is(err, ErrNotFound) && s.now().Sub(x.HeldAt) > holdGrace) || (err == nil && a.Active != "") {
				continue // stale
			}
			if err != nil && !errors.Is(err, ErrNotFound) {
				return err
			}
			if errors.Is(err, ErrNotFound) && x.ShiftID == h.ShiftID {
				// A twin Apply of the same shift in flight (a double tap): both holds stay, the
				// applications' unique index picks one and the other returns it.
				keep = append(keep, x)
				continue
			}
			return ErrShiftOverlap
		}
		v.Holds = append(keep, h)
		return nil
	})
	return err
}

// unhold forgets an application's hold.
func (s *Store) unhold(ctx context.Context, volunteerID, applicationID string) error {
	_, err := s.updateVolunteer(ctx, volunteerID, func(v *models.Volunteer) error {
		v.Holds = slices.DeleteFunc(v.Holds, func(h models.Hold) bool { return h.ApplicationID == applicationID })
		return nil
	})
	return err
}

// TeachersOf lists the in-service teachers whose own school is schoolID.
func (s *Store) TeachersOf(ctx context.Context, schoolID string) ([]models.Volunteer, error) {
	var out []models.Volunteer
	f := bson.M{"school_id": schoolID, "type": models.VolunteerTeacher}
	if err := s.all(ctx, colVolunteers, f, options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}), &out); err != nil {
		return nil, fmt.Errorf("teachers: %w", err)
	}
	return out, nil
}
