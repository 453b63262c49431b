package server

import (
	"net/http"

	"github.com/labstack/echo/v4"
	qrcode "github.com/skip2/go-qrcode"

	"kehou/models"
)

// QR images of the codes a parent or volunteer holds, for the mini-program to show at the door:
// an open-day sign-up's check-in code and a volunteer's attendance code. (A summer-care
// enrolment carries no code.) Each is personal: only its family or volunteer may fetch it
// (anyone else gets 404, as for the sign-up itself), and it is never cached.

// qrSize is the image's width and height in pixels: readable by a phone held at arm's length.
const qrSize = 320

// sendQR answers text as a PNG QR code that no cache may keep.
func sendQR(c echo.Context, text string) error {
	png, err := qrcode.Encode(text, qrcode.Medium, qrSize)
	if err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set(echo.HeaderCacheControl, "no-store")
	h.Set("Pragma", "no-cache")
	return c.Blob(http.StatusOK, "image/png", png)
}

// signUpQR shows a confirmed open-day sign-up's check-in code as a QR image.
func (s *Server) signUpQR(c echo.Context) error {
	su, err := s.mySignUpOfKind(c, c.Param("id"), "")
	if err != nil {
		return err
	}
	e, err := s.store.Event(c.Request().Context(), su.OwnerID)
	if err != nil {
		return err
	}
	token := s.mySignUpOf(e, su).CheckinToken
	if token == "" {
		return newAPIError(http.StatusConflict, "no_checkin_code", "报名确认后才有入场码")
	}
	return sendQR(c, token)
}

// applicationQR shows an approved volunteer application's attendance code as a QR image.
func (s *Server) applicationQR(c echo.Context) error {
	a, err := s.store.Application(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	if a.VolunteerID != memberOf(c).ID {
		return errNotFound
	}
	token := s.myApplicationOf(a).CheckinToken
	if token == "" || a.Status != models.ApplicationApproved {
		return newAPIError(http.StatusConflict, "no_checkin_code", "学校通过报名后才有签到码")
	}
	return sendQR(c, token)
}
