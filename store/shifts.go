package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"kehou/models"
)

// Shift errors.
var (
	ErrShiftFull        = errors.New("the shift has all the volunteers it needs")
	ErrApplicationState = errors.New("the application is not in a state that allows this")
)

// CreateShift stores a shift and its pool of places (the volunteers needed).
func (s *Store) CreateShift(ctx context.Context, sh *models.Shift) error {
	sh.ID, sh.CreatedAt = NewID(), s.now()
	if sh.Types == nil {
		sh.Types = []string{}
	}
	if sh.Credentials == nil {
		sh.Credentials = []string{}
	}
	pool := models.Pool{ID: sh.ID, Kind: models.PoolShift, OwnerID: sh.ProgrammeID, Capacity: sh.Needed, StartsAt: sh.StartsAt, EndsAt: sh.EndsAt}
	if err := s.CreatePools(ctx, []models.Pool{pool}); err != nil {
		return err
	}
	return insert(ctx, s.c(colShifts), sh)
}

// Shift returns one shift with the number approved.
func (s *Store) Shift(ctx context.Context, id string) (models.Shift, error) {
	sh, err := findOne[models.Shift](ctx, s.c(colShifts), bson.M{"_id": id})
	if err != nil {
		return sh, err
	}
	p, err := s.Pool(ctx, id)
	if err != nil {
		return sh, err
	}
	sh.Needed, sh.Approved = p.Capacity, p.Held()
	return sh, nil
}

// ShiftInScope returns the shift when the staff scope covers its school.
func (s *Store) ShiftInScope(ctx context.Context, scope models.Scope, id string) (models.Shift, error) {
	sh, err := s.Shift(ctx, id)
	if err != nil {
		return sh, err
	}
	if !scope.AllowsSchool(sh.SchoolID, sh.CountyID) {
		return models.Shift{}, ErrNotFound
	}
	return sh, nil
}

// ShiftsOf lists the shifts of the given programmes in time order, with the numbers approved.
func (s *Store) ShiftsOf(ctx context.Context, programmeIDs ...string) ([]models.Shift, error) {
	var out []models.Shift
	f := bson.M{"programme_id": bson.M{"$in": programmeIDs}}
	if err := s.all(ctx, colShifts, f, options.Find().SetSort(bson.D{{Key: "starts_at", Value: 1}, {Key: "_id", Value: 1}}), &out); err != nil {
		return nil, fmt.Errorf("shifts: %w", err)
	}
	var pools []models.Pool
	if err := s.all(ctx, colPools, bson.M{"owner_id": bson.M{"$in": programmeIDs}, "kind": models.PoolShift}, nil, &pools); err != nil {
		return nil, fmt.Errorf("shift places: %w", err)
	}
	byID := map[string]models.Pool{}
	for _, p := range pools {
		byID[p.ID] = p
	}
	for i := range out {
		p := byID[out[i].ID]
		out[i].Needed, out[i].Approved = p.Capacity, p.Held()
	}
	return out, nil
}

// Application returns one application.
func (s *Store) Application(ctx context.Context, id string) (models.Application, error) {
	return findOne[models.Application](ctx, s.c(colApplications), bson.M{"_id": id})
}

// Apply records a volunteer's application for a shift (pending until the school decides). A
// volunteer with an active application for the shift gets it back (created false), and one
// whose applications overlap it in time is refused (ErrShiftOverlap), whatever the
// concurrency: the profile's holds change in one conditional update and the unique index on
// (shift, volunteer, active) decides between twins.
func (s *Store) Apply(ctx context.Context, v models.Volunteer, sh models.Shift) (models.Application, bool, error) {
	existing, err := findOne[models.Application](ctx, s.c(colApplications), bson.M{"shift_id": sh.ID, "volunteer_id": v.ID, "active": ""})
	if err == nil {
		return existing, false, nil
	} else if !errors.Is(err, ErrNotFound) {
		return existing, false, err
	}
	now := s.now()
	a := models.Application{ID: NewID(), ShiftID: sh.ID, ProgrammeID: sh.ProgrammeID, SchoolID: sh.SchoolID, CountyID: sh.CountyID,
		VolunteerID: v.ID, VolunteerName: v.Name, VolunteerType: v.Type, Role: sh.Role, StartsAt: sh.StartsAt, EndsAt: sh.EndsAt,
		Year: sh.StartsAt.In(models.Shanghai).Year(), Status: models.ApplicationPending, CreatedAt: now, UpdatedAt: now}
	if err := s.hold(ctx, v.ID, models.Hold{ApplicationID: a.ID, ShiftID: sh.ID, StartsAt: sh.StartsAt, EndsAt: sh.EndsAt, HeldAt: now}); err != nil {
		if errors.Is(err, ErrShiftOverlap) { // perhaps by its own twin: that one is the answer
			if twin, err := findOne[models.Application](ctx, s.c(colApplications), bson.M{"shift_id": sh.ID, "volunteer_id": v.ID, "active": ""}); err == nil {
				return twin, false, nil
			}
		}
		return a, false, err
	}
	if err := insert(ctx, s.c(colApplications), a); err != nil {
		if uerr := s.unhold(ctx, v.ID, a.ID); uerr != nil {
			return a, false, uerr
		}
		if errors.Is(err, ErrConflict) {
			twin, err := findOne[models.Application](ctx, s.c(colApplications), bson.M{"shift_id": sh.ID, "volunteer_id": v.ID, "active": ""})
			return twin, false, err
		}
		return a, false, err
	}
	return a, true, nil
}

// Approve gives a pending application one of the shift's places; ErrShiftFull when none is
// left. Approved places never exceed the number needed: taking one is a conditional update of
// the shift's pool.
func (s *Store) Approve(ctx context.Context, id, staffID string) (models.Application, error) {
	a, err := s.Application(ctx, id)
	if err != nil {
		return a, err
	}
	if a.Status != models.ApplicationPending {
		if a.Status == models.ApplicationApproved {
			return a, nil
		}
		return a, ErrApplicationState
	}
	res, err := s.c(colPools).UpdateOne(ctx,
		bson.M{"_id": a.ShiftID, "closed": false, "free": bson.M{"$gte": 1}, "holders": bson.M{"$ne": a.ID}},
		bson.M{"$inc": bson.M{"free": -1}, "$push": bson.M{"holders": a.ID}, "$set": bson.M{"updated_at": s.now()}})
	if err != nil {
		return a, fmt.Errorf("approve: %w", err)
	}
	if res.MatchedCount == 0 {
		p, err := s.Pool(ctx, a.ShiftID)
		if err != nil {
			return a, err
		}
		if !slices.Contains(p.Holders, a.ID) {
			return a, ErrShiftFull
		}
	}
	now := s.now()
	var cur models.Application
	err = s.c(colApplications).FindOneAndUpdate(ctx, bson.M{"_id": id, "status": models.ApplicationPending},
		bson.M{"$set": bson.M{"status": models.ApplicationApproved, "decided_by": staffID, "decided_at": now, "updated_at": now}},
		options.FindOneAndUpdate().SetReturnDocument(options.After)).Decode(&cur)
	if errors.Is(err, mongo.ErrNoDocuments) { // withdrawn or rejected meanwhile: the place goes back
		cur, err := s.Application(ctx, id)
		if err != nil {
			return cur, err
		}
		if cur.Status == models.ApplicationApproved {
			return cur, nil
		}
		return cur, errors.Join(ErrApplicationState, s.release(ctx, a.ShiftID, models.SignUp{ID: id, Places: 1}))
	}
	if err != nil {
		return a, fmt.Errorf("approve: %w", err)
	}
	return cur, nil
}

// endApplication moves an active application (of the given statuses) to status to with a
// reason, gives its place back and forgets its hold. false when it was not in those statuses.
func (s *Store) endApplication(ctx context.Context, id, to, reason, staffID string, from ...string) (models.Application, bool, error) {
	now := s.now()
	set := bson.M{"status": to, "active": id, "updated_at": now}
	if staffID != "" {
		set["decided_by"], set["decided_at"] = staffID, now
	}
	if reason != "" {
		set["reason"] = reason
	}
	var a models.Application
	err := s.c(colApplications).FindOneAndUpdate(ctx, bson.M{"_id": id, "status": bson.M{"$in": from}}, bson.M{"$set": set},
		options.FindOneAndUpdate().SetReturnDocument(options.After)).Decode(&a)
	if errors.Is(err, mongo.ErrNoDocuments) {
		cur, err := s.Application(ctx, id)
		return cur, false, err
	}
	if err != nil {
		return a, false, fmt.Errorf("end application: %w", err)
	}
	if err := s.release(ctx, a.ShiftID, models.SignUp{ID: a.ID, Places: 1}); err != nil {
		return a, true, err
	}
	return a, true, s.unhold(ctx, a.VolunteerID, a.ID)
}

// Withdraw ends a volunteer's own pending or approved application.
func (s *Store) Withdraw(ctx context.Context, id string) (models.Application, bool, error) {
	return s.endApplication(ctx, id, models.ApplicationWithdrawn, "", "", models.ApplicationPending, models.ApplicationApproved)
}

// Reject refuses a pending application (or revokes an approved one that has not started
// attendance) with a reason the volunteer reads.
func (s *Store) Reject(ctx context.Context, id, reason, staffID string) (models.Application, bool, error) {
	a, err := s.Application(ctx, id)
	if err != nil {
		return a, false, err
	}
	if !a.CheckedInAt.IsZero() {
		return a, false, ErrApplicationState
	}
	return s.endApplication(ctx, id, models.ApplicationRejected, reason, staffID, models.ApplicationPending, models.ApplicationApproved)
}

// CancelShift cancels a shift: its places close and every active application is ended with the
// reason given. It returns the applications ended (to be told).
func (s *Store) CancelShift(ctx context.Context, id, reason, staffID string) ([]models.Application, error) {
	if _, err := s.c(colShifts).UpdateOne(ctx, bson.M{"_id": id}, bson.M{"$set": bson.M{"cancelled": true}}); err != nil {
		return nil, fmt.Errorf("cancel shift: %w", err)
	}
	if err := s.ClosePool(ctx, id); err != nil {
		return nil, err
	}
	var active []models.Application
	if err := s.all(ctx, colApplications, bson.M{"shift_id": id, "active": ""}, nil, &active); err != nil {
		return nil, fmt.Errorf("cancel shift: %w", err)
	}
	var ended []models.Application
	for _, a := range active {
		got, ok, err := s.endApplication(ctx, a.ID, models.ApplicationRejected, reason, staffID, models.ApplicationPending, models.ApplicationApproved)
		if err != nil {
			return ended, err
		}
		if ok {
			ended = append(ended, got)
		}
	}
	return ended, nil
}

// ApplicationFilter selects applications for staff lists.
type ApplicationFilter struct {
	ShiftID, ProgrammeID, Status string
}

// Applications lists applications of a shift or programme, page by page.
func (s *Store) Applications(ctx context.Context, af ApplicationFilter, p Page) ([]models.Application, string, error) {
	f := bson.M{}
	if af.ShiftID != "" {
		f["shift_id"] = af.ShiftID
	}
	if af.ProgrammeID != "" {
		f["programme_id"] = af.ProgrammeID
	}
	if af.Status != "" {
		f["status"] = af.Status
	}
	return list(ctx, s.c(colApplications), f, p, func(x models.Application) string { return x.ID })
}

// ApplicationsOf lists a volunteer's applications, oldest shift first (a year's when year > 0).
func (s *Store) ApplicationsOf(ctx context.Context, volunteerID string, year int) ([]models.Application, error) {
	f := bson.M{"volunteer_id": volunteerID}
	if year > 0 {
		f["year"] = year
	}
	var out []models.Application
	if err := s.all(ctx, colApplications, f, options.Find().SetSort(bson.D{{Key: "starts_at", Value: 1}, {Key: "_id", Value: 1}}), &out); err != nil {
		return nil, fmt.Errorf("applications: %w", err)
	}
	return out, nil
}

// ShiftCheckIn records an approved volunteer's arrival, once: false when already checked in.
func (s *Store) ShiftCheckIn(ctx context.Context, id string, at time.Time) (bool, error) {
	res, err := s.c(colApplications).UpdateOne(ctx,
		bson.M{"_id": id, "status": models.ApplicationApproved, "checked_in_at": bson.M{"$exists": false}},
		bson.M{"$set": bson.M{"checked_in_at": at, "updated_at": s.now()}})
	if err != nil {
		return false, fmt.Errorf("shift check-in: %w", err)
	}
	return res.MatchedCount == 1, nil
}

// ShiftCheckOut records a volunteer's departure, once, and credits the minutes of the shift
// between arrival and departure (models.CreditedMinutes). ErrApplicationState when not checked
// in; false when already checked out.
func (s *Store) ShiftCheckOut(ctx context.Context, id string, at time.Time) (models.Application, bool, error) {
	a, err := s.Application(ctx, id)
	if err != nil {
		return a, false, err
	}
	if a.Status != models.ApplicationApproved || a.CheckedInAt.IsZero() {
		return a, false, ErrApplicationState
	}
	if at.Before(a.CheckedInAt) {
		at = a.CheckedInAt
	}
	minutes := models.CreditedMinutes(a.StartsAt, a.EndsAt, a.CheckedInAt, at)
	res, err := s.c(colApplications).UpdateOne(ctx, bson.M{"_id": id, "checked_out_at": bson.M{"$exists": false}},
		bson.M{"$set": bson.M{"checked_out_at": at, "minutes": minutes, "updated_at": s.now()}})
	if err != nil {
		return a, false, fmt.Errorf("shift check-out: %w", err)
	}
	if res.MatchedCount == 0 {
		cur, err := s.Application(ctx, id)
		return cur, false, err
	}
	a.CheckedOutAt, a.Minutes = at, minutes
	return a, true, nil
}

// CorrectHours sets the minutes credited for an approved application, keeping the correction
// (who, when, from, to, why). It applies only to the minutes read (ErrPoolChanged when another
// correction came first).
func (s *Store) CorrectHours(ctx context.Context, id string, minutes int, reason, staffID string) (models.Application, error) {
	a, err := s.Application(ctx, id)
	if err != nil {
		return a, err
	}
	if a.Status != models.ApplicationApproved {
		return a, ErrApplicationState
	}
	c := models.HoursCorrection{At: s.now(), StaffID: staffID, From: a.Minutes, To: minutes, Reason: reason}
	res, err := s.c(colApplications).UpdateOne(ctx, bson.M{"_id": id, "minutes": a.Minutes},
		bson.M{"$set": bson.M{"minutes": minutes, "updated_at": c.At}, "$push": bson.M{"corrections": c}})
	if err != nil {
		return a, fmt.Errorf("correct hours: %w", err)
	}
	if res.MatchedCount == 0 {
		return a, ErrPoolChanged
	}
	a.Minutes, a.Corrections = minutes, append(a.Corrections, c)
	return a, nil
}

// HoursRow is one line of an hours report: a volunteer, a school or a county.
type HoursRow struct {
	Key     string `json:"id"`
	Name    string `json:"name"`
	Type    string `json:"type,omitempty"` // volunteers: their type
	Shifts  int    `json:"shifts"`
	Minutes int    `json:"minutes"`
	Hours   string `json:"hours"`
}

// Hours groups the credited minutes of a year (approved applications with minutes) by
// "volunteer", "school" or "county", within scope, largest first.
func (s *Store) Hours(ctx context.Context, scope models.Scope, year int, by string) ([]HoursRow, error) {
	f := scopeFilter(scope, "school_id")
	f["year"], f["status"], f["minutes"] = year, models.ApplicationApproved, bson.M{"$gt": 0}
	var apps []models.Application
	opts := options.Find().SetProjection(bson.M{"volunteer_id": 1, "volunteer_name": 1, "volunteer_type": 1, "school_id": 1, "county_id": 1, "minutes": 1})
	if err := s.all(ctx, colApplications, f, opts, &apps); err != nil {
		return nil, fmt.Errorf("hours: %w", err)
	}
	rows := map[string]*HoursRow{}
	for _, a := range apps {
		key := map[string]string{"volunteer": a.VolunteerID, "school": a.SchoolID, "county": a.CountyID}[by]
		r := rows[key]
		if r == nil {
			r = &HoursRow{Key: key}
			if by == "volunteer" {
				r.Name, r.Type = a.VolunteerName, a.VolunteerType
			}
			rows[key] = r
		}
		r.Shifts++
		r.Minutes += a.Minutes
	}
	out := make([]HoursRow, 0, len(rows))
	for _, r := range rows {
		r.Hours = models.Hours(r.Minutes)
		out = append(out, *r)
	}
	slices.SortFunc(out, func(a, b HoursRow) int {
		if a.Minutes != b.Minutes {
			return b.Minutes - a.Minutes
		}
		return compareStrings(a.Key, b.Key)
	})
	return out, nil
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// HoursOfVolunteers totals the credited minutes of a year of each of the given volunteers,
// wherever they served (an in-service teacher's yearly total for their school).
func (s *Store) HoursOfVolunteers(ctx context.Context, ids []string, year int) (map[string]HoursRow, error) {
	f := bson.M{"volunteer_id": bson.M{"$in": ids}, "year": year, "status": models.ApplicationApproved, "minutes": bson.M{"$gt": 0}}
	var apps []models.Application
	if err := s.all(ctx, colApplications, f, options.Find().SetProjection(bson.M{"volunteer_id": 1, "minutes": 1}), &apps); err != nil {
		return nil, fmt.Errorf("teacher hours: %w", err)
	}
	out := map[string]HoursRow{}
	for _, a := range apps {
		r := out[a.VolunteerID]
		r.Key, r.Shifts, r.Minutes = a.VolunteerID, r.Shifts+1, r.Minutes+a.Minutes
		r.Hours = models.Hours(r.Minutes)
		out[a.VolunteerID] = r
	}
	return out, nil
}

// ShiftsToAlert lists the shifts starting after now and before until that have not had the
// given day-before message (field "reminded" or "short_alerted") and are not cancelled.
func (s *Store) ShiftsToAlert(ctx context.Context, field string, now, until time.Time) ([]models.Shift, error) {
	var out []models.Shift
	f := bson.M{field: false, "cancelled": false, "starts_at": bson.M{"$gt": now, "$lte": until}}
	if err := s.all(ctx, colShifts, f, nil, &out); err != nil {
		return nil, fmt.Errorf("shifts to alert: %w", err)
	}
	return out, nil
}

// ClaimShiftAlert marks a shift's day-before message sent; false when another worker did first.
func (s *Store) ClaimShiftAlert(ctx context.Context, id, field string) (bool, error) {
	res, err := s.c(colShifts).UpdateOne(ctx, bson.M{"_id": id, field: false}, bson.M{"$set": bson.M{field: true}})
	if err != nil {
		return false, fmt.Errorf("claim shift alert: %w", err)
	}
	return res.MatchedCount == 1, nil
}

// ApprovedVolunteers lists the volunteers approved for a shift.
func (s *Store) ApprovedVolunteers(ctx context.Context, shiftID string) ([]string, error) {
	var apps []models.Application
	f := bson.M{"shift_id": shiftID, "status": models.ApplicationApproved}
	if err := s.all(ctx, colApplications, f, options.Find().SetProjection(bson.M{"volunteer_id": 1}), &apps); err != nil {
		return nil, fmt.Errorf("approved volunteers: %w", err)
	}
	ids := make([]string, len(apps))
	for i, a := range apps {
		ids[i] = a.VolunteerID
	}
	return ids, nil
}
