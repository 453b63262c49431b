package server

import (
	"errors"
	"net/http"
	"sync"

	"github.com/labstack/echo/v4"

	"kehou/models"
	"kehou/store"
)

type adminLoginForm struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

func (f *adminLoginForm) validate() error {
	fe := models.FieldErrors{}
	fe.CheckText("username", f.Username, 32)
	if f.Password == "" {
		fe.Add("password", models.MsgRequired)
	} else if len(f.Password) > 256 {
		fe.Add("password", models.MsgTooLong)
	}
	return fe.Err()
}

type staffBody struct {
	ID       string `json:"id"`
	Username string `json:"username"`
	Name     string `json:"name"`
	models.Scope
	Disabled bool `json:"disabled"`
}

func toStaffBody(st models.Staff) staffBody {
	return staffBody{ID: st.ID, Username: st.Username, Name: st.Name, Scope: st.Scope(), Disabled: st.Disabled}
}

type adminLoginBody struct {
	sessionBody
	Staff staffBody `json:"staff"`
}

// dummyHash is compared against when the username does not exist, so that a wrong username
// takes as long as a wrong password and does not reveal which accounts exist.
var dummyHash = sync.OnceValue(func() string {
	h, _ := models.HashPassword("kehou-no-such-user")
	return h
})

// adminLogin checks a staff password. Failures in a row lock the account for a while; the
// per-IP login limit (routes.go) slows guessing across accounts.
func (s *Server) adminLogin(c echo.Context) error {
	var f adminLoginForm
	if err := bind(c, &f); err != nil {
		return err
	}
	ctx := c.Request().Context()
	st, err := s.store.StaffByUsername(ctx, f.Username)
	if errors.Is(err, store.ErrNotFound) {
		models.CheckPassword(f.Password, dummyHash())
		return store.ErrBadLogin
	}
	if err != nil {
		return err
	}
	if st.Locked(s.now()) {
		return s.lockedError(st)
	}
	if !models.CheckPassword(f.Password, st.PasswordHash) || st.Disabled {
		locked, err := s.store.RecordLoginFailure(ctx, st.ID, s.cfg.LoginMaxFailures, s.cfg.LoginLockout)
		if err != nil {
			return err
		}
		if locked {
			c.Set(ctxStaff, st)
			s.audit(c, "auth.locked", st.ID, st.CountyID, st.SchoolID, "")
			return s.lockedError(st)
		}
		return store.ErrBadLogin
	}
	if err := s.store.RecordLoginSuccess(ctx, st.ID); err != nil {
		return err
	}
	token, exp, err := s.store.CreateSession(ctx, models.SessionStaff, st.ID, s.cfg.StaffSessionTTL)
	if err != nil {
		return err
	}
	c.Set(ctxStaff, st)
	s.audit(c, "auth.login", st.ID, st.CountyID, st.SchoolID, "")
	return c.JSON(http.StatusOK, adminLoginBody{sessionBody{token, exp}, toStaffBody(st)})
}

func (s *Server) lockedError(st models.Staff) error {
	ae := *errLocked
	ae.RetryAfter = int(s.cfg.LoginLockout.Seconds())
	if st.Locked(s.now()) {
		ae.RetryAfter = max(1, int(st.LockedUntil.Sub(s.now()).Seconds())+1)
	}
	return &ae
}

var errLocked = newAPIError(http.StatusLocked, "account_locked", "登录失败次数过多，账号已临时锁定，请稍后再试")

func (s *Server) adminMe(c echo.Context) error {
	return c.JSON(http.StatusOK, toStaffBody(staffOf(c)))
}
