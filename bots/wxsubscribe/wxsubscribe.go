// Package wxsubscribe sends WeChat mini-program subscribe messages through silenceper/wechat's
// HTTP layer, with the access token from a shared source. Field values are cut to WeChat's
// limits (a `thing` is at most 20 characters) so a long notice title never fails a send, and
// errors are classified for the delivery jobs: 43101 (no consent left) and invalid openids are
// permanent, 40001/42001 refresh the shared token once and retry.
package wxsubscribe

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/silenceper/wechat/v2/util"

	"kehou/bots"
)

// TokenSource is the shared access-token cache (kehou/wechat.Client implements it). Invalidate
// drops the token only if it is still the stale one, so many concurrent 40001s cause one fetch.
type TokenSource interface {
	AccessToken(ctx context.Context) (string, error)
	InvalidateAccessToken(ctx context.Context, stale string) error
}

// Client sends subscribe messages.
type Client struct {
	tokens TokenSource
	base   string
}

// New returns a client; requests go through util.DefaultHTTPClient (pointed at wxfake in tests
// and sandbox mode).
func New(tokens TokenSource) *Client {
	return &Client{tokens: tokens, base: "https://api.weixin.qq.com"}
}

type sendBody struct {
	ToUser           string                       `json:"touser"`
	TemplateID       string                       `json:"template_id"`
	Page             string                       `json:"page,omitempty"`
	Data             map[string]map[string]string `json:"data"`
	MiniprogramState string                       `json:"miniprogram_state,omitempty"`
	Lang             string                       `json:"lang"`
}

type answer struct {
	ErrCode int    `json:"errcode"`
	ErrMsg  string `json:"errmsg"`
	MsgID   int64  `json:"msgid"`
}

// Send implements bots.Notifier: m.To is the openid, m.TemplateID and m.Data the template.
func (c *Client) Send(ctx context.Context, m bots.Message) (string, error) {
	body := sendBody{ToUser: m.To, TemplateID: m.TemplateID, Page: m.Page, Lang: "zh_CN", Data: map[string]map[string]string{}}
	for k, v := range m.Data {
		body.Data[k] = map[string]string{"value": Fit(k, v)}
	}
	for attempt := 0; ; attempt++ {
		token, err := c.tokens.AccessToken(ctx)
		if err != nil {
			return "", &bots.Error{Reason: bots.ReasonNetwork, Err: fmt.Errorf("access token: %w", err)}
		}
		raw, err := util.PostJSONContext(ctx, c.base+"/cgi-bin/message/subscribe/send?access_token="+token, body)
		if err != nil {
			return "", &bots.Error{Reason: bots.ReasonNetwork, Err: fmt.Errorf("subscribe send: %w", redactErr(err))}
		}
		var a answer
		if err := json.Unmarshal(raw, &a); err != nil {
			return "", &bots.Error{Reason: bots.ReasonProvider, Err: fmt.Errorf("subscribe send: bad answer")}
		}
		if a.ErrCode == 0 {
			return fmt.Sprint(a.MsgID), nil
		}
		if (a.ErrCode == 40001 || a.ErrCode == 42001) && attempt == 0 {
			if err := c.tokens.InvalidateAccessToken(ctx, token); err != nil {
				return "", &bots.Error{Reason: bots.ReasonNetwork, Err: err}
			}
			continue
		}
		return "", classify(a)
	}
}

func classify(a answer) *bots.Error {
	e := &bots.Error{Code: fmt.Sprint(a.ErrCode), Err: fmt.Errorf("wechat errcode %d: %s", a.ErrCode, a.ErrMsg), Reason: bots.ReasonProvider}
	switch a.ErrCode {
	case 43101:
		e.Permanent, e.Reason = true, bots.ReasonNoConsent
	case 40003, 43104:
		e.Permanent, e.Reason = true, bots.ReasonInvalidRecipient
	case 40037, 47003, 41030:
		e.Permanent, e.Reason = true, bots.ReasonTemplateMismatch
	case 45009, 45011:
		e.Reason, e.Wait = bots.ReasonRateLimited, time.Minute
	}
	return e
}

var tokenInURL = regexp.MustCompile(`access_token=[^&\s"]+`)

func redact(s string) string { return tokenInURL.ReplaceAllString(s, "access_token=REDACTED") }

// redactErr hides the access token a failed request's error quotes in its URL, keeping the
// error's chain: the sender tells a call that timed out (the message may have arrived, so it is
// never sent again) from a connection never made (retried) by the errors inside.
func redactErr(err error) error {
	if ue, ok := errors.AsType[*url.Error](err); ok {
		c := *ue
		c.URL = redact(c.URL)
		return &c
	}
	return errors.New(redact(err.Error()))
}

// limits are WeChat's per-type value lengths in characters; a key's type is its name without
// the trailing number (thing1 → thing).
var limits = map[string]int{
	"thing": 20, "phrase": 5, "name": 10, "character_string": 32, "number": 32, "letter": 32,
	"symbol": 5, "car_number": 8, "phone_number": 17, "amount": 11, "time": 32, "date": 32,
}

// Fit cuts a value to the limit of its key's type, marking a cut with "…".
func Fit(key, value string) string {
	limit, ok := limits[strings.TrimRight(key, "0123456789")]
	if !ok || utf8.RuneCountInString(value) <= limit {
		return value
	}
	r := []rune(value)
	if limit <= 1 {
		return string(r[:limit])
	}
	return string(r[:limit-1]) + "…"
}
