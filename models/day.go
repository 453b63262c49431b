package models

import (
	"errors"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// Day is a calendar day in Beijing: a period's first day, a credential's last valid day, the
// day a complaint came in. It is held as 00:00 Beijing time (stored as a BSON datetime, as these
// fields always were, so queries by range keep working) and leaves the API as "2006-01-02",
// never as an instant at some midnight that a client in another zone would show as the day
// before.
type Day struct{ time.Time }

// DayLayout is how a Day is written.
const DayLayout = "2006-01-02"

// DayOf is the Beijing day t falls on.
func DayOf(t time.Time) Day { return Day{StartOfDay(t)} }

// String is "2006-01-02", or "" for the zero Day.
func (d Day) String() string {
	if d.IsZero() {
		return ""
	}
	return d.In(Shanghai).Format(DayLayout)
}

// Next is the day after d, 00:00 Beijing: the exclusive end of a span whose last day is d.
func (d Day) Next() time.Time { return d.In(Shanghai).AddDate(0, 0, 1).UTC() }

// MarshalJSON writes "2006-01-02" (a zero Day is null; its fields carry omitzero).
func (d Day) MarshalJSON() ([]byte, error) {
	if d.IsZero() {
		return []byte("null"), nil
	}
	return []byte(`"` + d.String() + `"`), nil
}

// UnmarshalJSON reads "2006-01-02".
func (d *Day) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*d = Day{}
		return nil
	}
	if len(b) < 2 || b[0] != '"' || b[len(b)-1] != '"' {
		return errors.New("a day is a string such as 2026-07-06")
	}
	t, ok := ParseDay(string(b[1 : len(b)-1]))
	if !ok {
		return errors.New("a day is a string such as 2026-07-06")
	}
	*d = Day{t}
	return nil
}

// MarshalBSONValue stores the day as the datetime of its 00:00 in Beijing.
func (d Day) MarshalBSONValue() (byte, []byte, error) {
	t, data, err := bson.MarshalValue(d.Time.UTC())
	return byte(t), data, err
}

// UnmarshalBSONValue reads what MarshalBSONValue wrote.
func (d *Day) UnmarshalBSONValue(typ byte, data []byte) error {
	var t time.Time
	if err := bson.UnmarshalValue(bson.Type(typ), data, &t); err != nil {
		return err
	}
	*d = Day{t.UTC()}
	return nil
}

// CheckDate refuses a date people cannot have meant: nothing kehou keeps happened before 2000,
// and nothing it plans lies more than 5 years ahead (a year typed as 2999 or 1926 is a slip).
// A zero t is left to the required-field checks.
func (f FieldErrors) CheckDate(field string, t time.Time) {
	switch {
	case t.IsZero():
	case t.Before(time.Date(2000, 1, 1, 0, 0, 0, 0, Shanghai)):
		f.Add(field, "日期不能早于2000年")
	case t.After(time.Now().AddDate(5, 0, 0)):
		f.Add(field, "日期不能晚于5年之后")
	}
}

// DayAfter is the exclusive end of a span of whole days: 00:00 Beijing of the day after its last
// day, which is what the code compares against. It leaves the API as the last day itself
// ("2026-07-10" for a span ending that evening), as the forms take it.
type DayAfter struct{ time.Time }

// Last is the span's last day.
func (d DayAfter) Last() Day {
	if d.IsZero() {
		return Day{}
	}
	return Day{d.In(Shanghai).AddDate(0, 0, -1).UTC()}
}

// MarshalJSON writes the last day, "2006-01-02".
func (d DayAfter) MarshalJSON() ([]byte, error) { return d.Last().MarshalJSON() }

// UnmarshalJSON reads the last day, "2006-01-02".
func (d *DayAfter) UnmarshalJSON(b []byte) error {
	var last Day
	if err := last.UnmarshalJSON(b); err != nil {
		return err
	}
	*d = DayAfter{}
	if !last.IsZero() {
		d.Time = last.Next()
	}
	return nil
}

// MarshalBSONValue stores the exclusive end's datetime.
func (d DayAfter) MarshalBSONValue() (byte, []byte, error) { return Day(d).MarshalBSONValue() }

// UnmarshalBSONValue reads what MarshalBSONValue wrote.
func (d *DayAfter) UnmarshalBSONValue(typ byte, data []byte) error {
	return (*Day)(d).UnmarshalBSONValue(typ, data)
}
