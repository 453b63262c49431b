package server

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"kehou/models"
	"kehou/store"
)

type credentialForm struct {
	ID      string `json:"id"` // keep an existing credential (and its verification if unchanged)
	Kind    string `json:"kind"`
	Number  string `json:"number"`
	Expires string `json:"expires"` // valid until this day, inclusive: 2028-06-30
}

// volunteerForm is a volunteer's whole profile.
type volunteerForm struct {
	Name         string           `json:"name"`
	Phone        string           `json:"phone"`
	Type         string           `json:"type"`
	Organisation string           `json:"organisation"`
	SchoolID     string           `json:"school_id"`
	CountyID     string           `json:"county_id"`
	Skills       []string         `json:"skills"`
	Credentials  []credentialForm `json:"credentials"`
}

func (f *volunteerForm) validate() error { return nil } // checked on the profile

// myVolunteer reads the caller's volunteer profile.
func (s *Server) myVolunteer(c echo.Context) error {
	v, err := s.store.Volunteer(c.Request().Context(), memberOf(c).ID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, v)
}

// saveMyVolunteer creates or replaces the caller's volunteer profile. The phone is stored
// encrypted and answered masked; changed credentials wait for staff to verify them again.
func (s *Server) saveMyVolunteer(c echo.Context) error {
	var f volunteerForm
	if err := bind(c, &f); err != nil {
		return err
	}
	v := models.Volunteer{ID: memberOf(c).ID, Name: strings.TrimSpace(f.Name), Type: f.Type, Organisation: strings.TrimSpace(f.Organisation),
		SchoolID: f.SchoolID, CountyID: f.CountyID, Skills: []string{}}
	for _, sk := range f.Skills {
		v.Skills = append(v.Skills, strings.TrimSpace(sk))
	}
	fe := models.FieldErrors{}
	for i, cf := range f.Credentials {
		exp, ok := models.ParseDay(cf.Expires)
		if !ok && cf.Expires != "" {
			fe.Add(fmt.Sprintf("credentials[%d].expires", i), "应为日期，如 2028-06-30")
		}
		if ok {
			exp = exp.AddDate(0, 0, 1) // valid through the day given
		}
		v.Credentials = append(v.Credentials, models.Credential{ID: cf.ID, Kind: cf.Kind, Number: strings.TrimSpace(cf.Number), Expires: models.Day{Time: exp}})
	}
	if err := v.Validate(f.Phone); err != nil {
		for k, m := range err.(models.FieldErrors) {
			fe.Add(k, m)
		}
	}
	ctx := c.Request().Context()
	if v.CountyID != "" {
		if _, err := s.store.County(ctx, v.CountyID); errors.Is(err, store.ErrNotFound) {
			fe.Add("county_id", "没有该区县")
		} else if err != nil {
			return err
		}
	}
	if v.SchoolID != "" {
		if _, err := s.store.School(ctx, v.SchoolID); errors.Is(err, store.ErrNotFound) {
			fe.Add("school_id", "没有该学校")
		} else if err != nil {
			return err
		}
	}
	if err := fe.Err(); err != nil {
		return err
	}
	saved, err := s.store.SaveVolunteer(ctx, v, f.Phone)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, saved)
}

// mpShift is an open shift as a volunteer sees it.
type mpShift struct {
	models.Shift
	Full        bool   `json:"full"`
	Refusal     string `json:"refusal,omitempty"`     // why the caller may not apply ("" when they may)
	Application string `json:"application,omitempty"` // the caller's active application
	Status      string `json:"status,omitempty"`      // its status
}

// mpShifts lists the shifts open for applications, with whether the caller may apply: in the
// county of ?county_id=, else the caller's county (?area=city: the whole city). Anyone signed in
// may browse before creating a volunteer profile: without one the list covers the whole city
// (or ?county_id=) and every shift's refusal says a profile is needed first.
func (s *Server) mpShifts(c echo.Context) error {
	ctx := c.Request().Context()
	v, err := s.store.Volunteer(ctx, memberOf(c).ID)
	profile := err == nil
	if err != nil && !errors.Is(err, store.ErrNoVolunteer) {
		return err
	}
	var counties []string
	switch {
	case c.QueryParam("county_id") != "":
		counties = []string{c.QueryParam("county_id")}
	case profile && c.QueryParam("area") != "city":
		counties = []string{v.CountyID}
	}
	progs, err := s.store.ProgrammesOfCounties(ctx, s.now(), counties)
	if err != nil {
		return err
	}
	out := []mpShift{}
	if len(progs) == 0 {
		return c.JSON(http.StatusOK, listBody[mpShift]{Items: out})
	}
	ids := make([]string, len(progs))
	for i, p := range progs {
		ids[i] = p.ID
	}
	shifts, err := s.store.ShiftsOf(ctx, ids...)
	if err != nil {
		return err
	}
	var mine []models.Application
	if profile {
		if mine, err = s.store.ApplicationsOf(ctx, v.ID, 0); err != nil {
			return err
		}
	}
	now := s.now()
	for _, sh := range shifts {
		if sh.Cancelled || !now.Before(sh.Deadline) {
			continue
		}
		ms := mpShift{Shift: sh, Full: sh.Approved >= sh.Needed, Refusal: msgNoVolunteerProfile}
		if profile {
			ms.Refusal = sh.Refuses(v)
		}
		for _, a := range mine {
			if a.ShiftID == sh.ID && a.Active == "" {
				ms.Application, ms.Status = a.ID, a.Status
			}
		}
		out = append(out, ms)
	}
	return c.JSON(http.StatusOK, listBody[mpShift]{Items: out})
}

// apply applies for a shift: pending until the school decides. The shift must be open, accept
// the caller's type and find the credentials it needs verified and valid; a shift overlapping
// one the caller applied for or holds is refused. Applying again returns the same application.
func (s *Server) apply(c echo.Context) error {
	ctx := c.Request().Context()
	v, err := s.store.Volunteer(ctx, memberOf(c).ID)
	if errors.Is(err, store.ErrNoVolunteer) {
		return errNoVolunteerProfile
	}
	if err != nil {
		return err
	}
	sh, err := s.store.Shift(ctx, c.Param("id"))
	if err != nil {
		return err
	}
	p, err := s.store.Programme(ctx, sh.ProgrammeID)
	if err != nil {
		return err
	}
	switch {
	case p.Status != models.EventPublished || sh.Cancelled:
		return errNotFound
	case !s.now().Before(sh.Deadline):
		return newAPIError(http.StatusConflict, "signup_closed", "该班次报名已截止")
	}
	if why := sh.Refuses(v); why != "" {
		return newAPIError(http.StatusUnprocessableEntity, "not_eligible", why)
	}
	a, created, err := s.store.Apply(ctx, v, sh)
	if err != nil {
		return err
	}
	status := http.StatusCreated
	if !created {
		status = http.StatusOK
	}
	return c.JSON(status, s.myApplicationOf(a))
}

// myApplication is an application as its volunteer sees it, with the attendance code once
// approved.
type myApplication struct {
	models.Application
	Hours        string `json:"hours"`
	CheckinToken string `json:"checkin_token,omitempty"`
	Message      string `json:"message"`
}

func (s *Server) myApplicationOf(a models.Application) myApplication {
	out := myApplication{Application: a, Hours: models.Hours(a.Minutes)}
	switch a.Status {
	case models.ApplicationPending:
		out.Message = "已报名，等待学校审核。"
	case models.ApplicationApproved:
		out.Message = "学校已通过您的报名。到岗签到、离岗签退时请出示签到码。"
		out.CheckinToken = models.CheckinToken{Kind: models.TokenShift, SignUpID: a.ID, EventID: a.ShiftID, SchoolID: a.SchoolID,
			Expires: a.EndsAt.Add(12 * time.Hour)}.Sign(s.store.Sealer().TokenKey())
	case models.ApplicationRejected:
		out.Message = "未通过：" + a.Reason
	case models.ApplicationWithdrawn:
		out.Message = "已取消报名。"
	}
	return out
}

// myApplications lists the caller's applications (with attendance codes).
func (s *Server) myApplications(c echo.Context) error {
	list, err := s.store.ApplicationsOf(c.Request().Context(), memberOf(c).ID, 0)
	if err != nil {
		return err
	}
	out := make([]myApplication, len(list))
	for i, a := range list {
		out[i] = s.myApplicationOf(a)
	}
	return c.JSON(http.StatusOK, listBody[myApplication]{Items: out})
}

// withdraw withdraws the caller's application until the shift's deadline.
func (s *Server) withdraw(c echo.Context) error {
	ctx := c.Request().Context()
	a, err := s.store.Application(ctx, c.Param("id"))
	if err != nil {
		return err
	}
	if a.VolunteerID != memberOf(c).ID {
		return errNotFound
	}
	if a.Active != "" {
		return c.JSON(http.StatusOK, s.myApplicationOf(a))
	}
	sh, err := s.store.Shift(ctx, a.ShiftID)
	if err != nil {
		return err
	}
	if !s.now().Before(sh.Deadline) {
		return newAPIError(http.StatusConflict, "cancel_closed", "已过取消截止时间，如需调整请联系学校")
	}
	a, _, err = s.store.Withdraw(ctx, a.ID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, s.myApplicationOf(a))
}

// yearParam reads ?year= (default: this year in Shanghai).
func (s *Server) yearParam(c echo.Context) (int, error) {
	y := s.now().In(models.Shanghai).Year()
	if q := c.QueryParam("year"); q != "" {
		n, err := strconv.Atoi(q)
		if err != nil || n < 2000 || n > 2100 {
			return 0, models.FieldErrors{"year": "应为年份，如 2026"}
		}
		y = n
	}
	return y, nil
}

// myHours is a volunteer's record of a year: the total and each shift worked (items: a list,
// like every list of the API; all of a year's shifts, so never a next_cursor).
type myHours struct {
	Year    int             `json:"year"`
	Minutes int             `json:"minutes"`
	Hours   string          `json:"hours"`
	Items   []myApplication `json:"items"`
}

func (s *Server) hoursOf(c echo.Context, volunteerID string) (myHours, error) {
	year, err := s.yearParam(c)
	if err != nil {
		return myHours{}, err
	}
	list, err := s.store.ApplicationsOf(c.Request().Context(), volunteerID, year)
	if err != nil {
		return myHours{}, err
	}
	out := myHours{Year: year, Items: []myApplication{}}
	for _, a := range list {
		if a.Status == models.ApplicationApproved && a.Minutes > 0 {
			out.Minutes += a.Minutes
			out.Items = append(out.Items, s.myApplicationOf(a))
		}
	}
	out.Hours = models.Hours(out.Minutes)
	return out, nil
}

// myVolunteerHours shows the caller's hours of a year.
func (s *Server) myVolunteerHours(c echo.Context) error {
	h, err := s.hoursOf(c, memberOf(c).ID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, h)
}

// myCertificate downloads the caller's certificate of service for a year (XLSX, printable):
// who, what type, each shift with school, role, date and hours, and the total.
func (s *Server) myCertificate(c echo.Context) error {
	ctx := c.Request().Context()
	v, err := s.store.Volunteer(ctx, memberOf(c).ID)
	if err != nil {
		return err
	}
	h, err := s.hoursOf(c, v.ID)
	if err != nil {
		return err
	}
	sheet := xlsxSheet{Name: "志愿服务证明", Header: []string{"序号", "服务学校", "岗位", "日期", "时间", "服务时长（小时）"}}
	names := map[string]string{}
	for _, a := range h.Items {
		if _, ok := names[a.SchoolID]; !ok {
			sc, err := s.store.School(ctx, a.SchoolID)
			if err != nil {
				return err
			}
			names[a.SchoolID] = sc.Name
		}
		start := a.StartsAt.In(models.Shanghai)
		sheet.Rows = append(sheet.Rows, []string{strconv.Itoa(len(sheet.Rows) + 1), names[a.SchoolID], a.Role, start.Format("2006-01-02"),
			start.Format("15:04") + "–" + a.EndsAt.In(models.Shanghai).Format("15:04"), a.Hours})
	}
	sheet.Rows = append(sheet.Rows,
		[]string{"合计", "", "", "", "", h.Hours},
		[]string{},
		[]string{fmt.Sprintf("兹证明%s（%s，%s）于%d年参加暑期托管志愿服务%d次，累计服务%s小时。", v.Name,
			models.VolunteerTypeNames[v.Type], v.Organisation, h.Year, len(h.Items), h.Hours)},
		[]string{"出具日期：" + s.now().In(models.Shanghai).Format("2006年1月2日")})
	return sendXLSX(c, []xlsxSheet{sheet}, fmt.Sprintf("志愿服务证明-%d.xlsx", h.Year))
}
