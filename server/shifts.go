package server

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"kehou/jobs"
	"kehou/models"
	"kehou/store"
)

// shiftForm creates a volunteer shift of a programme.
type shiftForm struct {
	Role        string     `json:"role"`
	Description string     `json:"description"`
	StartsAt    time.Time  `json:"starts_at,omitzero"`
	EndsAt      time.Time  `json:"ends_at,omitzero"`
	Needed      int        `json:"needed"`
	Types       []string   `json:"types"`
	Credentials []string   `json:"credentials"`
	Deadline    *time.Time `json:"deadline,omitzero"` // default: a day before the shift starts
}

func (f *shiftForm) validate() error { return nil } // checked on the shift

func (s *Server) createShift(c echo.Context) error {
	ctx := c.Request().Context()
	p, err := s.store.ProgrammeInScope(ctx, scopeOf(c), c.Param("id"))
	if err != nil {
		return err
	}
	var f shiftForm
	if err := bind(c, &f); err != nil {
		return err
	}
	sh := models.Shift{ProgrammeID: p.ID, SchoolID: p.SchoolID, CountyID: p.CountyID, Sender: p.Sender, Role: strings.TrimSpace(f.Role),
		Description: strings.TrimSpace(f.Description), StartsAt: f.StartsAt.UTC(), EndsAt: f.EndsAt.UTC(), Needed: f.Needed,
		Types: f.Types, Credentials: f.Credentials, Deadline: f.StartsAt.UTC().Add(-24 * time.Hour)}
	if f.Deadline != nil {
		sh.Deadline = f.Deadline.UTC()
	}
	if err := sh.Validate(p); err != nil {
		return err
	}
	if p.Status == models.EventCancelled {
		return newAPIError(http.StatusConflict, "event_state", "托管项目已取消")
	}
	if err := s.store.CreateShift(ctx, &sh); err != nil {
		return err
	}
	s.audit(c, "shift.create", sh.ID, sh.CountyID, sh.SchoolID, sh.Role)
	return c.JSON(http.StatusCreated, sh)
}

// listShifts lists a programme's shifts with the numbers approved.
func (s *Server) listShifts(c echo.Context) error {
	ctx := c.Request().Context()
	p, err := s.store.ProgrammeInScope(ctx, scopeOf(c), c.Param("id"))
	if err != nil {
		return err
	}
	list, err := s.store.ShiftsOf(ctx, p.ID)
	if err != nil {
		return err
	}
	if list == nil {
		list = []models.Shift{}
	}
	return c.JSON(http.StatusOK, listBody[models.Shift]{Items: list})
}

type reasonForm struct {
	Reason string `json:"reason"`
}

func (f *reasonForm) validate() error {
	fe := models.FieldErrors{}
	fe.CheckText("reason", f.Reason, 200)
	return fe.Err()
}

// cancelShift cancels a shift; every volunteer who applied is told, with the reason.
func (s *Server) cancelShift(c echo.Context) error {
	ctx := c.Request().Context()
	sh, err := s.store.ShiftInScope(ctx, scopeOf(c), c.Param("id"))
	if err != nil {
		return err
	}
	var f reasonForm
	if err := bind(c, &f); err != nil {
		return err
	}
	reason := "班次已取消：" + strings.TrimSpace(f.Reason)
	ended, err := s.store.CancelShift(ctx, sh.ID, reason, staffOf(c).ID)
	if err != nil {
		return err
	}
	s.audit(c, "shift.cancel", sh.ID, sh.CountyID, sh.SchoolID, f.Reason)
	if len(ended) > 0 {
		ids := make([]string, len(ended))
		for i, a := range ended {
			ids[i] = a.VolunteerID
		}
		n := jobs.VolunteerNotice(sh, staffOf(c).ID, ids, "志愿服务班次取消", "您报名的“"+jobs.ShiftLabel(sh)+"”"+reason+"。感谢您的支持。", true)
		if err := s.sendNotice(c, n); err != nil {
			return err
		}
	}
	sh, err = s.store.Shift(ctx, sh.ID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, sh)
}

// shiftApplications lists a shift's applications (?status=pending…), with attendance.
func (s *Server) shiftApplications(c echo.Context) error {
	ctx := c.Request().Context()
	sh, err := s.store.ShiftInScope(ctx, scopeOf(c), c.Param("id"))
	if err != nil {
		return err
	}
	pg, err := pageParams(c)
	if err != nil {
		return err
	}
	list, next, err := s.store.Applications(ctx, store.ApplicationFilter{ShiftID: sh.ID, Status: c.QueryParam("status")}, pg)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, listBody[models.Application]{list, next})
}

// applicationInScope reads an application of a school within the caller's scope.
func (s *Server) applicationInScope(c echo.Context) (models.Application, error) {
	a, err := s.store.Application(c.Request().Context(), c.Param("id"))
	if err != nil {
		return a, err
	}
	if !scopeOf(c).AllowsSchool(a.SchoolID, a.CountyID) {
		return models.Application{}, errNotFound
	}
	return a, nil
}

// approveApplication gives an application one of the shift's places (409 shift_full when
// none is left); the volunteer is told.
func (s *Server) approveApplication(c echo.Context) error {
	ctx := c.Request().Context()
	a, err := s.applicationInScope(c)
	if err != nil {
		return err
	}
	sh, err := s.store.Shift(ctx, a.ShiftID)
	if err != nil {
		return err
	}
	if sh.Cancelled {
		return newAPIError(http.StatusConflict, "event_state", "班次已取消")
	}
	// Credentials may have expired or been rejected since the application.
	if v, err := s.store.Volunteer(ctx, a.VolunteerID); err != nil {
		return err
	} else if why := sh.Refuses(v); why != "" {
		return newAPIError(http.StatusUnprocessableEntity, "not_eligible", why)
	}
	was := a.Status
	a, err = s.store.Approve(ctx, a.ID, staffOf(c).ID)
	if err != nil {
		return err
	}
	if was != models.ApplicationApproved {
		s.audit(c, "application.approve", a.ID, a.CountyID, a.SchoolID, a.VolunteerName)
		n := jobs.VolunteerNotice(sh, staffOf(c).ID, []string{a.VolunteerID}, "志愿服务报名已通过",
			"您报名的“"+jobs.ShiftLabel(sh)+"”（"+sh.Sender+"）已通过审核，请准时到岗，签到时出示小程序中的签到码。", false)
		if err := s.sendNotice(c, n); err != nil {
			return err
		}
	}
	return c.JSON(http.StatusOK, a)
}

// rejectApplication refuses an application (or revokes an approval before attendance) with a
// reason the volunteer is told.
func (s *Server) rejectApplication(c echo.Context) error {
	ctx := c.Request().Context()
	a, err := s.applicationInScope(c)
	if err != nil {
		return err
	}
	var f reasonForm
	if err := bind(c, &f); err != nil {
		return err
	}
	reason := strings.TrimSpace(f.Reason)
	a, changed, err := s.store.Reject(ctx, a.ID, reason, staffOf(c).ID)
	if err != nil {
		return err
	}
	if !changed {
		if a.Status == models.ApplicationRejected {
			return c.JSON(http.StatusOK, a)
		}
		return store.ErrApplicationState
	}
	s.audit(c, "application.reject", a.ID, a.CountyID, a.SchoolID, reason)
	sh, err := s.store.Shift(ctx, a.ShiftID)
	if err != nil {
		return err
	}
	n := jobs.VolunteerNotice(sh, staffOf(c).ID, []string{a.VolunteerID}, "志愿服务报名未通过",
		"您报名的“"+jobs.ShiftLabel(sh)+"”（"+sh.Sender+"）未通过审核。原因："+reason, false)
	if err := s.sendNotice(c, n); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, a)
}

// Attendance actions.
const (
	actionCheckIn  = models.AttendanceCheckIn
	actionCheckOut = models.AttendanceCheckOut
)

type attendanceForm struct {
	Token  string     `json:"token"`       // scanning: the volunteer's code
	Action string     `json:"action"`      // check_in or check_out
	At     *time.Time `json:"at,omitzero"` // on the volunteer's behalf: when (default now)
}

func (f *attendanceForm) validate() error {
	fe := models.FieldErrors{}
	fe.CheckEnum("action", f.Action, models.AttendanceActionEnum)
	return fe.Err()
}

// scanAttendance checks a volunteer in or out by the code in the mini-program, scanned at the
// school: only the shift's own school may, and only while the code is valid.
func (s *Server) scanAttendance(c echo.Context) error {
	var f attendanceForm
	if err := bind(c, &f); err != nil {
		return err
	}
	if strings.TrimSpace(f.Token) == "" {
		return models.FieldErrors{"token": models.MsgRequired}
	}
	if f.At != nil {
		return models.FieldErrors{"at": "扫码签到使用当前时间"}
	}
	t, err := models.ParseCheckinToken(s.store.Sealer().TokenKey(), f.Token, s.now())
	switch {
	case errors.Is(err, models.ErrTokenExpired):
		return newAPIError(http.StatusUnprocessableEntity, "checkin_expired", "签到码已过期")
	case err != nil || t.Kind != models.TokenShift:
		return newAPIError(http.StatusUnprocessableEntity, "checkin_invalid", "签到码无效")
	}
	a, err := s.store.Application(c.Request().Context(), t.SignUpID)
	if err != nil {
		return err
	}
	if a.ShiftID != t.EventID || a.SchoolID != t.SchoolID || !scopeOf(c).AllowsSchool(a.SchoolID, a.CountyID) {
		return newAPIError(http.StatusUnprocessableEntity, "checkin_other_school", "这不是本校班次的签到码")
	}
	return s.attend(c, a, f.Action, s.now())
}

// recordAttendance checks a volunteer in or out on their behalf (a forgotten phone), at the
// time given or now.
func (s *Server) recordAttendance(c echo.Context) error {
	a, err := s.applicationInScope(c)
	if err != nil {
		return err
	}
	var f attendanceForm
	if err := bind(c, &f); err != nil {
		return err
	}
	if f.Token != "" {
		return models.FieldErrors{"token": "代签不需要签到码"}
	}
	at := s.now()
	if f.At != nil {
		at = f.At.UTC()
		if at.After(s.now().Add(time.Minute)) {
			return models.FieldErrors{"at": "不能晚于当前时间"}
		}
	}
	return s.attend(c, a, f.Action, at)
}

func (s *Server) attend(c echo.Context, a models.Application, action string, at time.Time) error {
	ctx := c.Request().Context()
	if a.Status != models.ApplicationApproved {
		return newAPIError(http.StatusConflict, "checkin_not_confirmed", "该报名未通过审核或已取消")
	}
	switch action {
	case actionCheckIn:
		if at.Before(a.StartsAt.Add(-2*time.Hour)) || at.After(a.EndsAt) {
			return newAPIError(http.StatusConflict, "checkin_window", "不在该班次的签到时间内")
		}
		ok, err := s.store.ShiftCheckIn(ctx, a.ID, at)
		if err != nil {
			return err
		}
		if !ok {
			return newAPIError(http.StatusConflict, "already_checked_in", "已签到，不能重复签到")
		}
	case actionCheckOut:
		if a.CheckedInAt.IsZero() {
			return newAPIError(http.StatusConflict, "not_checked_in", "尚未签到，不能签退")
		}
		_, ok, err := s.store.ShiftCheckOut(ctx, a.ID, at)
		if err != nil {
			return err
		}
		if !ok {
			return newAPIError(http.StatusConflict, "already_checked_out", "已签退，如需调整时长请更正服务时长")
		}
	}
	s.audit(c, "shift."+action, a.ID, a.CountyID, a.SchoolID, a.VolunteerName)
	a, err := s.store.Application(ctx, a.ID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, s.myApplicationOf(a))
}

type hoursForm struct {
	Minutes *int   `json:"minutes"`
	Reason  string `json:"reason"`
}

func (f *hoursForm) validate() error {
	fe := models.FieldErrors{}
	if f.Minutes == nil {
		fe.Add("minutes", models.MsgRequired)
	} else if *f.Minutes < 0 || *f.Minutes > models.MaxShiftHours*60 {
		fe.Add("minutes", "服务时长应为0–720分钟")
	}
	fe.CheckText("reason", f.Reason, 200)
	return fe.Err()
}

// correctHours sets the minutes credited for a shift, with a reason; the correction is kept on
// the application and in the audit log.
func (s *Server) correctHours(c echo.Context) error {
	a, err := s.applicationInScope(c)
	if err != nil {
		return err
	}
	var f hoursForm
	if err := bind(c, &f); err != nil {
		return err
	}
	if *f.Minutes > int(a.EndsAt.Sub(a.StartsAt)/time.Minute)+4*60 {
		return models.FieldErrors{"minutes": "更正后的时长明显超出班次时长"}
	}
	from := a.Minutes
	a, err = s.store.CorrectHours(c.Request().Context(), a.ID, *f.Minutes, strings.TrimSpace(f.Reason), staffOf(c).ID)
	if err != nil {
		return err
	}
	s.audit(c, "shift.hours.correct", a.ID, a.CountyID, a.SchoolID, models.Hours(from)+"→"+models.Hours(a.Minutes)+"h: "+strings.TrimSpace(f.Reason))
	return c.JSON(http.StatusOK, correctedApplication{Application: a, Hours: models.Hours(a.Minutes)})
}

// correctedApplication is an application after a correction, with the hours now credited as
// staff read them ("2.5"), beside the minutes.
type correctedApplication struct {
	models.Application
	Hours string `json:"hours"`
}
