package server

import (
	"errors"
	"net/http"
	"sort"
	"strings"

	"github.com/labstack/echo/v4"

	"kehou/models"
	"kehou/store"
	"kehou/wechat"
)

type templateBody struct {
	Kind       string `json:"kind"`
	TemplateID string `json:"template_id"`
	LongTerm   bool   `json:"long_term"`
	Credits    int    `json:"credits"`
	Subscribed bool   `json:"subscribed"` // long-term consent given
}

// subscriptions tells the mini-program which templates to ask consent for
// (wx.requestSubscribeMessage) and what the member has granted so far.
func (s *Server) subscriptions(c echo.Context) error {
	consents, err := s.store.Consents(c.Request().Context(), memberOf(c).ID)
	if err != nil {
		return err
	}
	byTemplate := map[string]models.Consent{}
	for _, k := range consents {
		byTemplate[k.TemplateID] = k
	}
	out := []templateBody{}
	for kind, t := range s.templates {
		k := byTemplate[t.TemplateID]
		out = append(out, templateBody{Kind: kind, TemplateID: t.TemplateID, LongTerm: t.LongTerm, Credits: k.Credits, Subscribed: k.LongTerm})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Kind < out[j].Kind })
	return c.JSON(http.StatusOK, listBody[templateBody]{Items: out})
}

type subscriptionForm struct {
	// Results is what wx.requestSubscribeMessage answered: template id → accept, reject, ban or filter.
	Results map[string]string `json:"results"`
}

func (f *subscriptionForm) validate() error {
	fe := models.FieldErrors{}
	if len(f.Results) == 0 || len(f.Results) > 20 {
		fe.Add("results", "应包含1–20个模板的结果")
	}
	for id, r := range f.Results {
		fe.CheckEnum("results."+id, r, models.SubscribeResultEnum)
	}
	return fe.Err()
}

// reportSubscriptions records consents: every one-time accept is one send credit; a long-term
// template's accept is kept as a standing consent; reject and ban end a standing consent.
func (s *Server) reportSubscriptions(c echo.Context) error {
	var f subscriptionForm
	if err := bind(c, &f); err != nil {
		return err
	}
	known := map[string]bool{}
	longTerm := map[string]bool{}
	for _, t := range s.templates {
		known[t.TemplateID], longTerm[t.TemplateID] = true, t.LongTerm
	}
	for id := range f.Results {
		if !known[id] {
			return models.FieldErrors{"results." + id: "未知的模板"}
		}
	}
	ctx := c.Request().Context()
	member := memberOf(c).ID
	for id, r := range f.Results {
		var err error
		switch r {
		case models.SubscribeAccept:
			err = s.store.GrantConsent(ctx, member, id, longTerm[id])
		case models.SubscribeReject, models.SubscribeBan:
			err = s.store.RevokeConsent(ctx, member, id)
		}
		if err != nil {
			return err
		}
	}
	return s.subscriptions(c)
}

type phoneForm struct {
	Code string `json:"code"`
}

func (f *phoneForm) validate() error {
	fe := models.FieldErrors{}
	fe.CheckText("code", f.Code, 128)
	return fe.Err()
}

// setPhone exchanges the mini-program's getPhoneNumber code server-side and stores the number
// encrypted; the answer shows it masked.
func (s *Server) setPhone(c echo.Context) error {
	var f phoneForm
	if err := bind(c, &f); err != nil {
		return err
	}
	ctx := c.Request().Context()
	phone, err := s.wx.PhoneNumber(ctx, f.Code)
	if errors.Is(err, wechat.ErrInvalidCode) {
		return models.FieldErrors{"code": "授权码无效或已过期，请重新授权"}
	}
	if err != nil {
		s.log.Warn("phone number exchange failed", "request_id", requestID(c), "err", err)
		return errWechatUnavailable
	}
	if !strings.HasPrefix(phone, "+") {
		phone = "+86" + phone
	}
	if err := s.store.SetPhone(ctx, memberOf(c).ID, phone); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]string{"phone": store.MaskPhone(phone)})
}
