package models

import (
	"testing"
	"time"
)

func TestVolunteerValidation(t *testing.T) {
	good := Volunteer{Name: "王老师", Type: VolunteerTeacher, Organisation: "甲一小学", SchoolID: "s1", CountyID: "c1",
		Credentials: []Credential{{Kind: "teacher_qualification", Number: "20230001", Expires: DayOf(time.Now())}}}
	if err := good.Validate("13812345678"); err != nil {
		t.Fatalf("good profile refused: %v", err)
	}
	cases := []struct {
		name  string
		v     Volunteer
		phone string
		field string
	}{
		{"no name", Volunteer{Type: VolunteerStudent, Organisation: "大学", CountyID: "c1"}, "13812345678", "name"},
		{"landline", Volunteer{Name: "李", Type: VolunteerStudent, Organisation: "大学", CountyID: "c1"}, "02112345678", "phone"},
		{"short", Volunteer{Name: "李", Type: VolunteerStudent, Organisation: "大学", CountyID: "c1"}, "1381234567", "phone"},
		{"type", Volunteer{Name: "李", Type: "alien", Organisation: "大学", CountyID: "c1"}, "13812345678", "type"},
		{"county", Volunteer{Name: "李", Type: VolunteerStudent, Organisation: "大学"}, "13812345678", "county_id"},
		{"teacher without school", Volunteer{Name: "李", Type: VolunteerTeacher, Organisation: "甲一小学", CountyID: "c1"}, "13812345678", "school_id"},
		{"credential kind", Volunteer{Name: "李", Type: VolunteerStudent, Organisation: "大学", CountyID: "c1",
			Credentials: []Credential{{Kind: "driving", Number: "1", Expires: DayOf(time.Now())}}}, "13812345678", "credentials[0].kind"},
		{"credential expiry", Volunteer{Name: "李", Type: VolunteerStudent, Organisation: "大学", CountyID: "c1",
			Credentials: []Credential{{Kind: "first_aid", Number: "1"}}}, "13812345678", "credentials[0].expires"},
	}
	for _, c := range cases {
		err := c.v.Validate(c.phone)
		fe, ok := err.(FieldErrors)
		if !ok || fe[c.field] == "" {
			t.Errorf("%s: want an error on %s, got %v", c.name, c.field, err)
		}
	}
	if p, ok := NormalizeMobile("+8613812345678"); !ok || p != "+8613812345678" {
		t.Fatalf("normalize: %q %v", p, ok)
	}
}

func TestCredentialsGateShifts(t *testing.T) {
	day := func(s string) Day { d, _ := ParseDay(s); return Day{d} }
	sh := Shift{StartsAt: day("2026-07-06").Add(time.Hour), EndsAt: day("2026-07-06").Add(4 * time.Hour),
		Types: []string{VolunteerTeacher, VolunteerStudent}, Credentials: []string{"health_certificate"}}
	v := Volunteer{Type: VolunteerStudent, Credentials: []Credential{{ID: "c", Kind: "health_certificate", Number: "1",
		Expires: day("2026-07-06"), Status: CredentialVerified}}} // its last valid day is the shift's day
	if why := sh.Refuses(v); why != "" {
		t.Fatalf("valid credential refused: %s", why)
	}
	expired := v
	expired.Credentials = []Credential{{Kind: "health_certificate", Expires: day("2026-07-05"), Status: CredentialVerified}}
	if sh.Refuses(expired) == "" {
		t.Fatal("a credential expired before the shift ends was accepted")
	}
	unverified := v
	unverified.Credentials = []Credential{{Kind: "health_certificate", Expires: day("2027-01-01"), Status: CredentialPending}}
	if sh.Refuses(unverified) == "" {
		t.Fatal("an unverified credential was accepted")
	}
	retired := v
	retired.Type = VolunteerRetired
	if sh.Refuses(retired) == "" {
		t.Fatal("a type the shift does not take was accepted")
	}
	// Changing a credential sends it back for verification; an unchanged one keeps it.
	merged := MergeCredentials(v.Credentials, []Credential{{ID: "c", Kind: "health_certificate", Number: "1", Expires: day("2026-07-06")},
		{ID: "d", Kind: "first_aid", Number: "9", Expires: day("2027-01-01")}})
	if merged[0].Status != CredentialVerified || merged[1].Status != CredentialPending {
		t.Fatalf("merge: %+v", merged)
	}
	changed := MergeCredentials(v.Credentials, []Credential{{ID: "c", Kind: "health_certificate", Number: "1", Expires: day("2030-01-01")}})
	if changed[0].Status != CredentialPending {
		t.Fatalf("an extended credential kept its verification: %+v", changed)
	}
}

func TestCreditedMinutes(t *testing.T) {
	at := func(hm string) time.Time {
		d, _ := time.ParseInLocation("2006-01-02 15:04", "2026-07-06 "+hm, Shanghai)
		return d
	}
	// A shift across noon: 10:30–13:30.
	start, end := at("10:30"), at("13:30")
	cases := []struct {
		in, out string
		want    int
		hours   string
	}{
		{"10:30", "13:30", 180, "3"},
		{"10:10", "13:50", 180, "3"},   // early and late: only the shift counts
		{"11:45", "12:15", 30, "0.5"},  // across noon, not 12-hour arithmetic
		{"12:50", "13:10", 20, "0.33"}, // 20 minutes
		{"10:45", "13:30", 165, "2.75"},
		{"13:40", "14:00", 0, "0"}, // after the shift
		{"09:00", "10:00", 0, "0"}, // before it
	}
	for _, c := range cases {
		got := CreditedMinutes(start, end, at(c.in), at(c.out))
		if got != c.want || Hours(got) != c.hours {
			t.Errorf("%s–%s: %d minutes (%s h), want %d (%s h)", c.in, c.out, got, Hours(got), c.want, c.hours)
		}
	}
	if !Overlaps(at("09:00"), at("12:00"), at("11:59"), at("14:00")) || Overlaps(at("09:00"), at("12:00"), at("12:00"), at("14:00")) {
		t.Fatal("overlap: back-to-back shifts must not overlap, crossing ones must")
	}
}

func TestShiftTokenIsNotAnEventToken(t *testing.T) {
	key := []byte("k")
	exp := time.Now().Add(time.Hour)
	shift := CheckinToken{Kind: TokenShift, SignUpID: "a", EventID: "s", SchoolID: "x", Expires: exp}.Sign(key)
	got, err := ParseCheckinToken(key, shift, time.Now())
	if err != nil || got.Kind != TokenShift || got.SignUpID != "a" {
		t.Fatalf("shift token: %+v %v", got, err)
	}
	event := CheckinToken{SignUpID: "a", EventID: "s", SchoolID: "x", Expires: exp}.Sign(key)
	if got, err := ParseCheckinToken(key, event, time.Now()); err != nil || got.Kind != "" {
		t.Fatalf("event token: %+v %v", got, err)
	}
	// Relabelling one as the other breaks the signature.
	if _, err := ParseCheckinToken(key, "v1"+shift[2:], time.Now()); err == nil {
		t.Fatal("a relabelled token was accepted")
	}
}

func TestProgrammeValidation(t *testing.T) {
	day := func(s string) time.Time { d, _ := ParseDay(s); return d }
	p := Programme{Title: "暑期托管", DailyStart: "08:30", DailyEnd: "17:00", Offerings: []string{"homework", "sports"},
		EnrolOpens: day("2026-06-01"), EnrolCloses: day("2026-06-20"),
		Periods: []ProgrammePeriod{{Label: "第一周", StartsAt: Day{day("2026-07-06")}, EndsAt: DayAfter{day("2026-07-11")}, Capacity: 40, Grades: []int{1, 2, 3}}}}
	if err := p.Validate(); err != nil {
		t.Fatalf("good programme refused: %v", err)
	}
	bad := p
	bad.DailyEnd, bad.Offerings = "08:00", []string{"homework", "gaming"}
	bad.Periods = []ProgrammePeriod{{Label: "", StartsAt: Day{day("2026-05-10")}, EndsAt: DayAfter{day("2026-05-12")}, Capacity: 0, Grades: []int{10}}}
	fe, _ := bad.Validate().(FieldErrors)
	for _, f := range []string{"daily_end", "offerings", "periods[0].label", "periods[0].end_date", "periods[0].capacity", "periods[0].grades"} {
		if fe[f] == "" {
			t.Errorf("no error on %s: %v", f, fe)
		}
	}
	if per := p.Periods[0]; !per.Admits(3) || per.Admits(4) {
		t.Fatal("grades admitted wrongly")
	}
}
