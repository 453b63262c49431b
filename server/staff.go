package server

import (
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"kehou/models"
	"kehou/store"
)

type staffForm struct {
	Username string `json:"username"`
	Name     string `json:"name"`
	Password string `json:"password"`
	Role     string `json:"role"`
	CountyID string `json:"county_id"`
	SchoolID string `json:"school_id"`
}

func (f *staffForm) validate() error {
	f.Username = strings.ToLower(strings.TrimSpace(f.Username))
	return models.ValidateStaff(models.Staff{Username: f.Username, Name: f.Name, Role: f.Role,
		CountyID: f.CountyID, SchoolID: f.SchoolID}, f.Password, true)
}

type staffPatch struct {
	Name     *string `json:"name"`
	Password *string `json:"password"`
	Disabled *bool   `json:"disabled"`
}

func (p *staffPatch) validate() error {
	fe := models.FieldErrors{}
	if p.Name != nil {
		fe.CheckText("name", *p.Name, 40)
	}
	if p.Password != nil {
		if msg := models.PasswordProblem(*p.Password); msg != "" {
			fe.Add("password", msg)
		}
	}
	return fe.Err()
}

// resolveStaffScope fills the county of a school admin from its school and checks that the
// place named exists and lies within the caller's reach.
func (s *Server) resolveStaffScope(c echo.Context, f *staffForm) error {
	ctx := c.Request().Context()
	switch f.Role {
	case models.RoleCity:
		f.CountyID, f.SchoolID = "", ""
	case models.RoleCounty:
		f.SchoolID = ""
		if _, err := s.store.County(ctx, f.CountyID); errors.Is(err, store.ErrNotFound) {
			return models.FieldErrors{"county_id": "区县不存在"}
		} else if err != nil {
			return err
		}
	case models.RoleSchool:
		sc, err := s.store.School(ctx, f.SchoolID)
		if errors.Is(err, store.ErrNotFound) {
			return models.FieldErrors{"school_id": "学校不存在"}
		} else if err != nil {
			return err
		}
		f.CountyID = sc.CountyID
	}
	return nil
}

func (s *Server) listStaff(c echo.Context) error {
	p, err := pageParams(c)
	if err != nil {
		return err
	}
	list, next, err := s.store.StaffList(c.Request().Context(), scopeOf(c), p)
	if err != nil {
		return err
	}
	names := map[string]string{}
	out := make([]staffListItem, 0, len(list))
	for _, st := range list {
		item, err := s.staffItem(c, st, names)
		if err != nil {
			return err
		}
		out = append(out, item)
	}
	return c.JSON(http.StatusOK, listBody[staffListItem]{out, next})
}

// staffListItem is an account as managers see it: a school admin with its school's name, so
// that a list of accounts reads without one look-up per row.
type staffListItem struct {
	staffBody
	SchoolName string `json:"school_name,omitempty"`
}

// staffItem adds the school's name, looked up once per school (names caches them).
func (s *Server) staffItem(c echo.Context, st models.Staff, names map[string]string) (staffListItem, error) {
	item := staffListItem{staffBody: toStaffBody(st)}
	if st.SchoolID == "" {
		return item, nil
	}
	name, ok := names[st.SchoolID]
	if !ok {
		sc, err := s.store.School(c.Request().Context(), st.SchoolID)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return item, err
		}
		name = sc.Name
		names[st.SchoolID] = name
	}
	item.SchoolName = name
	return item, nil
}

// createStaff: the city creates anyone; a county admin creates school admins of its county.
func (s *Server) createStaff(c echo.Context) error {
	var f staffForm
	if err := bind(c, &f); err != nil {
		return err
	}
	if err := s.resolveStaffScope(c, &f); err != nil {
		return err
	}
	target := models.Scope{Role: f.Role, CountyID: f.CountyID, SchoolID: f.SchoolID}
	if !scopeOf(c).CanManageStaff(target) {
		return errForbidden
	}
	hash, err := models.HashPassword(f.Password)
	if err != nil {
		return err
	}
	st := models.Staff{Username: f.Username, Name: strings.TrimSpace(f.Name), PasswordHash: hash,
		Role: f.Role, CountyID: f.CountyID, SchoolID: f.SchoolID}
	if err := s.store.CreateStaff(c.Request().Context(), &st); err != nil {
		return err
	}
	s.audit(c, "staff.create", st.ID, st.CountyID, st.SchoolID, st.Username+" "+st.Role)
	item, err := s.staffItem(c, st, map[string]string{})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, item)
}

// staffInScope returns an account the caller may see: within its scope, or itself.
func (s *Server) staffInScope(c echo.Context, id string) (models.Staff, error) {
	st, err := s.store.Staff(c.Request().Context(), id)
	if err != nil {
		return st, err
	}
	me := staffOf(c)
	sc := st.Scope()
	// Visible: oneself, anyone one manages, and (as in the staff list) colleagues of one's own
	// county or school.
	visible := st.ID == me.ID || me.Scope().CanManageStaff(sc) ||
		(sc.Role == models.RoleSchool && me.Scope().AllowsSchool(sc.SchoolID, sc.CountyID)) ||
		(me.Role == models.RoleCounty && sc.CountyID == me.CountyID)
	if !visible {
		return models.Staff{}, store.ErrNotFound
	}
	return st, nil
}

func (s *Server) getStaff(c echo.Context) error {
	st, err := s.staffInScope(c, c.Param("id"))
	if err != nil {
		return err
	}
	item, err := s.staffItem(c, st, map[string]string{})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, item)
}

// updateStaff renames, resets the password of, or disables an account below the caller; anyone
// may change their own name and password but not disable themselves. Disabling or a new password
// ends the account's sessions.
func (s *Server) updateStaff(c echo.Context) error {
	st, err := s.staffInScope(c, c.Param("id"))
	if err != nil {
		return err
	}
	var p staffPatch
	if err := bind(c, &p); err != nil {
		return err
	}
	me := staffOf(c)
	self := st.ID == me.ID
	if !self && !me.Scope().CanManageStaff(st.Scope()) {
		return errForbidden
	}
	if self && p.Disabled != nil && *p.Disabled {
		return models.FieldErrors{"disabled": "不能停用自己的账号"}
	}
	if self && p.Password != nil {
		// One's own password changes only with the current one (POST /admin/me/password), so
		// that a session left open on a shared office computer cannot take the account over.
		return models.FieldErrors{"password": "修改自己的密码须提供当前密码，请使用“修改密码”"}
	}
	name, disabled, hash := st.Name, st.Disabled, ""
	if p.Name != nil {
		name = strings.TrimSpace(*p.Name)
	}
	if p.Disabled != nil {
		disabled = *p.Disabled
	}
	if p.Password != nil {
		if hash, err = models.HashPassword(*p.Password); err != nil {
			return err
		}
	}
	ctx := c.Request().Context()
	if err := s.store.UpdateStaff(ctx, st.ID, name, disabled, hash); err != nil {
		return err
	}
	if disabled || hash != "" {
		if err := s.store.DeleteSessionsOf(ctx, st.ID); err != nil {
			return err
		}
	}
	s.audit(c, "staff.update", st.ID, st.CountyID, st.SchoolID, changed(p))
	st.Name, st.Disabled = name, disabled
	item, err := s.staffItem(c, st, map[string]string{})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, item)
}

func changed(p staffPatch) string {
	var parts []string
	if p.Name != nil {
		parts = append(parts, "name")
	}
	if p.Password != nil {
		parts = append(parts, "password")
	}
	if p.Disabled != nil {
		parts = append(parts, "disabled")
	}
	return strings.Join(parts, ",")
}

type passwordForm struct {
	CurrentPassword string `json:"current_password"`
	NewPassword     string `json:"new_password"`
}

func (f *passwordForm) validate() error {
	fe := models.FieldErrors{}
	if f.CurrentPassword == "" {
		fe.Add("current_password", models.MsgRequired)
	}
	if msg := models.PasswordProblem(f.NewPassword); msg != "" {
		fe.Add("new_password", msg)
	} else if f.NewPassword == f.CurrentPassword {
		fe.Add("new_password", "新密码不能与当前密码相同")
	}
	return fe.Err()
}

// changeMyPassword changes the caller's own password given the current one. A wrong current
// password is a field error (the session stays valid) and counts against the login rate limit
// of the route. Every session of the account ends, this one too: the client signs in again.
func (s *Server) changeMyPassword(c echo.Context) error {
	var f passwordForm
	if err := bind(c, &f); err != nil {
		return err
	}
	me := staffOf(c)
	if !models.CheckPassword(f.CurrentPassword, me.PasswordHash) {
		return models.FieldErrors{"current_password": "当前密码不正确"}
	}
	hash, err := models.HashPassword(f.NewPassword)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	if err := s.store.UpdateStaff(ctx, me.ID, me.Name, me.Disabled, hash); err != nil {
		return err
	}
	if err := s.store.DeleteSessionsOf(ctx, me.ID); err != nil {
		return err
	}
	s.audit(c, "staff.password", me.ID, me.CountyID, me.SchoolID, "own")
	return c.NoContent(http.StatusNoContent)
}
