package server

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"kehou/models"
)

// listVolunteers lists the volunteers within scope (?type=teacher…), phones masked.
func (s *Server) listVolunteers(c echo.Context) error {
	pg, err := pageParams(c)
	if err != nil {
		return err
	}
	list, next, err := s.store.Volunteers(c.Request().Context(), scopeOf(c), c.QueryParam("type"), pg)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, listBody[models.Volunteer]{list, next})
}

// volunteerDetail is a profile with its year's hours, for staff.
type volunteerDetail struct {
	models.Volunteer
	Hours myHours `json:"hours"`
}

func (s *Server) getVolunteer(c echo.Context) error {
	v, err := s.store.VolunteerInScope(c.Request().Context(), scopeOf(c), c.Param("id"))
	if err != nil {
		return err
	}
	h, err := s.hoursOf(c, v.ID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, volunteerDetail{v, h})
}

type verifyForm struct {
	Approved *bool  `json:"approved"`
	Note     string `json:"note"`
}

func (f *verifyForm) validate() error {
	fe := models.FieldErrors{}
	if f.Approved == nil {
		fe.Add("approved", models.MsgRequired)
	} else if !*f.Approved {
		fe.CheckText("note", f.Note, 200) // the volunteer reads why
	}
	fe.CheckOptionalText("note", f.Note, 200) // the same limit whatever the decision
	return fe.Err()
}

// verifyCredential records staff's check of a volunteer's credential.
func (s *Server) verifyCredential(c echo.Context) error {
	ctx := c.Request().Context()
	v, err := s.store.VolunteerInScope(ctx, scopeOf(c), c.Param("id"))
	if err != nil {
		return err
	}
	var f verifyForm
	if err := bind(c, &f); err != nil {
		return err
	}
	v, err = s.store.VerifyCredential(ctx, v.ID, c.Param("cid"), *f.Approved, strings.TrimSpace(f.Note), staffOf(c).ID)
	if err != nil {
		return err
	}
	st := scopeOf(c)
	s.audit(c, "volunteer.credential.verify", v.ID, st.CountyID, st.SchoolID, c.Param("cid")+" "+strconv.FormatBool(*f.Approved))
	return c.JSON(http.StatusOK, v)
}

// volunteerHours reports a year's credited hours within scope, grouped ?by=volunteer (default),
// school or county, largest first; ?format=xlsx downloads it.
func (s *Server) volunteerHours(c echo.Context) error {
	year, err := s.yearParam(c)
	if err != nil {
		return err
	}
	by := c.QueryParam("by")
	if by == "" {
		by = "volunteer"
	}
	if by != "volunteer" && by != "school" && by != "county" {
		return models.FieldErrors{"by": "取值应为 volunteer/school/county 之一"}
	}
	ctx := c.Request().Context()
	rows, err := s.store.Hours(ctx, scopeOf(c), year, by)
	if err != nil {
		return err
	}
	if by != "volunteer" {
		names, err := s.placeNames(ctx, scopeOf(c))
		if err != nil {
			return err
		}
		for i := range rows {
			rows[i].Name = names[rows[i].Key]
		}
	}
	if c.QueryParam("format") != "xlsx" {
		return c.JSON(http.StatusOK, map[string]any{"year": year, "by": by, "items": rows})
	}
	head := map[string]string{"volunteer": "志愿者", "school": "学校", "county": "区县"}[by]
	sheet := xlsxSheet{Name: fmt.Sprintf("%d年志愿服务时长", year), Header: []string{"序号", head, "类型", "服务次数", "服务时长（小时）"}}
	for i, r := range rows {
		sheet.Rows = append(sheet.Rows, []string{strconv.Itoa(i + 1), r.Name, models.VolunteerTypeNames[r.Type], strconv.Itoa(r.Shifts), r.Hours})
	}
	s.audit(c, "volunteer.hours.export", by, scopeOf(c).CountyID, scopeOf(c).SchoolID, strconv.Itoa(year))
	return sendXLSX(c, []xlsxSheet{sheet}, fmt.Sprintf("志愿服务时长-%d.xlsx", year))
}

// placeNames maps the ids of the schools and counties within scope to their names, in two
// reads (reports name hundreds of rows).
func (s *Server) placeNames(ctx context.Context, scope models.Scope) (map[string]string, error) {
	schools, err := s.store.SchoolsInScope(ctx, scope)
	if err != nil {
		return nil, err
	}
	counties, err := s.store.Counties(ctx, scope)
	if err != nil {
		return nil, err
	}
	names := make(map[string]string, len(schools)+len(counties))
	for _, sc := range schools {
		names[sc.ID] = sc.Name
	}
	for _, co := range counties {
		names[co.ID] = co.Name
	}
	return names, nil
}

// exportTeacherHours downloads, for a school's evaluations, the yearly volunteering hours of
// its in-service teachers (wherever they served), one row per teacher, phones masked.
func (s *Server) exportTeacherHours(c echo.Context) error {
	ctx := c.Request().Context()
	sc, err := s.store.SchoolInScope(ctx, scopeOf(c), c.Param("id"))
	if err != nil {
		return err
	}
	year, err := s.yearParam(c)
	if err != nil {
		return err
	}
	teachers, err := s.store.TeachersOf(ctx, sc.ID)
	if err != nil {
		return err
	}
	ids := make([]string, len(teachers))
	for i, t := range teachers {
		ids[i] = t.ID
	}
	hours, err := s.store.HoursOfVolunteers(ctx, ids, year)
	if err != nil {
		return err
	}
	sheet := xlsxSheet{Name: fmt.Sprintf("%d年教师志愿服务", year), Header: []string{"序号", "姓名", "手机号", "单位", "服务次数", "服务时长（小时）"}}
	for _, t := range teachers {
		h := hours[t.ID]
		sheet.Rows = append(sheet.Rows, []string{strconv.Itoa(len(sheet.Rows) + 1), t.Name, t.PhoneMasked, t.Organisation,
			strconv.Itoa(h.Shifts), models.Hours(h.Minutes)})
	}
	s.audit(c, "volunteer.teacher_hours.export", sc.ID, sc.CountyID, sc.ID, strconv.Itoa(year))
	return sendXLSX(c, []xlsxSheet{sheet}, fmt.Sprintf("%s-%d年教师志愿服务时长.xlsx", sc.Name, year))
}
