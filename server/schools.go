package server

import (
	"errors"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"kehou/models"
	"kehou/store"
)

type schoolForm struct {
	CountyID        string `json:"county_id"`
	Name            string `json:"name"`
	Location        string `json:"location"`
	Stage           string `json:"stage"`
	Address         string `json:"address"`
	Contact         string `json:"contact"`
	Phone           string `json:"phone"`
	RequireBindCode bool   `json:"require_bind_code"`
}

func (f *schoolForm) school() models.School {
	return models.School{CountyID: f.CountyID, Name: f.Name, Location: f.Location, Stage: f.Stage,
		Address: f.Address, Contact: f.Contact, Phone: f.Phone, RequireBindCode: f.RequireBindCode}
}

func (f *schoolForm) validate() error { return f.school().Validate() }

// schoolPatch changes some fields; a school admin may change only contact details and the
// binding-code rule of its own school, while name, county, location and stage belong to the
// county and city.
type schoolPatch struct {
	Name            *string `json:"name"`
	Location        *string `json:"location"`
	Stage           *string `json:"stage"`
	Address         *string `json:"address"`
	Contact         *string `json:"contact"`
	Phone           *string `json:"phone"`
	RequireBindCode *bool   `json:"require_bind_code"`
}

func (p *schoolPatch) validate() error { return nil } // checked on the merged school

func (p *schoolPatch) touchesIdentity() bool {
	return p.Name != nil || p.Location != nil || p.Stage != nil
}

func (p *schoolPatch) apply(sc *models.School) {
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = *v
		}
	}
	set(&sc.Name, p.Name)
	set(&sc.Location, p.Location)
	set(&sc.Stage, p.Stage)
	set(&sc.Address, p.Address)
	set(&sc.Contact, p.Contact)
	set(&sc.Phone, p.Phone)
	if p.RequireBindCode != nil {
		sc.RequireBindCode = *p.RequireBindCode
	}
}

func (s *Server) listSchools(c echo.Context) error {
	p, err := pageParams(c)
	if err != nil {
		return err
	}
	q, err := schoolQuery(c)
	if err != nil {
		return err
	}
	ctx, scope, county := c.Request().Context(), scopeOf(c), c.QueryParam("county_id")
	var (
		list []models.School
		next string
	)
	if q != "" && scope.Role != models.RoleSchool {
		// A name search (the console's school pickers): within the caller's county, or the
		// county asked for when the caller is the city.
		if scope.Role == models.RoleCounty {
			if county != "" && county != scope.CountyID {
				return c.JSON(http.StatusOK, listBody[models.School]{Items: []models.School{}})
			}
			county = scope.CountyID
		}
		list, next, err = s.store.AllSchools(ctx, county, q, p)
	} else {
		list, next, err = s.store.Schools(ctx, scope, county, p)
	}
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, listBody[models.School]{list, next})
}

// schoolQuery is the ?q= of a school list: a part of the name, at most 40 characters.
func schoolQuery(c echo.Context) (string, error) {
	q := strings.TrimSpace(c.QueryParam("q"))
	switch {
	case !utf8.ValidString(q) || strings.ContainsRune(q, 0):
		return "", models.FieldErrors{"q": models.MsgInvalid}
	case utf8.RuneCountInString(q) > 40:
		return "", models.FieldErrors{"q": models.MsgTooLong}
	}
	return q, nil
}

// createSchool: the city anywhere, a county admin in its own county.
func (s *Server) createSchool(c echo.Context) error {
	scope := scopeOf(c)
	if !scope.CanManageSchools() {
		return errForbidden
	}
	var f schoolForm
	if err := bind(c, &f); err != nil {
		return err
	}
	ctx := c.Request().Context()
	if !scope.AllowsCounty(f.CountyID) {
		return models.FieldErrors{"county_id": "区县不存在"}
	}
	if _, err := s.store.County(ctx, f.CountyID); errors.Is(err, store.ErrNotFound) {
		return models.FieldErrors{"county_id": "区县不存在"}
	} else if err != nil {
		return err
	}
	sc := f.school()
	if err := s.store.CreateSchool(ctx, &sc); err != nil {
		return err
	}
	s.audit(c, "school.create", sc.ID, sc.CountyID, sc.ID, sc.Name)
	return c.JSON(http.StatusCreated, sc)
}

func (s *Server) getSchool(c echo.Context) error {
	sc, err := s.store.SchoolInScope(c.Request().Context(), scopeOf(c), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, sc)
}

func (s *Server) updateSchool(c echo.Context) error {
	ctx := c.Request().Context()
	scope := scopeOf(c)
	sc, err := s.store.SchoolInScope(ctx, scope, c.Param("id"))
	if err != nil {
		return err
	}
	var p schoolPatch
	if err := bind(c, &p); err != nil {
		return err
	}
	if p.touchesIdentity() && !scope.CanManageSchools() {
		return errForbidden
	}
	p.apply(&sc)
	if err := sc.Validate(); err != nil {
		return err
	}
	if err := s.store.UpdateSchool(ctx, &sc); err != nil {
		return err
	}
	s.audit(c, "school.update", sc.ID, sc.CountyID, sc.ID, "")
	return c.JSON(http.StatusOK, sc)
}

// mpSchools lets a parent pick the school before binding a child, and a volunteer theirs (any
// signed-in member, with or without children): ?county_id= one county's, ?q= names containing.
func (s *Server) mpSchools(c echo.Context) error {
	p, err := pageParams(c)
	if err != nil {
		return err
	}
	q, err := schoolQuery(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	list, next, err := s.store.AllSchools(ctx, c.QueryParam("county_id"), q, p)
	if err != nil {
		return err
	}
	counties, err := s.store.Counties(ctx, models.Scope{Role: models.RoleCity})
	if err != nil {
		return err
	}
	names := make(map[string]string, len(counties))
	for _, ct := range counties {
		names[ct.ID] = ct.Name
	}
	out := make([]mpSchool, 0, len(list))
	for _, sc := range list {
		out = append(out, mpSchool{sc.ID, sc.CountyID, names[sc.CountyID], sc.Name, sc.Location, sc.RequireBindCode})
	}
	return c.JSON(http.StatusOK, listBody[mpSchool]{out, next})
}

// mpSchool is a school as the mini-program's picker shows it.
type mpSchool struct {
	ID              string `json:"id"`
	CountyID        string `json:"county_id"`
	CountyName      string `json:"county_name"`
	Name            string `json:"name"`
	Location        string `json:"location"` // urban or rural
	RequireBindCode bool   `json:"require_bind_code"`
}

// mpCounty is a county as the mini-program's picker shows it.
type mpCounty struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// mpCounties lists every county by name, for a parent's or a volunteer's picker (a few dozen:
// one page, no next_cursor).
func (s *Server) mpCounties(c echo.Context) error {
	counties, err := s.store.Counties(c.Request().Context(), models.Scope{Role: models.RoleCity})
	if err != nil {
		return err
	}
	out := make([]mpCounty, 0, len(counties))
	for _, ct := range counties {
		out = append(out, mpCounty{ct.ID, ct.Name})
	}
	return c.JSON(http.StatusOK, listBody[mpCounty]{Items: out})
}
