package models

import (
	"encoding/json"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
)

func TestDayLeavesAsCalendarDay(t *testing.T) {
	d, _ := ParseDay("2026-07-06")
	var doc struct {
		First Day      `json:"first" bson:"first"`
		Until DayAfter `json:"until" bson:"until"`
		Unset Day      `json:"unset,omitzero" bson:"unset,omitempty"`
	}
	doc.First, doc.Until = Day{d}, DayAfter{d.AddDate(0, 0, 5)}
	b, err := json.Marshal(doc)
	if err != nil || string(b) != `{"first":"2026-07-06","until":"2026-07-10"}` {
		t.Fatalf("json: %s %v", b, err)
	}
	var back = doc
	back.First, back.Until = Day{}, DayAfter{}
	if err := json.Unmarshal(b, &back); err != nil || !back.First.Equal(d) || !back.Until.Equal(d.AddDate(0, 0, 5)) {
		t.Fatalf("json round trip: %+v %v", back, err)
	}
	if err := json.Unmarshal([]byte(`{"first":"2026-07-06T00:00:00Z"}`), &back); err == nil {
		t.Fatal("an instant was taken as a day")
	}
	// Stored as the datetime of 00:00 Beijing, as before the type existed.
	raw, err := bson.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	var stored bson.M
	if err := bson.Unmarshal(raw, &stored); err != nil {
		t.Fatal(err)
	}
	if got := stored["first"].(bson.DateTime).Time(); !got.Equal(time.Date(2026, 7, 6, 0, 0, 0, 0, Shanghai)) {
		t.Fatalf("stored first: %v", got)
	}
	if _, ok := stored["unset"]; ok {
		t.Fatal("a zero day was stored")
	}
	var again = doc
	again.First, again.Until = Day{}, DayAfter{}
	if err := bson.Unmarshal(raw, &again); err != nil || !again.First.Equal(d) || again.Until.Last().String() != "2026-07-10" {
		t.Fatalf("bson round trip: %+v %v", again, err)
	}
}

func TestCheckDateRefusesSlips(t *testing.T) {
	now := time.Now()
	for _, c := range []struct {
		at time.Time
		ok bool
	}{
		{now, true},
		{time.Time{}, true}, // left to the required check
		{time.Date(2000, 1, 1, 0, 0, 0, 0, Shanghai), true},
		{time.Date(1999, 12, 31, 0, 0, 0, 0, Shanghai), false},
		{now.AddDate(4, 11, 0), true},
		{now.AddDate(5, 0, 1), false},
		{time.Date(2999, 7, 1, 0, 0, 0, 0, Shanghai), false},
	} {
		f := FieldErrors{}
		f.CheckDate("d", c.at)
		if (len(f) == 0) != c.ok {
			t.Errorf("%v: %v", c.at, f)
		}
	}
}
