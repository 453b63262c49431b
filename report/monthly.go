package report

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"kehou/models"
	"kehou/store"
)

// Builder builds and keeps the monthly reports of one store.
type Builder struct{ Store *store.Store }

// New returns the report builder over st.
func New(st *store.Store) *Builder { return &Builder{Store: st} }

// Ensure returns a month's report, building and storing it the first time. Once stored it never
// changes, whatever arrives later; two builders racing store one, and both return that one.
func (b *Builder) Ensure(ctx context.Context, month string) (models.MonthlyReport, bool, error) {
	r, err := b.Store.MonthlyReport(ctx, month)
	if err == nil || !errors.Is(err, store.ErrNotFound) {
		return r, false, err
	}
	if r, err = b.Build(ctx, month); err != nil {
		return r, false, err
	}
	if err := b.Store.InsertMonthlyReport(ctx, r); errors.Is(err, store.ErrConflict) {
		r, err = b.Store.MonthlyReport(ctx, month)
		return r, false, err
	} else if err != nil {
		return r, false, fmt.Errorf("store report %s: %w", month, err)
	}
	return r, true, nil
}

// Live builds the month in progress and stores it as the live figures the dashboard shows beside
// the frozen reports (it is rebuilt every few minutes by report:live, and never frozen: the
// month's report is built afresh once the month has ended).
func (b *Builder) Live(ctx context.Context) (models.MonthlyReport, error) {
	month := models.MonthOf(b.Store.Now())
	r, err := b.Build(ctx, month)
	if err != nil {
		return r, err
	}
	return r, b.Store.PutLiveReport(ctx, r)
}

// Build computes a month's figures for every school, county and the city, in one streamed pass
// over each collection; memory grows with the number of schools, not families. It stores
// nothing (Ensure does).
func (b *Builder) Build(ctx context.Context, month string) (models.MonthlyReport, error) {
	return b.BuildTraced(ctx, month, nil)
}

// BuildTraced is Build telling trace how long each step took (for bench/report).
func (b *Builder) BuildTraced(ctx context.Context, month string, trace func(step string, took time.Duration)) (models.MonthlyReport, error) {
	from, to, ok := models.MonthBounds(month)
	if !ok {
		return models.MonthlyReport{}, fmt.Errorf("build report: bad month %q", month)
	}
	t, err := newTally(ctx, b.Store)
	if err != nil {
		return models.MonthlyReport{}, fmt.Errorf("build report %s: %w", month, err)
	}
	steps := []struct {
		name string
		run  func(ctx context.Context, st *store.Store, from, to time.Time) error
	}{
		{"plans", t.plans},
		{"pupils", t.pupils},
		{"counters: families, answers, confirmations", t.counters},
		{"notices", t.notices},
		{"open days and summer care", t.places},
		{"volunteer hours", t.volunteers},
		{"complaints", t.complaints},
	}
	last := time.Now()
	step := func(name string) {
		if trace != nil {
			trace(name, time.Since(last))
		}
		last = time.Now()
	}
	step("schools and counties")
	for _, s := range steps {
		if err := s.run(ctx, b.Store, from, to); err != nil {
			return models.MonthlyReport{}, fmt.Errorf("build report %s: %s: %w", month, s.name, err)
		}
		step(s.name)
	}
	return t.rollUp(month, b.Store.Now()), nil
}

// rollUp lists the schools and counties by name and adds schools into their counties and
// counties (and city-level items) into the city.
func (t *tally) rollUp(month string, builtAt time.Time) models.MonthlyReport {
	r := models.MonthlyReport{ID: month, BuiltAt: builtAt, Counties: []models.LevelReport{}, Schools: []models.LevelReport{}}
	sort.Slice(t.schools, func(i, j int) bool { return t.schools[i].Name < t.schools[j].Name })
	for _, sc := range t.schools {
		f := *t.bySchool[sc.ID]
		r.Schools = append(r.Schools, models.LevelReport{ID: sc.ID, Name: sc.Name, CountyID: sc.CountyID, Figures: f})
		if cf := t.byCounty[sc.CountyID]; cf != nil {
			cf.Add(f)
		} else {
			t.cityOnly.Add(f)
		}
	}
	sort.Slice(t.counties, func(i, j int) bool { return t.counties[i].Name < t.counties[j].Name })
	for _, c := range t.counties {
		r.Counties = append(r.Counties, models.LevelReport{ID: c.ID, Name: c.Name, Figures: *t.byCounty[c.ID]})
		r.City.Add(*t.byCounty[c.ID])
	}
	r.City.Add(t.cityOnly)
	return r
}
