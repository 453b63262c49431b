package server

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"kehou/models"
)

type countyForm struct {
	Name string `json:"name"`
}

func (f *countyForm) validate() error {
	f.Name = strings.TrimSpace(f.Name)
	return models.County{Name: f.Name}.Validate()
}

func (s *Server) listCounties(c echo.Context) error {
	list, err := s.store.Counties(c.Request().Context(), scopeOf(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, listBody[models.County]{Items: list})
}

// createCounty is for the city administrator only.
func (s *Server) createCounty(c echo.Context) error {
	if scopeOf(c).Role != models.RoleCity {
		return errForbidden
	}
	var f countyForm
	if err := bind(c, &f); err != nil {
		return err
	}
	county := models.County{Name: f.Name}
	if err := s.store.CreateCounty(c.Request().Context(), &county); err != nil {
		return err
	}
	s.audit(c, "county.create", county.ID, county.ID, "", county.Name)
	return c.JSON(http.StatusCreated, county)
}

func (s *Server) getCounty(c echo.Context) error {
	id := c.Param("id")
	if !scopeOf(c).AllowsCounty(id) {
		return errNotFound
	}
	county, err := s.store.County(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, county)
}

func (s *Server) updateCounty(c echo.Context) error {
	id := c.Param("id")
	scope := scopeOf(c)
	if !scope.AllowsCounty(id) {
		return errNotFound
	}
	if scope.Role != models.RoleCity {
		return errForbidden
	}
	var f countyForm
	if err := bind(c, &f); err != nil {
		return err
	}
	ctx := c.Request().Context()
	if err := s.store.RenameCounty(ctx, id, f.Name); err != nil {
		return err
	}
	s.audit(c, "county.update", id, id, "", f.Name)
	county, err := s.store.County(ctx, id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, county)
}
