package store

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"kehou/models"
)

// shiftFixture is one programme of a school with volunteers ready to apply.
type shiftFixture struct {
	s    *Store
	prog models.Programme
}

func newShiftFixture(t *testing.T) shiftFixture {
	t.Helper()
	s := newStore(t)
	ctx := context.Background()
	day, _ := models.ParseDay("2026-07-06")
	p := models.Programme{SchoolID: "school-1", CountyID: "county-1", Sender: "甲一小学", Title: "暑期托管", DailyStart: "08:30", DailyEnd: "17:00",
		Offerings: []string{"homework"}, EnrolOpens: day.AddDate(0, -1, 0), EnrolCloses: day.AddDate(0, 0, -7),
		Periods: []models.ProgrammePeriod{{Label: "第一周", StartsAt: models.Day{Time: day}, EndsAt: models.DayAfter{Time: day.AddDate(0, 0, 14)}, Capacity: 30, Grades: []int{}}}}
	if err := s.CreateProgramme(ctx, &p); err != nil {
		t.Fatal(err)
	}
	return shiftFixture{s, p}
}

// shift adds a shift starting h hours after the programme starts, lasting d hours.
func (f shiftFixture) shift(t *testing.T, h, d float64, needed int) models.Shift {
	t.Helper()
	start := f.prog.Periods[0].StartsAt.Add(time.Duration(h * float64(time.Hour)))
	sh := models.Shift{ProgrammeID: f.prog.ID, SchoolID: f.prog.SchoolID, CountyID: f.prog.CountyID, Sender: f.prog.Sender, Role: "作业辅导",
		StartsAt: start, EndsAt: start.Add(time.Duration(d * float64(time.Hour))), Needed: needed, Deadline: start.Add(-24 * time.Hour)}
	if err := f.s.CreateShift(context.Background(), &sh); err != nil {
		t.Fatal(err)
	}
	return sh
}

func (f shiftFixture) volunteer(t *testing.T, id, typ, school string) models.Volunteer {
	t.Helper()
	v, err := f.s.SaveVolunteer(context.Background(), models.Volunteer{ID: id, Name: "志愿者" + id, Type: typ, Organisation: "单位",
		SchoolID: school, CountyID: "county-1"}, "13812345678")
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestApprovalsNeverExceedTheNumberNeeded: concurrent approvals of 30 applications for a shift
// needing 5 approve exactly 5; the rest are refused as full and stay pending.
func TestApprovalsNeverExceedTheNumberNeeded(t *testing.T) {
	f := newShiftFixture(t)
	ctx := context.Background()
	sh := f.shift(t, 8, 3, 5)
	n := 30
	if raceEnabled {
		n = 12
	}
	apps := make([]models.Application, n)
	for i := range n {
		a, created, err := f.s.Apply(ctx, f.volunteer(t, fmt.Sprintf("v%02d", i), models.VolunteerStudent, ""), sh)
		if err != nil || !created {
			t.Fatalf("apply %d: %v %v", i, created, err)
		}
		apps[i] = a
	}
	// Every application approved twice at once, by two staff members.
	errs := parallel(2*n, func(i int) error { _, err := f.s.Approve(ctx, apps[i%n].ID, "staff"); return err })
	full := 0
	for _, err := range errs {
		switch {
		case errors.Is(err, ErrShiftFull):
			full++
		case err != nil:
			t.Fatal(err)
		}
	}
	got, err := f.s.Shift(ctx, sh.ID)
	if err != nil {
		t.Fatal(err)
	}
	approved, _, err := f.s.Applications(ctx, ApplicationFilter{ShiftID: sh.ID, Status: models.ApplicationApproved}, Page{Limit: 200})
	if err != nil {
		t.Fatal(err)
	}
	if got.Approved != 5 || len(approved) != 5 || full < 2*(n-5) {
		t.Fatalf("approved %d in the pool, %d applications, %d refused as full", got.Approved, len(approved), full)
	}
	// A withdrawal frees a place that the next approval takes.
	if _, ok, err := f.s.Withdraw(ctx, approved[0].ID); err != nil || !ok {
		t.Fatalf("withdraw: %v %v", ok, err)
	}
	var next models.Application
	for _, a := range apps {
		if cur, _ := f.s.Application(ctx, a.ID); cur.Status == models.ApplicationPending {
			next = cur
			break
		}
	}
	if _, err := f.s.Approve(ctx, next.ID, "staff"); err != nil {
		t.Fatalf("approve after a withdrawal: %v", err)
	}
	if got, _ := f.s.Shift(ctx, sh.ID); got.Approved != 5 {
		t.Fatalf("after withdrawal and approval: %d approved", got.Approved)
	}
}

// TestOverlappingShiftsAreRefused: a volunteer applying at once for shifts that overlap gets at
// most one; back-to-back shifts are fine; withdrawing frees the time.
func TestOverlappingShiftsAreRefused(t *testing.T) {
	f := newShiftFixture(t)
	ctx := context.Background()
	v := f.volunteer(t, "v1", models.VolunteerStudent, "")
	// Five shifts each overlapping the next (8:00–11:00, 9:00–12:00, …) all overlap the third.
	var shifts []models.Shift
	for i := range 5 {
		shifts = append(shifts, f.shift(t, 8+float64(i)*0.5, 3, 3))
	}
	errs := parallel(len(shifts), func(i int) error { _, _, err := f.s.Apply(ctx, v, shifts[i]); return err })
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, ErrShiftOverlap):
			t.Fatal(err)
		}
	}
	mine, err := f.s.ApplicationsOf(ctx, v.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	for i, a := range mine {
		for _, b := range mine[i+1:] {
			if models.Overlaps(a.StartsAt, a.EndsAt, b.StartsAt, b.EndsAt) {
				t.Fatalf("overlapping applications %s and %s", a.ShiftID, b.ShiftID)
			}
		}
	}
	if ok != len(mine) || ok < 1 || ok > 2 {
		t.Fatalf("%d applications accepted, %d stored", ok, len(mine))
	}
	// A shift right after the last one held is fine; applying twice returns the same one.
	after := f.shift(t, 20, 2, 1)
	a, created, err := f.s.Apply(ctx, v, after)
	if err != nil || !created {
		t.Fatalf("back-to-back: %v %v", created, err)
	}
	again, created, err := f.s.Apply(ctx, v, after)
	if err != nil || created || again.ID != a.ID {
		t.Fatalf("again: %+v %v %v", again, created, err)
	}
	// Withdrawing frees the time for an overlapping shift.
	if _, _, err := f.s.Withdraw(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	if _, created, err := f.s.Apply(ctx, v, f.shift(t, 20.5, 1, 1)); err != nil || !created {
		t.Fatalf("after withdrawing: %v %v", created, err)
	}
}

// TestHoursArithmeticAndTotals: check-in and check-out give the minutes within the shift, a
// correction is kept, and totals per volunteer, school and county add up on a fixed data set.
func TestHoursArithmeticAndTotals(t *testing.T) {
	f := newShiftFixture(t)
	ctx := context.Background()
	// Second school in another county, for the groupings.
	day, _ := models.ParseDay("2026-07-06")
	other := models.Programme{SchoolID: "school-2", CountyID: "county-2", Sender: "乙一小学", Title: "托管", DailyStart: "08:00", DailyEnd: "12:00",
		Offerings: []string{"sports"}, EnrolOpens: day.AddDate(0, -1, 0), EnrolCloses: day.AddDate(0, 0, -7),
		Periods: []models.ProgrammePeriod{{Label: "一期", StartsAt: models.Day{Time: day}, EndsAt: models.DayAfter{Time: day.AddDate(0, 0, 7)}, Capacity: 10, Grades: []int{}}}}
	if err := f.s.CreateProgramme(ctx, &other); err != nil {
		t.Fatal(err)
	}
	g := shiftFixture{f.s, other}
	teacher := f.volunteer(t, "t1", models.VolunteerTeacher, "school-1")
	student := f.volunteer(t, "s1", models.VolunteerStudent, "")
	work := func(fx shiftFixture, v models.Volunteer, h, d float64, in, out time.Duration) models.Application {
		t.Helper()
		sh := fx.shift(t, h, d, 2)
		a, _, err := f.s.Apply(ctx, v, sh)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.s.Approve(ctx, a.ID, "staff"); err != nil {
			t.Fatal(err)
		}
		if ok, err := f.s.ShiftCheckIn(ctx, a.ID, sh.StartsAt.Add(in)); err != nil || !ok {
			t.Fatalf("check in: %v %v", ok, err)
		}
		if ok, err := f.s.ShiftCheckIn(ctx, a.ID, sh.StartsAt.Add(in)); err != nil || ok {
			t.Fatalf("second check in: %v %v", ok, err)
		}
		got, ok, err := f.s.ShiftCheckOut(ctx, a.ID, sh.StartsAt.Add(out))
		if err != nil || !ok {
			t.Fatalf("check out: %v %v", ok, err)
		}
		if _, ok, _ := f.s.ShiftCheckOut(ctx, a.ID, sh.StartsAt.Add(out+time.Hour)); ok {
			t.Fatal("checked out twice")
		}
		return got
	}
	// Teacher: 10:30–13:30 Shanghai (across noon) at school 1, arrives 10 minutes early and
	// leaves on time → 180; then 2 h at school 2 leaving 30 minutes early → 90.
	// (The programme's first day starts at 00:00 Shanghai, so +10.5 h is 10:30.)
	if a1 := work(f, teacher, 10.5, 3, -10*time.Minute, 3*time.Hour); a1.Minutes != 180 {
		t.Fatalf("across noon: %d minutes", a1.Minutes)
	}
	a2 := work(g, teacher, 8, 2, 0, 90*time.Minute)
	// Student: 3 h at school 1, late by 45 minutes → 135; corrected to 150 (came early to set up).
	a3 := work(f, student, 26, 3, 45*time.Minute, 3*time.Hour)
	if a2.Minutes != 90 || a3.Minutes != 135 {
		t.Fatalf("minutes: %d %d", a2.Minutes, a3.Minutes)
	}
	fixed, err := f.s.CorrectHours(ctx, a3.ID, 150, "提前到岗布置场地", "staff-1")
	if err != nil || fixed.Minutes != 150 || len(fixed.Corrections) != 1 || fixed.Corrections[0].From != 135 {
		t.Fatalf("correction: %+v %v", fixed, err)
	}
	city := models.Scope{Role: models.RoleCity}
	byVolunteer, err := f.s.Hours(ctx, city, 2026, "volunteer")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][2]int{"t1": {2, 180 + 90}, "s1": {1, 150}}
	if len(byVolunteer) != 2 {
		t.Fatalf("by volunteer: %+v", byVolunteer)
	}
	for _, r := range byVolunteer {
		if w := want[r.Key]; r.Shifts != w[0] || r.Minutes != w[1] {
			t.Fatalf("%s: %+v, want %v", r.Key, r, w)
		}
	}
	if byVolunteer[0].Key != "t1" || byVolunteer[0].Hours != "4.5" {
		t.Fatalf("order or hours: %+v", byVolunteer)
	}
	bySchool, _ := f.s.Hours(ctx, city, 2026, "school")
	byCounty, _ := f.s.Hours(ctx, models.Scope{Role: models.RoleCounty, CountyID: "county-1"}, 2026, "county")
	if len(bySchool) != 2 || bySchool[0].Key != "school-1" || bySchool[0].Minutes != 330 || bySchool[1].Minutes != 90 {
		t.Fatalf("by school: %+v", bySchool)
	}
	if len(byCounty) != 1 || byCounty[0].Key != "county-1" || byCounty[0].Minutes != 330 {
		t.Fatalf("county 1's own view: %+v", byCounty)
	}
	if none, _ := f.s.Hours(ctx, city, 2025, "school"); len(none) != 0 {
		t.Fatalf("another year: %+v", none)
	}
	// The teacher's yearly total for their own school counts the hours served elsewhere too.
	teachers, _ := f.s.TeachersOf(ctx, "school-1")
	totals, _ := f.s.HoursOfVolunteers(ctx, []string{teachers[0].ID}, 2026)
	if len(teachers) != 1 || totals["t1"].Minutes != 270 {
		t.Fatalf("teacher totals: %+v %+v", teachers, totals)
	}
}

// TestHoldWithoutApplication: a hold whose application is not inserted yet is another Apply in
// flight and blocks an overlapping shift; one left behind by a crash (older than holdGrace)
// does not block for longer than that.
func TestHoldWithoutApplication(t *testing.T) {
	f := newShiftFixture(t)
	ctx := context.Background()
	v := f.volunteer(t, "v1", models.VolunteerStudent, "")
	first, second := f.shift(t, 8, 3, 3), f.shift(t, 9, 3, 3)
	if err := f.s.hold(ctx, v.ID, models.Hold{ApplicationID: "in-flight", ShiftID: first.ID, StartsAt: first.StartsAt, EndsAt: first.EndsAt, HeldAt: f.s.now()}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.s.Apply(ctx, v, second); !errors.Is(err, ErrShiftOverlap) {
		t.Fatalf("overlapping a hold in flight: %v, want ErrShiftOverlap", err)
	}
	later := f.s.now().Add(holdGrace + time.Second)
	f.s.SetClock(func() time.Time { return later })
	if _, created, err := f.s.Apply(ctx, v, second); err != nil || !created {
		t.Fatalf("after the grace the crashed hold is stale: created %v, %v", created, err)
	}
}

// TestDoubleTapApplyReturnsOneApplication: two Apply calls for the same shift at once (a
// double tap) both answer with the one application, never ErrShiftOverlap.
func TestDoubleTapApplyReturnsOneApplication(t *testing.T) {
	f := newShiftFixture(t)
	ctx := context.Background()
	v := f.volunteer(t, "v1", models.VolunteerStudent, "")
	sh := f.shift(t, 8, 3, 3)
	// The first tap's hold is recorded, its application not inserted yet.
	if err := f.s.hold(ctx, v.ID, models.Hold{ApplicationID: "first-tap", ShiftID: sh.ID, StartsAt: sh.StartsAt, EndsAt: sh.EndsAt, HeldAt: f.s.now()}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.s.Apply(ctx, v, sh); err != nil {
		t.Fatalf("second tap while the first is in flight: %v", err)
	}
	ids := make([]string, 10)
	errs := parallel(len(ids), func(i int) error {
		a, _, err := f.s.Apply(ctx, v, sh)
		ids[i] = a.ID
		return err
	})
	for i, err := range errs {
		if err != nil || ids[i] != ids[0] {
			t.Fatalf("tap %d: %s %v, want %s", i, ids[i], err, ids[0])
		}
	}
}
