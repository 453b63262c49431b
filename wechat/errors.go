package wechat

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/silenceper/wechat/v2/util"
)

// ErrInvalidCode means a login or phone-number code was empty, invalid, expired or already
// used. Asking the user to try again (a fresh wx.login) is the remedy; retrying is not.
var ErrInvalidCode = errors.New("wechat: invalid login code")

// APIError is an error answer (errcode != 0) from a WeChat API. Its text holds the errcode and
// WeChat's errmsg, never request parameters or session keys.
type APIError struct {
	Code int    // WeChat errcode, e.g. 40001, 43101, -1
	Msg  string // WeChat errmsg
	Op   string // our operation, e.g. "code2session"
}

// Error implements error.
func (e *APIError) Error() string {
	return fmt.Sprintf("wechat: %s: errcode=%d errmsg=%s", e.Op, e.Code, e.Msg)
}

// invalidCodes are the errcodes meaning "this code cannot be used": invalid, already used,
// or the user was blocked as high-risk.
var invalidCodes = map[int]bool{40029: true, 40163: true, 40226: true}

// codeError adds ErrInvalidCode to err when it is an APIError with an invalid-code errcode.
func codeError(op string, err error) error {
	var ae *APIError
	if errors.As(err, &ae) && invalidCodes[ae.Code] {
		return fmt.Errorf("%w (%w)", ErrInvalidCode, ae)
	}
	return err
}

// retryableCodes are the errcodes after which the same call may succeed later: system busy,
// rate limits, and a stale access token (after InvalidateAccessToken).
var retryableCodes = map[int]bool{-1: true, 45009: true, 45011: true, 40001: true, 42001: true}

// Retryable reports whether trying the failed call again can succeed: true for network errors
// and timeouts, HTTP 5xx and 429, and errcodes -1 (busy), 45009/45011 (rate limits), 40001 and
// 42001 (stale token); false for everything else, such as 43101 (no subscribe consent), 40003
// (invalid openid), 47003 (template data mismatch), 40029 (invalid code) and a cancelled
// context. It accepts errors from this package and raw errors from the silenceper library.
func Retryable(err error) bool {
	if err == nil || errors.Is(err, ErrInvalidCode) || errors.Is(err, context.Canceled) {
		return false
	}
	err = WrapError("", err)
	var ae *APIError
	if errors.As(err, &ae) {
		return retryableCodes[ae.Code]
	}
	var se *StatusError
	if errors.As(err, &se) {
		return se.Status >= 500 || se.Status == 429
	}
	var ue *url.Error
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ue) || errors.As(err, &ne)
}

// StatusError is a non-200 HTTP answer from a WeChat API.
type StatusError struct {
	Status int
	Op     string
}

// Error implements error.
func (e *StatusError) Error() string {
	return fmt.Sprintf("wechat: %s: HTTP status %d", e.Op, e.Status)
}

var (
	// silenceper reports errcodes of token fetches only as text.
	tokenErrRe = regexp.MustCompile(`errcode=(-?\d+)\s*,\s*errormsg=(.*)$`)
	// ... and non-200 answers as "http get error : uri=..., statusCode=502".
	statusRe = regexp.MustCompile(`statusCode=(\d+)`)
	// secretRe matches query parameters that must not reach logs.
	secretRe = regexp.MustCompile(`(?i)\b(secret|appsecret|js_code|code|access_token|session_key|sign)=[^&\s"']*`)
)

// WrapError turns an error from the silenceper library into this package's forms, prefixed
// with op: *APIError for WeChat error answers, *StatusError for non-200 answers, a *url.Error
// with credentials removed from its URL for network errors, and otherwise an error whose text
// has credentials removed (the original stays reachable through errors.Unwrap). Errors already
// in these forms are returned unchanged.
func WrapError(op string, err error) error {
	var (
		ae *APIError
		se *StatusError
		re *redactedError
		ce *util.CommonError
		ue *url.Error
	)
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ae), errors.As(err, &se), errors.As(err, &re):
		return err
	case errors.As(err, &ce):
		return &APIError{Code: int(ce.ErrCode), Msg: ce.ErrMsg, Op: op}
	case errors.As(err, &ue):
		clean := &url.Error{Op: ue.Op, URL: redact(ue.URL), Err: ue.Err}
		return &redactedError{msg: "wechat: " + op + ": " + clean.Error(), err: clean}
	}
	msg := err.Error()
	if m := tokenErrRe.FindStringSubmatch(msg); m != nil {
		code, _ := strconv.Atoi(m[1])
		return &APIError{Code: code, Msg: m[2], Op: joinOp(op, "access token")}
	}
	if m := statusRe.FindStringSubmatch(msg); m != nil {
		status, _ := strconv.Atoi(m[1])
		return &StatusError{Status: status, Op: op}
	}
	return &redactedError{msg: "wechat: " + op + ": " + redact(msg), err: err}
}

// joinOp appends sub to op unless op already names it (AccessToken wraps with "access token").
func joinOp(op, sub string) string {
	switch {
	case op == "" || op == sub:
		return sub
	case strings.HasSuffix(op, ": "+sub):
		return op
	}
	return op + ": " + sub
}

// redact replaces the values of credential-bearing parameters in s.
func redact(s string) string { return secretRe.ReplaceAllString(s, "$1=REDACTED") }

// redactedError prints a sanitised message but keeps the original error for errors.Is/As.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }
