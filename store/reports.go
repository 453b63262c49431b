package store

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"kehou/models"
)

// each streams the documents a filter selects (with a projection), one at a time, so a report
// over a year of a city's data keeps memory flat.
func each[T any](ctx context.Context, s *Store, coll string, filter bson.M, projection bson.M, fn func(T)) error {
	opts := options.Find()
	if projection != nil {
		opts.SetProjection(projection)
	}
	cur, err := s.c(coll).Find(ctx, filter, opts)
	if err != nil {
		return fmt.Errorf("%s: %w", coll, err)
	}
	defer cur.Close(ctx)
	for cur.Next(ctx) {
		var v T
		if err := cur.Decode(&v); err != nil {
			return fmt.Errorf("decode %s: %w", coll, err)
		}
		fn(v)
	}
	return cur.Err()
}

// MonthlyReport returns a month's stored report (ErrNotFound when it was never built).
func (s *Store) MonthlyReport(ctx context.Context, month string) (models.MonthlyReport, error) {
	return findOne[models.MonthlyReport](ctx, s.c(colReports), bson.M{"_id": month})
}

// EnsureMonthlyReport returns a month's report, building and storing it the first time. Once
// stored it never changes, whatever arrives later; two builders racing store one.
func (s *Store) EnsureMonthlyReport(ctx context.Context, month string) (models.MonthlyReport, bool, error) {
	r, err := s.MonthlyReport(ctx, month)
	if err == nil || !errors.Is(err, ErrNotFound) {
		return r, false, err
	}
	if r, err = s.BuildMonthlyReport(ctx, month); err != nil {
		return r, false, err
	}
	if err := insert(ctx, s.c(colReports), r); errors.Is(err, ErrConflict) {
		r, err = s.MonthlyReport(ctx, month)
		return r, false, err
	} else if err != nil {
		return r, false, err
	}
	return r, true, nil
}

// BuildMonthlyReport computes a month's figures for every school, county and the city, in one
// streamed pass over each collection; memory grows with the number of schools, not families.
func (s *Store) BuildMonthlyReport(ctx context.Context, month string) (models.MonthlyReport, error) {
	return s.BuildMonthlyReportTraced(ctx, month, nil)
}

// BuildMonthlyReportTraced is BuildMonthlyReport telling trace how long each step took (for
// bench/report).
func (s *Store) BuildMonthlyReportTraced(ctx context.Context, month string, trace func(step string, took time.Duration)) (models.MonthlyReport, error) {
	last := time.Now()
	step := func(name string) {
		if trace != nil {
			trace(name, time.Since(last))
		}
		last = time.Now()
	}
	from, to, ok := models.MonthBounds(month)
	if !ok {
		return models.MonthlyReport{}, fmt.Errorf("bad month %q", month)
	}
	in := bson.M{"$gte": from, "$lt": to}
	city := models.Scope{Role: models.RoleCity}
	schools, err := s.SchoolsInScope(ctx, city)
	if err != nil {
		return models.MonthlyReport{}, err
	}
	counties, err := s.Counties(ctx, city)
	if err != nil {
		return models.MonthlyReport{}, err
	}
	bySchool := map[string]*models.Figures{}
	byCounty := map[string]*models.Figures{} // county-level items (no school)
	var cityOnly models.Figures
	countyOf := map[string]string{}
	for _, sc := range schools {
		bySchool[sc.ID] = &models.Figures{Schools: 1}
		countyOf[sc.ID] = sc.CountyID
		if sc.Location == models.LocationUrban {
			bySchool[sc.ID].UrbanSchools = 1
		}
	}
	for _, c := range counties {
		byCounty[c.ID] = &models.Figures{}
	}
	// at finds where an item of a school or county counts.
	at := func(schoolID, countyID string) *models.Figures {
		if f := bySchool[schoolID]; f != nil {
			return f
		}
		if f := byCounty[countyID]; f != nil {
			return f
		}
		return &cityOnly
	}

	step("schools and counties")
	// Plans of the month's term.
	plans, err := s.PlansOfTerm(ctx, city, models.TermOf(from))
	if err != nil {
		return models.MonthlyReport{}, err
	}
	var instIDs []string
	for _, p := range plans {
		for _, it := range p.Items {
			if it.InstitutionID != "" {
				instIDs = append(instIDs, it.InstitutionID)
			}
		}
	}
	insts, err := s.InstitutionsByID(ctx, instIDs)
	if err != nil {
		return models.MonthlyReport{}, err
	}
	for _, sc := range schools {
		var pp *models.Plan
		if p, ok := plans[sc.ID]; ok {
			pp = &p
		}
		c := models.Check(pp, insts)
		f := bySchool[sc.ID]
		if c.TwoPlusN {
			f.PlansTwoPlusN++
		}
		if c.FivePlusTwo {
			f.PlansFivePlusTwo++
		}
		if c.TwoPlusThree && sc.Location == models.LocationUrban {
			f.UrbanTwoPlusThree++
		}
	}

	step("plans")
	// Pupils, families, survey answers and confirmations: from the report counters, kept as
	// the data is written (see reportcounts.go), instead of scanning the largest collections.
	fromMonth := models.MonthOf(from)
	err = s.eachCounts(ctx, func(c Counts) {
		f := at(c.SchoolID, c.CountyID)
		switch {
		case c.Month == countsAll:
			f.Pupils += c.Pupils
		case c.Month > fromMonth:
			return
		}
		f.Families += c.Families // at the month's end: every earlier month's too
		if c.Month != fromMonth {
			return
		}
		f.SurveyResponses += c.Responses
		f.Satisfied += c.Satisfied
		f.Rated += c.Rated
		f.Aware += c.Aware
		f.AwareAsked += c.AwareAsked
		f.NoticesConfirmed += c.Confirmed
	})
	if err != nil {
		return models.MonthlyReport{}, err
	}

	step("counters: pupils, families, answers, confirmations")
	// Notices sent in the month.
	type noticeDoc struct {
		ID       string    `bson:"_id"`
		SchoolID string    `bson:"school_id"`
		CountyID string    `bson:"county_id"`
		SendAt   time.Time `bson:"send_at"`
		Status   string    `bson:"status"`
		Targeted int       `bson:"targeted"`
	}
	err = each(ctx, s, colNotices, bson.M{}, bson.M{"school_id": 1, "county_id": 1, "send_at": 1, "status": 1, "targeted": 1}, func(n noticeDoc) {
		f := at(n.SchoolID, n.CountyID)
		if n.Status == models.NoticeSent && !n.SendAt.Before(from) && n.SendAt.Before(to) {
			f.NoticesSent++
			f.NoticeRecipients += n.Targeted
		}
	})
	if err != nil {
		return models.MonthlyReport{}, err
	}
	step("notices")
	// Open days and summer care: the month's pools, then their sign-ups.
	pools := map[string]models.Pool{}
	err = each(ctx, s, colPools, bson.M{"starts_at": in, "kind": bson.M{"$in": bson.A{models.PoolEventSession, models.PoolCarePeriod}}},
		bson.M{"kind": 1, "owner_id": 1, "capacity": 1}, func(p models.Pool) { pools[p.ID] = p })
	if err != nil {
		return models.MonthlyReport{}, err
	}
	progSchool := map[string]string{}
	for _, p := range pools {
		if p.Kind != models.PoolCarePeriod {
			continue
		}
		if _, ok := progSchool[p.OwnerID]; !ok {
			prog, err := s.Programme(ctx, p.OwnerID)
			if err != nil && !errors.Is(err, ErrNotFound) {
				return models.MonthlyReport{}, err
			}
			progSchool[p.OwnerID] = prog.SchoolID
		}
		at(progSchool[p.OwnerID], "").CarePlaces += p.Capacity
	}
	if len(pools) > 0 {
		ids := make(bson.A, 0, len(pools))
		for id := range pools {
			ids = append(ids, id)
		}
		err = each(ctx, s, colSignUps, bson.M{"pool_id": bson.M{"$in": ids}, "status": models.SignUpConfirmed},
			bson.M{"pool_id": 1, "school_id": 1, "county_id": 1, "checked_in_at": 1}, func(su models.SignUp) {
				f := at(su.SchoolID, su.CountyID)
				if pools[su.PoolID].Kind == models.PoolCarePeriod {
					f.CareEnrolled++
					return
				}
				f.OpenDaySignUps++
				if !su.CheckedInAt.IsZero() {
					f.OpenDayCheckIns++
				}
			})
		if err != nil {
			return models.MonthlyReport{}, err
		}
	}
	step("open days and summer care")
	err = each(ctx, s, colApplications, bson.M{"starts_at": in, "status": models.ApplicationApproved}, bson.M{"school_id": 1, "county_id": 1, "minutes": 1},
		func(a models.Application) { at(a.SchoolID, a.CountyID).VolunteerMinutes += a.Minutes })
	if err != nil {
		return models.MonthlyReport{}, err
	}

	step("volunteer hours")
	// Complaints: new and closed in the month, overdue at its end, look-backs opened in it.
	err = each(ctx, s, colComplaints, bson.M{}, bson.M{"school_id": 1, "county_id": 1, "received_on": 1, "closed_at": 1, "status": 1, "deadline": 1, "look_back": 1},
		func(c models.Complaint) {
			f := at(c.SchoolID, c.CountyID)
			if !c.ReceivedOn.Before(from) && c.ReceivedOn.Before(to) {
				f.ComplaintsNew++
			}
			if !c.ClosedAt.IsZero() && !c.ClosedAt.Before(from) && c.ClosedAt.Before(to) {
				f.ComplaintsClosed++
			}
			closedBy := !c.ClosedAt.IsZero() && c.ClosedAt.Before(to)
			if !c.Deadline.IsZero() && c.Deadline.Before(to) && !closedBy && c.ReceivedOn.Before(to) && c.Status != models.ComplaintRectified && c.Status != models.ComplaintVerified {
				f.ComplaintsOverdue++
			}
			if c.LookBack != nil && !c.LookBack.OpenedAt.Before(from) && c.LookBack.OpenedAt.Before(to) {
				f.LookBacks++
			}
		})
	if err != nil {
		return models.MonthlyReport{}, err
	}

	step("complaints")
	// Roll up: schools into counties, counties (and city-level items) into the city.
	r := models.MonthlyReport{ID: month, BuiltAt: s.now(), Counties: []models.LevelReport{}, Schools: []models.LevelReport{}}
	sort.Slice(schools, func(i, j int) bool { return schools[i].Name < schools[j].Name })
	for _, sc := range schools {
		f := *bySchool[sc.ID]
		r.Schools = append(r.Schools, models.LevelReport{ID: sc.ID, Name: sc.Name, CountyID: sc.CountyID, Figures: f})
		if cf := byCounty[sc.CountyID]; cf != nil {
			cf.Add(f)
		} else {
			cityOnly.Add(f)
		}
	}
	sort.Slice(counties, func(i, j int) bool { return counties[i].Name < counties[j].Name })
	for _, c := range counties {
		r.Counties = append(r.Counties, models.LevelReport{ID: c.ID, Name: c.Name, Figures: *byCounty[c.ID]})
		r.City.Add(*byCounty[c.ID])
	}
	r.City.Add(cityOnly)
	return r, nil
}
