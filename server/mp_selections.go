package server

import (
	"time"

	"errors"
	"net/http"
	"slices"

	"github.com/labstack/echo/v4"

	"kehou/jobs"
	"kehou/models"
	"kehou/store"
)

// myChildSelection is one child's side of a selection: the courses open to its grade, its
// ranked choices and code, and after the draw its courses and waiting lists.
type myChildSelection struct {
	ChildID string   `json:"child_id"`
	Name    string   `json:"name"`
	Courses []string `json:"courses"` // ids of the courses open to the child's grade
	Code    string   `json:"code"`    // the child's code in the public draw
	Choices []string `json:"choices"`
	Placed  []string `json:"placed"`  // after the draw: courses with a place
	Waiting []string `json:"waiting"` // after the draw: courses it waits for
}

// mySelection is a selection as a family sees it.
type mySelection struct {
	ID         string                `json:"id"`
	Title      string                `json:"title"`
	Sender     string                `json:"sender"`
	Term       string                `json:"term"`
	Status     string                `json:"status"`
	Opens      time.Time             `json:"opens"`
	Closes     time.Time             `json:"closes"`
	CanChange  bool                  `json:"can_change"`
	Rules      models.SelectionRules `json:"rules"`
	Courses    []models.Course       `json:"courses"`
	Commitment string                `json:"commitment"`
	Seed       string                `json:"seed,omitempty"`
	Children   []myChildSelection    `json:"children"`
}

func (s *Server) mySelectionOf(c echo.Context, sel models.Selection, kids []models.Child) (mySelection, error) {
	ctx := c.Request().Context()
	out := mySelection{ID: sel.ID, Title: sel.Title, Sender: sel.Sender, Term: sel.Term, Status: sel.Status,
		Opens: sel.Opens, Closes: sel.Closes,
		CanChange: !s.selectionClosed(sel), Rules: sel.Rules, Courses: sel.Courses, Commitment: sel.Commitment, Seed: sel.Seed, Children: []myChildSelection{}}
	var mine []models.SignUp
	if sel.Status == models.SelectionDrawn {
		all, err := s.store.SignUpsOfMember(ctx, memberOf(c).ID, models.SignUpCourse)
		if err != nil {
			return out, err
		}
		for _, su := range all {
			if su.ProgrammeID == sel.ID {
				mine = append(mine, su)
			}
		}
	}
	for _, k := range kids {
		if k.SchoolID != sel.SchoolID {
			continue
		}
		cs := myChildSelection{ChildID: k.ID, Name: k.NameMasked, Courses: []string{}, Code: s.store.RequestCode(sel.ID, k.ID),
			Choices: []string{}, Placed: []string{}, Waiting: []string{}}
		for _, co := range sel.Courses {
			if co.Admits(k.Grade) {
				cs.Courses = append(cs.Courses, co.ID)
			}
		}
		if r, err := s.store.Request(ctx, sel.ID, k.ID); err == nil {
			cs.Choices = r.Choices
		} else if !errors.Is(err, store.ErrNotFound) {
			return out, err
		}
		for _, su := range mine {
			switch {
			case su.ChildID != k.ID:
			case su.Status == models.SignUpConfirmed:
				cs.Placed = append(cs.Placed, su.PoolID)
			case su.Status == models.SignUpWaiting:
				cs.Waiting = append(cs.Waiting, su.PoolID)
			}
		}
		out.Children = append(out.Children, cs)
	}
	return out, nil
}

// mpSelections lists the course menus of the caller's children's schools.
func (s *Server) mpSelections(c echo.Context) error {
	ctx := c.Request().Context()
	kids, schools, _, err := s.myPupilsAndPlaces(c)
	if err != nil {
		return err
	}
	list, err := s.store.SelectionsOfSchools(ctx, schools)
	if err != nil {
		return err
	}
	out := []mySelection{}
	for _, sel := range list {
		ms, err := s.mySelectionOf(c, sel, kids)
		if err != nil {
			return err
		}
		out = append(out, ms)
	}
	return c.JSON(http.StatusOK, listBody[mySelection]{Items: out})
}

// mySelectionAndKids finds a published selection of one of the caller's children's schools.
func (s *Server) mySelectionAndKids(c echo.Context) (models.Selection, []models.Child, error) {
	ctx := c.Request().Context()
	sel, err := s.store.Selection(ctx, c.Param("id"))
	if err != nil {
		return sel, nil, err
	}
	kids, err := s.myPupils(c)
	if err != nil {
		return sel, nil, err
	}
	var mine []models.Child
	for _, k := range kids {
		if k.SchoolID == sel.SchoolID {
			mine = append(mine, k)
		}
	}
	if sel.Status == models.SelectionDraft || len(mine) == 0 {
		return sel, nil, errNotFound
	}
	return sel, mine, nil
}

func (s *Server) mpSelection(c echo.Context) error {
	sel, kids, err := s.mySelectionAndKids(c)
	if err != nil {
		return err
	}
	ms, err := s.mySelectionOf(c, sel, kids)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, ms)
}

type requestForm struct {
	ChildID string   `json:"child_id"`
	Choices []string `json:"choices"`
}

func (f *requestForm) validate() error {
	if f.ChildID == "" {
		return models.FieldErrors{"child_id": models.MsgRequired}
	}
	return nil
}

// saveCourseRequest stores a child's ranked choices while the window is open; changing them
// replaces the earlier ones.
func (s *Server) saveCourseRequest(c echo.Context) error {
	var f requestForm
	if err := bind(c, &f); err != nil {
		return err
	}
	sel, kids, err := s.mySelectionAndKids(c)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(kids, func(k models.Child) bool { return k.ID == f.ChildID })
	if i < 0 {
		return models.FieldErrors{"child_id": "该选课不面向这名孩子"}
	}
	if s.selectionClosed(sel) {
		return errSelectionClosed
	}
	if err := sel.CheckChoices(kids[i].Grade, f.Choices); err != nil {
		return err
	}
	r := models.CourseRequest{SelectionID: sel.ID, ChildID: f.ChildID, MemberID: memberOf(c).ID, Grade: kids[i].Grade,
		Code: s.store.RequestCode(sel.ID, f.ChildID), Choices: f.Choices}
	if err := s.store.SaveRequest(c.Request().Context(), &r); err != nil {
		return err
	}
	return s.mpSelection(c)
}

type dropForm struct {
	ChildID  string `json:"child_id"`
	CourseID string `json:"course_id"`
}

func (f *dropForm) validate() error {
	fe := models.FieldErrors{}
	if f.ChildID == "" {
		fe.Add("child_id", models.MsgRequired)
	}
	if f.CourseID == "" {
		fe.Add("course_id", models.MsgRequired)
	}
	return fe.Err()
}

// dropCourse gives up a child's place in (or its wait for) a course after the draw; the place
// goes to the first child waiting who can take it, who is told, and whose waits for courses it
// can no longer take (a clash, the limits) end.
func (s *Server) dropCourse(c echo.Context) error {
	var f dropForm
	if err := bind(c, &f); err != nil {
		return err
	}
	sel, kids, err := s.mySelectionAndKids(c)
	if err != nil {
		return err
	}
	if sel.Status != models.SelectionDrawn || !slices.ContainsFunc(kids, func(k models.Child) bool { return k.ID == f.ChildID }) {
		return errNotFound
	}
	ctx := c.Request().Context()
	su, err := s.store.ActiveSignUp(ctx, f.CourseID, f.ChildID)
	if err != nil {
		return err
	}
	if _, _, err := s.store.CancelSignUp(ctx, su.ID); err != nil {
		return err
	}
	s.promoteCourse(c, sel, f.CourseID)
	return s.mpSelection(c)
}

// promoteCourse runs a course's waiting list, tells the children promoted, and ends their
// waits that the new course rules out.
func (s *Server) promoteCourse(c echo.Context, sel models.Selection, courseID string) {
	ctx := c.Request().Context()
	got, err := s.store.Promote(ctx, courseID)
	if err != nil && !errors.Is(err, store.ErrPoolChanged) {
		s.log.Warn("course promotion failed; the reconciler will retry", "request_id", requestID(c), "course", courseID, "err", err)
		return
	}
	if len(got) == 0 {
		return
	}
	if err := jobs.EndRuledOutWaits(ctx, s.store, sel, got); err != nil {
		s.log.Warn("ending ruled-out waits", "request_id", requestID(c), "err", err)
	}
	n := jobs.CoursePromotedNotice(sel, courseID, got)
	if err := s.sendNotice(c, n); err != nil {
		s.log.Warn("promotion notice", "request_id", requestID(c), "err", err)
	}
}
