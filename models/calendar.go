package models

import (
	"fmt"
	"slices"
	"strconv"
	"time"
)

// Calendar is one year's public holidays and the weekend days worked in exchange (调休), as the
// State Council announces them each year; the city administrator enters them. Complaint
// deadlines count working days with it: Monday to Friday unless a holiday, and the listed
// weekend working days. A year nobody entered is plain Monday to Friday.
type Calendar struct {
	Year      int       `bson:"_id" json:"year"`
	Holidays  []string  `bson:"holidays" json:"holidays"` // "2026-10-01"
	Workdays  []string  `bson:"workdays" json:"workdays"` // weekend days worked
	UpdatedAt time.Time `bson:"updated_at" json:"updated_at,omitzero"`
	UpdatedBy string    `bson:"updated_by" json:"-"`
}

// Limits of a calendar: China has about 30 holiday days and a handful of worked weekend days.
const (
	MaxHolidays = 60
	MaxWorkdays = 20
)

// Validate checks the days belong to the year, are real dates, and are in one list only; it
// sorts and de-duplicates them.
func (c *Calendar) Validate() error {
	errs := FieldErrors{}
	if c.Year < 2000 || c.Year > 2100 {
		errs["year"] = "年份应在2000–2100之间"
		return errs
	}
	check := func(field string, days []string, limit int, weekend bool) []string {
		out := []string{}
		for i, d := range days {
			t, err := time.Parse("2006-01-02", d)
			switch {
			case err != nil || t.Format("2006-01-02") != d:
				errs[fmt.Sprintf("%s[%d]", field, i)] = "日期格式应为2026-10-01"
				continue
			case t.Year() != c.Year:
				errs[fmt.Sprintf("%s[%d]", field, i)] = "日期不在" + strconv.Itoa(c.Year) + "年"
				continue
			case weekend && t.Weekday() != time.Saturday && t.Weekday() != time.Sunday:
				errs[fmt.Sprintf("%s[%d]", field, i)] = "调休上班日应为周六或周日"
				continue
			}
			out = append(out, d)
		}
		slices.Sort(out)
		out = slices.Compact(out)
		if len(out) > limit {
			errs[field] = fmt.Sprintf("最多%d天", limit)
		}
		return out
	}
	c.Holidays = check("holidays", c.Holidays, MaxHolidays, false)
	c.Workdays = check("workdays", c.Workdays, MaxWorkdays, true)
	for _, d := range c.Workdays {
		if slices.Contains(c.Holidays, d) {
			errs["workdays"] = d + "同时列为节假日和调休上班日"
		}
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}

// Calendars are the entered years, by year.
type Calendars map[int]Calendar

// WorkingDay tells whether the Shanghai day d falls on is a working day.
func (cs Calendars) WorkingDay(d time.Time) bool {
	d = d.In(Shanghai)
	day := d.Format("2006-01-02")
	c := cs[d.Year()]
	if slices.Contains(c.Workdays, day) {
		return true
	}
	if slices.Contains(c.Holidays, day) {
		return false
	}
	return d.Weekday() != time.Saturday && d.Weekday() != time.Sunday
}

// AddWorkingDays is the end (23:59:59 Shanghai) of the n-th working day after from.
func (cs Calendars) AddWorkingDays(from time.Time, n int) time.Time {
	d := from.In(Shanghai)
	d = time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, Shanghai)
	for n > 0 {
		d = d.AddDate(0, 0, 1)
		if cs.WorkingDay(d) {
			n--
		}
	}
	return d.AddDate(0, 0, 1).Add(-time.Second).UTC()
}
