package report

import (
	"context"
	"errors"
	"time"

	"kehou/models"
	"kehou/store"
)

// tally holds a report's figures while it is built: one set per school, one per county for
// county-level items (no school), and one for city-level items.
type tally struct {
	schools  []models.School
	counties []models.County
	bySchool map[string]*models.Figures
	byCounty map[string]*models.Figures
	cityOnly models.Figures
}

func newTally(ctx context.Context, st *store.Store) (*tally, error) {
	city := models.Scope{Role: models.RoleCity}
	schools, err := st.SchoolsInScope(ctx, city)
	if err != nil {
		return nil, err
	}
	counties, err := st.Counties(ctx, city)
	if err != nil {
		return nil, err
	}
	t := &tally{schools: schools, counties: counties, bySchool: map[string]*models.Figures{}, byCounty: map[string]*models.Figures{}}
	for _, sc := range schools {
		t.bySchool[sc.ID] = &models.Figures{Schools: 1}
		if sc.Location == models.LocationUrban {
			t.bySchool[sc.ID].UrbanSchools = 1
		}
	}
	for _, c := range counties {
		t.byCounty[c.ID] = &models.Figures{}
	}
	return t, nil
}

// at finds where an item of a school or county counts.
func (t *tally) at(schoolID, countyID string) *models.Figures {
	if f := t.bySchool[schoolID]; f != nil {
		return f
	}
	if f := t.byCounty[countyID]; f != nil {
		return f
	}
	return &t.cityOnly
}

// plans checks each school's plan of the month's term against 2+N, 5+2 and 2+3.
func (t *tally) plans(ctx context.Context, st *store.Store, from, _ time.Time) error {
	plans, err := st.PlansOfTerm(ctx, models.Scope{Role: models.RoleCity}, models.TermOf(from))
	if err != nil {
		return err
	}
	var instIDs []string
	for _, p := range plans {
		for _, it := range p.Items {
			if it.InstitutionID != "" {
				instIDs = append(instIDs, it.InstitutionID)
			}
		}
	}
	insts, err := st.InstitutionsByID(ctx, instIDs)
	if err != nil {
		return err
	}
	for _, sc := range t.schools {
		var pp *models.Plan
		if p, ok := plans[sc.ID]; ok {
			pp = &p
		}
		c := models.Check(pp, insts)
		f := t.bySchool[sc.ID]
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
	return nil
}

// pupils counts the pupils on the rosters as the report is built.
func (t *tally) pupils(ctx context.Context, st *store.Store, _, _ time.Time) error {
	return st.EachPupil(ctx, func(schoolID string) { t.at(schoolID, "").Pupils++ })
}

// counters adds families, survey answers and confirmations from the report counters,
// kept as the data is written, instead of scanning the largest collections. Families are
// counted at the month's end: every earlier month's bindings too.
func (t *tally) counters(ctx context.Context, st *store.Store, from, _ time.Time) error {
	month := models.MonthOf(from)
	return st.EachCounts(ctx, func(c store.Counts) {
		f := t.at(c.SchoolID, c.CountyID)
		if c.Month > month {
			return
		}
		f.Families += c.Families
		if c.Month != month {
			return
		}
		f.SurveyResponses += c.Responses
		f.Satisfied += c.Satisfied
		f.Rated += c.Rated
		f.Aware += c.Aware
		f.AwareAsked += c.AwareAsked
		f.NoticesConfirmed += c.Confirmed
	})
}

// notices counts the notices sent in the month and whom they targeted.
func (t *tally) notices(ctx context.Context, st *store.Store, from, to time.Time) error {
	return st.EachNoticeOutcome(ctx, func(n models.Notice) {
		if n.Status == models.NoticeSent && !n.SendAt.Before(from) && n.SendAt.Before(to) {
			f := t.at(n.SchoolID, n.CountyID)
			f.NoticesSent++
			f.NoticeRecipients += n.Targeted
		}
	})
}

// places counts the month's open-day sign-ups and check-ins, and summer care's places and
// enrolments: first the month's pools, then their confirmed sign-ups.
func (t *tally) places(ctx context.Context, st *store.Store, from, to time.Time) error {
	pools := map[string]models.Pool{}
	if err := st.EachPlacesPool(ctx, from, to, func(p models.Pool) { pools[p.ID] = p }); err != nil {
		return err
	}
	progSchool := map[string]string{}
	ids := make([]string, 0, len(pools))
	for id, p := range pools {
		ids = append(ids, id)
		if p.Kind != models.PoolCarePeriod {
			continue
		}
		if _, ok := progSchool[p.OwnerID]; !ok {
			prog, err := st.Programme(ctx, p.OwnerID)
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
			progSchool[p.OwnerID] = prog.SchoolID
		}
		t.at(progSchool[p.OwnerID], "").CarePlaces += p.Capacity
	}
	return st.EachConfirmedSignUp(ctx, ids, func(su models.SignUp) {
		f := t.at(su.SchoolID, su.CountyID)
		if pools[su.PoolID].Kind == models.PoolCarePeriod {
			f.CareEnrolled++
			return
		}
		f.OpenDaySignUps++
		if !su.CheckedInAt.IsZero() {
			f.OpenDayCheckIns++
		}
	})
}

// volunteers adds the minutes of approved volunteer shifts in the month.
func (t *tally) volunteers(ctx context.Context, st *store.Store, from, to time.Time) error {
	return st.EachApprovedShift(ctx, from, to, func(a models.Application) { t.at(a.SchoolID, a.CountyID).VolunteerMinutes += a.Minutes })
}

// complaints counts the complaints received and closed in the month, those overdue at its end,
// and the look-backs opened in it.
func (t *tally) complaints(ctx context.Context, st *store.Store, from, to time.Time) error {
	return st.EachComplaintDates(ctx, func(c models.Complaint) {
		f := t.at(c.SchoolID, c.CountyID)
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
}
