package models

import (
	"testing"
	"time"
)

// A made-up National Day week: holidays Fri 1 and Mon 4 – Thu 7 October 2027 (given out of
// order, once twice), Saturday 9 October worked in exchange.
func TestCalendarWorkingDays(t *testing.T) {
	cal := Calendar{Year: 2027, Holidays: []string{"2027-10-07", "2027-10-01", "2027-10-04", "2027-10-05", "2027-10-06", "2027-10-01"},
		Workdays: []string{"2027-10-09"}}
	if err := cal.Validate(); err != nil {
		t.Fatal(err)
	}
	if len(cal.Holidays) != 5 || cal.Holidays[0] != "2027-10-01" {
		t.Fatalf("sorted without repeats: %v", cal.Holidays)
	}
	cs := Calendars{2027: cal}
	thu, _ := ParseDay("2027-09-30") // Thursday before the holidays
	// Working days after Thu 30 Sep: Fri 1 Oct holiday, Sat 2/Sun 3 weekend, Mon 4 – Thu 7
	// holidays; then Fri 8, Sat 9 (exchange), Mon 11, Tue 12, Wed 13.
	if got := cs.AddWorkingDays(thu.Add(9*time.Hour), 5).In(Shanghai).Format("2006-01-02"); got != "2027-10-13" {
		t.Fatalf("5 working days over the holidays: %s", got)
	}
	if got := Calendars(nil).AddWorkingDays(thu, 5).In(Shanghai).Format("2006-01-02"); got != "2027-10-07" {
		t.Fatalf("without a calendar: %s", got)
	}
	bad := []struct {
		cal   Calendar
		field string
	}{
		{Calendar{Year: 1999}, "year"},
		{Calendar{Year: 2027, Holidays: []string{"2027-02-30"}}, "holidays[0]"},
		{Calendar{Year: 2027, Holidays: []string{"2026-10-01"}}, "holidays[0]"},
		{Calendar{Year: 2027, Workdays: []string{"2027-10-08"}}, "workdays[0]"}, // a Friday
		{Calendar{Year: 2027, Holidays: []string{"2027-10-09"}, Workdays: []string{"2027-10-09"}}, "workdays"},
	}
	for _, b := range bad {
		fe, ok := b.cal.Validate().(FieldErrors)
		if !ok || fe[b.field] == "" {
			t.Errorf("%+v: want an error on %s, got %v", b.cal, b.field, fe)
		}
	}
}
