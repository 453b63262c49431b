package server

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"kehou/models"
)

// mpPeriod is a period as parents see it: places left and which of their children it admits.
type mpPeriod struct {
	models.ProgrammePeriod
	Free     int      `json:"free"`
	Children []string `json:"children"`
}

// mpProgramme is a summer-care programme open to one of the caller's children.
type mpProgramme struct {
	ID             string     `json:"id"`
	Title          string     `json:"title"`
	Description    string     `json:"description"`
	Sender         string     `json:"sender"`
	DailyStart     string     `json:"daily_start"`
	DailyEnd       string     `json:"daily_end"`
	FeeNote        string     `json:"fee_note"`
	Offerings      []string   `json:"offerings"`
	EnrolCloses    time.Time  `json:"enrol_closes,omitzero"`
	CancelDeadline time.Time  `json:"cancel_deadline,omitzero"`
	Periods        []mpPeriod `json:"periods"`
}

func (s *Server) mpProgrammeOf(c echo.Context, p models.Programme, kids []models.Child) (mpProgramme, bool, error) {
	pools, err := s.withPeriodPools(c.Request().Context(), &p)
	if err != nil {
		return mpProgramme{}, false, err
	}
	out := mpProgramme{ID: p.ID, Title: p.Title, Description: p.Description, Sender: p.Sender, DailyStart: p.DailyStart, DailyEnd: p.DailyEnd,
		FeeNote: p.FeeNote, Offerings: p.Offerings, EnrolCloses: p.EnrolCloses, CancelDeadline: p.CancelDeadline}
	any := false
	for _, per := range p.Periods {
		mp := mpPeriod{ProgrammePeriod: per, Free: pools[per.ID].Free, Children: []string{}}
		for _, k := range kids {
			if k.SchoolID == p.SchoolID && per.Admits(k.Grade) {
				mp.Children = append(mp.Children, k.ID)
				any = true
			}
		}
		out.Periods = append(out.Periods, mp)
	}
	return out, any, nil
}

// mpProgrammes lists the summer-care programmes open for enrolment to the caller's children.
func (s *Server) mpProgrammes(c echo.Context) error {
	ctx := c.Request().Context()
	kids, schools, _, err := s.myPupilsAndPlaces(c)
	if err != nil {
		return err
	}
	list, err := s.store.OpenProgrammes(ctx, s.now(), schools)
	if err != nil {
		return err
	}
	out := []mpProgramme{}
	for _, p := range list {
		mp, reaches, err := s.mpProgrammeOf(c, p, kids)
		if err != nil {
			return err
		}
		if reaches {
			out = append(out, mp)
		}
	}
	return c.JSON(http.StatusOK, listBody[mpProgramme]{Items: out})
}

// myProgramme finds a published (or cancelled) programme of one of the caller's children's
// schools.
func (s *Server) myProgramme(c echo.Context, id string) (models.Programme, []models.Child, error) {
	p, err := s.store.Programme(c.Request().Context(), id)
	if err != nil {
		return p, nil, err
	}
	kids, err := s.reachedChildren(c, p.Status, func(k models.Child) bool { return k.SchoolID == p.SchoolID })
	return p, kids, err
}

func (s *Server) mpProgramme(c echo.Context) error {
	p, kids, err := s.myProgramme(c, c.Param("id"))
	if err != nil {
		return err
	}
	mp, _, err := s.mpProgrammeOf(c, p, kids)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, mp)
}

type enrolForm struct {
	ChildID  string `json:"child_id"`
	PeriodID string `json:"period_id"`
}

func (f *enrolForm) validate() error {
	fe := models.FieldErrors{}
	if f.ChildID == "" {
		fe.Add("child_id", models.MsgRequired)
	}
	if f.PeriodID == "" {
		fe.Add("period_id", models.MsgRequired)
	}
	return fe.Err()
}

// myEnrolment is an enrolment as its family sees it.
type myEnrolment struct {
	models.SignUp
	Title       string     `json:"title"`
	PeriodLabel string     `json:"period_label"`
	StartDate   models.Day `json:"start_date,omitzero"` // the period's first day
	Message     string     `json:"message"`
}

func myEnrolmentOf(p models.Programme, su models.SignUp) myEnrolment {
	out := myEnrolment{SignUp: su, Title: p.Title}
	if per := p.Period(su.PoolID); per != nil {
		out.PeriodLabel, out.StartDate = per.Label, per.StartsAt
	}
	out.Message = placesMessage(su.Status, "报名成功，名额已确认。")
	return out
}

// enrol enrols a child in one period. The answer is the truth: "confirmed" means a place is
// held, "waiting" that the child is on the waiting list. A child already enrolled in the period
// gets that enrolment back (200).
func (s *Server) enrol(c echo.Context) error {
	var f enrolForm
	if err := bind(c, &f); err != nil {
		return err
	}
	p, kids, err := s.myProgramme(c, c.Param("id"))
	if err != nil {
		return err
	}
	child, err := childAmong(kids, f.ChildID, "该托管项目不面向这名孩子")
	if err != nil {
		return err
	}
	if _, err := s.withPeriodPools(c.Request().Context(), &p); err != nil {
		return err
	}
	per := p.Period(f.PeriodID)
	if why := p.CanEnrol(s.now(), per, child.Grade); why != "" {
		switch {
		case per == nil:
			return models.FieldErrors{"period_id": why}
		case !per.Admits(child.Grade):
			return models.FieldErrors{"child_id": why}
		}
		return newAPIError(http.StatusConflict, "signup_closed", why)
	}
	su, status, err := s.joinPlaces(c, s.programmeOwner(p), models.SignUp{Kind: models.SignUpCare, ProgrammeID: p.ID, PoolID: per.ID, OwnerID: per.ID,
		ChildID: child.ID, MemberID: memberOf(c).ID, SchoolID: child.SchoolID, CountyID: child.CountyID, ChildName: child.NameMasked,
		Grade: child.Grade, Class: child.Class})
	if err != nil {
		return err
	}
	return c.JSON(status, myEnrolmentOf(p, su))
}

// myEnrolments lists the caller's summer-care enrolments.
func (s *Server) myEnrolments(c echo.Context) error {
	return mySignUpsAs(c, s, models.SignUpCare, func(su models.SignUp) string { return su.ProgrammeID }, s.store.Programme, myEnrolmentOf)
}

// cancelMyEnrolment cancels an enrolment before the programme's cancellation deadline; the
// place goes to the waiting list at once.
func (s *Server) cancelMyEnrolment(c echo.Context) error {
	su, err := s.mySignUpOfKind(c, c.Param("id"), models.SignUpCare)
	if err != nil {
		return err
	}
	p, err := s.store.Programme(c.Request().Context(), su.ProgrammeID)
	if err != nil {
		return err
	}
	if su, err = s.cancelPlaces(c, s.programmeOwner(p), su, p.CanCancel(s.now())); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, myEnrolmentOf(p, su))
}
