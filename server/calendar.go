package server

import (
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"kehou/models"
)

// calendarYear parses the :year of a calendar route.
func calendarYear(c echo.Context) (int, error) {
	y, err := strconv.Atoi(c.Param("year"))
	if err != nil || y < 2000 || y > 2100 {
		return 0, models.FieldErrors{"year": "年份应在2000–2100之间"}
	}
	return y, nil
}

// getCalendar shows a year's holidays and worked weekend days (every staff member: counties
// and schools see what their deadlines are counted with).
func (s *Server) getCalendar(c echo.Context) error {
	y, err := calendarYear(c)
	if err != nil {
		return err
	}
	cal, err := s.store.Calendar(c.Request().Context(), y)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, cal)
}

type calendarForm struct {
	Holidays []string `json:"holidays"`
	Workdays []string `json:"workdays"`
}

// putCalendar replaces a year's calendar, as the State Council announces it (city admin only).
// Deadlines already set keep their date; new ones count with it.
func (s *Server) putCalendar(c echo.Context) error {
	if scopeOf(c).Role != models.RoleCity {
		return errForbidden
	}
	y, err := calendarYear(c)
	if err != nil {
		return err
	}
	var f calendarForm
	if err := bind(c, &f); err != nil {
		return err
	}
	cal := models.Calendar{Year: y, Holidays: f.Holidays, Workdays: f.Workdays, UpdatedBy: staffOf(c).ID}
	if err := cal.Validate(); err != nil {
		return err
	}
	if err := s.store.SaveCalendar(c.Request().Context(), &cal); err != nil {
		return err
	}
	s.audit(c, "calendar.update", strconv.Itoa(y), "", "", strconv.Itoa(len(cal.Holidays))+" holidays, "+strconv.Itoa(len(cal.Workdays))+" workdays")
	return c.JSON(http.StatusOK, cal)
}

// addWorkingDays counts n working days from t with the calendars of t's year and the next.
func (s *Server) addWorkingDays(c echo.Context, t time.Time, n int) (time.Time, error) {
	y := t.In(models.Shanghai).Year()
	cals, err := s.store.Calendars(c.Request().Context(), y, y+1)
	if err != nil {
		return time.Time{}, err
	}
	return cals.AddWorkingDays(t, n), nil
}

// validate leaves the checks to models.Calendar.Validate, which knows the year.
func (f *calendarForm) validate() error { return nil }
