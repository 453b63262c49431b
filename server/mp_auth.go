package server

import (
	"errors"
	"net/http"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"kehou/models"
	"kehou/wechat"
)

type mpLoginForm struct {
	Code string `json:"code"`
}

func (f *mpLoginForm) validate() error {
	fe := models.FieldErrors{}
	if f.Code == "" {
		fe.Add("code", models.MsgRequired)
	} else if utf8.RuneCountInString(f.Code) > 128 {
		fe.Add("code", models.MsgTooLong)
	}
	return fe.Err()
}

type sessionBody struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at,omitzero"`
}

type mpMeBody struct {
	ID       string `json:"id"`
	Nickname string `json:"nickname,omitempty"`
}

type mpLoginBody struct {
	sessionBody
	Member mpMeBody `json:"member"`
}

var errWechatUnavailable = newAPIError(http.StatusServiceUnavailable, "wechat_unavailable", "微信服务暂时不可用，请稍后重试")

// mpLogin exchanges a wx.login code for our own session token. WeChat's session_key is stored
// encrypted with the member and never returned.
func (s *Server) mpLogin(c echo.Context) error {
	var f mpLoginForm
	if err := bind(c, &f); err != nil {
		return err
	}
	ctx := c.Request().Context()
	ws, err := s.wx.Code2Session(ctx, f.Code)
	if err != nil {
		if errors.Is(err, wechat.ErrInvalidCode) {
			return err
		}
		s.log.Warn("code2session failed", "request_id", requestID(c), "retryable", wechat.Retryable(err), "err", err)
		return errWechatUnavailable
	}
	m, err := s.store.UpsertMember(ctx, ws.OpenID, ws.UnionID, ws.SessionKey)
	if err != nil {
		return err
	}
	token, exp, err := s.store.CreateSession(ctx, models.SessionMember, m.ID, s.cfg.MemberSessionTTL)
	if err != nil {
		return err
	}
	s.cacheSession(ctx, token, m, exp)
	return c.JSON(http.StatusOK, mpLoginBody{sessionBody{token, exp}, mpMeBody{m.ID, m.Nickname}})
}

// logout revokes the caller's token (members and staff alike).
func (s *Server) logout(c echo.Context) error {
	// The token is read from the header again rather than kept from the admission: nothing
	// holds a bearer token beyond the request that carries it.
	token := bearer(c)
	ctx := c.Request().Context()
	if err := s.store.DeleteSession(ctx, token); err != nil {
		return err
	}
	if err := s.forgetSession(ctx, token); err != nil {
		// The token is revoked in MongoDB but still cached: refuse rather than pretend.
		s.log.Error("session cache not cleared on logout", "request_id", requestID(c), "err", err)
		return errInternal
	}
	return c.NoContent(http.StatusNoContent)
}

func (s *Server) mpMe(c echo.Context) error {
	m := memberOf(c)
	return c.JSON(http.StatusOK, mpMeBody{m.ID, m.Nickname})
}
