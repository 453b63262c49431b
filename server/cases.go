package server

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
	"go.mongodb.org/mongo-driver/v2/bson"

	"kehou/models"
)

type caseForm struct {
	Title  string   `json:"title"`
	Text   string   `json:"text"`
	Images []string `json:"images"`
}

func (f *caseForm) validate() error {
	return models.Case{Title: f.Title, Text: f.Text, Images: f.Images}.Validate()
}

// submitCase lets a school submit a good-practice case for review.
func (s *Server) submitCase(c echo.Context) error {
	scope := scopeOf(c)
	if scope.Role != models.RoleSchool {
		return newAPIError(http.StatusForbidden, "forbidden", "典型案例由学校提交")
	}
	var f caseForm
	if err := bind(c, &f); err != nil {
		return err
	}
	ctx := c.Request().Context()
	sc, err := s.store.School(ctx, scope.SchoolID)
	if err != nil {
		return err
	}
	cs := models.Case{SchoolID: sc.ID, CountyID: sc.CountyID, School: sc.Name, Title: strings.TrimSpace(f.Title), Text: strings.TrimSpace(f.Text), Images: f.Images}
	if err := s.store.CreateCase(ctx, &cs); err != nil {
		return err
	}
	s.audit(c, "case.submit", cs.ID, cs.CountyID, cs.SchoolID, cs.Title)
	return c.JSON(http.StatusCreated, cs)
}

// listCases lists the cases within scope (?status=, ?month= for those featured in a month).
func (s *Server) listCases(c echo.Context) error {
	pg, err := pageParams(c)
	if err != nil {
		return err
	}
	list, next, err := s.store.Cases(c.Request().Context(), scopeOf(c), c.QueryParam("status"), c.QueryParam("month"), pg)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, listBody[models.Case]{list, next})
}

// featuredCases is the month's list of featured cases, for every staff member to read.
func (s *Server) featuredCases(c echo.Context) error {
	month := c.QueryParam("month")
	if month == "" {
		month = models.MonthOf(s.now())
	}
	if _, _, ok := models.MonthBounds(month); !ok {
		return models.FieldErrors{"month": "月份应如 2026-11"}
	}
	list, err := s.store.FeaturedCases(c.Request().Context(), month)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, listBody[models.Case]{Items: list})
}

type reviewForm struct {
	Approved *bool  `json:"approved"`
	Note     string `json:"note"`
}

func (f *reviewForm) validate() error {
	fe := models.FieldErrors{}
	if f.Approved == nil {
		fe.Add("approved", models.MsgRequired)
	} else if !*f.Approved {
		fe.CheckText("note", f.Note, 500) // the school reads why
	}
	fe.CheckOptionalText("note", f.Note, 500) // the same limit whatever the decision
	return fe.Err()
}

// reviewCase accepts a submitted case or returns it to the school with a note (county or
// city staff).
func (s *Server) reviewCase(c echo.Context) error {
	if actorOf(c) != models.ActorCounty {
		return errForbidden
	}
	ctx := c.Request().Context()
	cs, err := s.store.CaseInScope(ctx, scopeOf(c), c.Param("id"))
	if err != nil {
		return err
	}
	var f reviewForm
	if err := bind(c, &f); err != nil {
		return err
	}
	to := models.CaseApproved
	if !*f.Approved {
		to = models.CaseReturned
	}
	cs, err = s.store.MoveCase(ctx, cs.ID, to, bson.M{"review_note": strings.TrimSpace(f.Note), "reviewed_by": staffOf(c).ID}, models.CaseSubmitted)
	if err != nil {
		return err
	}
	s.audit(c, "case.review", cs.ID, cs.CountyID, cs.SchoolID, to)
	return c.JSON(http.StatusOK, cs)
}

// featureCase features an accepted case in the current month's list (county or city).
func (s *Server) featureCase(c echo.Context) error {
	if actorOf(c) != models.ActorCounty {
		return errForbidden
	}
	ctx := c.Request().Context()
	cs, err := s.store.CaseInScope(ctx, scopeOf(c), c.Param("id"))
	if err != nil {
		return err
	}
	by := "county"
	if scopeOf(c).Role == models.RoleCity {
		by = "city"
	}
	cs, err = s.store.MoveCase(ctx, cs.ID, models.CaseFeatured, bson.M{"featured_by": by, "feature_month": models.MonthOf(s.now())}, models.CaseApproved)
	if err != nil {
		return err
	}
	s.audit(c, "case.feature", cs.ID, cs.CountyID, cs.SchoolID, by)
	return c.JSON(http.StatusOK, cs)
}
