package server

import (
	"context"
	"errors"
	"strings"

	"github.com/labstack/echo/v4"

	"kehou/models"
	"kehou/store"
)

const (
	ctxMember = "kehou.member"
	ctxStaff  = "kehou.staff"
	ctxPupils = "kehou.pupils" // the member's children, when the gate read them from the cache
)

func bearer(c echo.Context) string {
	h := c.Request().Header.Get(echo.HeaderAuthorization)
	if t, ok := strings.CutPrefix(h, "Bearer "); ok {
		return strings.TrimSpace(t)
	}
	return ""
}

// requireMember admits a mini-program user with a live session token (see admitMember).
func (s *Server) requireMember(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if err := s.admitMember(c); err != nil {
			return err
		}
		return next(c)
	}
}

// admitMember checks a mini-program request's session token and applies the per-IP and
// per-member limits. When the session is cached, one Redis command (gateScript) does all of it,
// and also reads the member's cached children (kept for myPupils). Otherwise the session is read
// from MongoDB and the member's limit counted on its own.
func (s *Server) admitMember(c echo.Context) error {
	ctx := c.Request().Context()
	token := bearer(c)
	if token == "" {
		if ok, retry := s.allow(ctx, bucketIP, c.RealIP(), s.cfg.RateIPPerMinute); !ok {
			return errRateLimited(retry)
		}
		return errUnauthenticated
	}
	g := s.memberGate(ctx, c.RealIP(), token)
	if g.ipOver {
		return errRateLimited(g.retry)
	}
	m := g.member
	if !g.ok {
		var err error
		if m, err = s.sessionMember(ctx, token); err != nil {
			return err
		}
	}
	if !g.counted {
		ok, retry := s.allow(ctx, bucketSubject, memberPrincipal(m.ID), s.cfg.RateMemberPerMin)
		g.memberOver, g.retry = !ok, retry
	}
	if g.memberOver {
		return errRateLimited(g.retry)
	}
	c.Set(ctxMember, m)
	if g.kidsOK {
		c.Set(ctxPupils, g.kids)
	}
	return nil
}

// sessionMember reads a member's session from MongoDB and caches it.
func (s *Server) sessionMember(ctx context.Context, token string) (models.Member, error) {
	sess, err := s.store.Session(ctx, models.SessionMember, token)
	if errors.Is(err, store.ErrNotFound) {
		return models.Member{}, errUnauthenticated
	}
	if err != nil {
		return models.Member{}, err
	}
	m, err := s.store.Member(ctx, sess.SubjectID)
	if errors.Is(err, store.ErrNotFound) {
		return models.Member{}, errUnauthenticated
	}
	if err != nil {
		return models.Member{}, err
	}
	s.cacheSession(ctx, token, m, sess.ExpiresAt)
	return m, nil
}

// requireStaff admits a staff member with a live session token and an enabled account.
func (s *Server) requireStaff(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx := c.Request().Context()
		token := bearer(c)
		if token == "" {
			return errUnauthenticated
		}
		sess, err := s.store.Session(ctx, models.SessionStaff, token)
		if errors.Is(err, store.ErrNotFound) {
			return errUnauthenticated
		}
		if err != nil {
			return err
		}
		st, err := s.store.Staff(ctx, sess.SubjectID)
		if errors.Is(err, store.ErrNotFound) || (err == nil && st.Disabled) {
			return errUnauthenticated
		}
		if err != nil {
			return err
		}
		c.Set(ctxStaff, st)
		return next(c)
	}
}

func memberOf(c echo.Context) models.Member {
	m, _ := c.Get(ctxMember).(models.Member)
	return m
}

func staffOf(c echo.Context) models.Staff {
	st, _ := c.Get(ctxStaff).(models.Staff)
	return st
}

func scopeOf(c echo.Context) models.Scope { return staffOf(c).Scope() }

func memberPrincipal(id string) string { return "m:" + id }

// principal names who is calling, for rate limits and idempotency keys.
func principal(c echo.Context) string {
	if m := memberOf(c); m.ID != "" {
		return memberPrincipal(m.ID)
	}
	if st := staffOf(c); st.ID != "" {
		return "s:" + st.ID
	}
	return "ip:" + c.RealIP()
}

// audit appends a staff write to the audit log. The write has already happened, so a failure
// here is logged (with the entry, which holds no personal data) rather than failing the request.
func (s *Server) audit(c echo.Context, action, target, countyID, schoolID, detail string) {
	st := staffOf(c)
	e := &models.AuditEntry{StaffID: st.ID, Username: st.Username, Action: action, Target: target,
		CountyID: countyID, SchoolID: schoolID, IP: c.RealIP(), RequestID: requestID(c), Detail: detail}
	if err := s.store.AppendAudit(c.Request().Context(), e); err != nil {
		s.log.Error("audit append failed", "request_id", e.RequestID, "staff", e.Username, "action", action, "target", target, "err", err)
	}
}
