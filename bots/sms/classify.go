package sms

import (
	"fmt"
	"strings"
	"time"

	"kehou/bots"
)

// permanent lists the Tencent codes that say this message can never reach this recipient as
// it stands, so retrying it only delays the fallback to another channel. Each maps to the
// reason the delivery report shows.
var permanent = map[string]string{
	// The number itself is wrong or has opted out.
	"InvalidParameterValue.IncorrectPhoneNumber":                      bots.ReasonInvalidRecipient,
	"FailedOperation.PhoneNumberInBlacklist":                          bots.ReasonInvalidRecipient,
	"UnsupportedOperation.ContainDomesticAndInternationalPhoneNumber": bots.ReasonInvalidRecipient,

	// The template, signature or parameters do not match what Tencent approved.
	"FailedOperation.TemplateIncorrectOrUnapproved":      bots.ReasonTemplateMismatch,
	"FailedOperation.SignatureIncorrectOrUnapproved":     bots.ReasonTemplateMismatch,
	"InvalidParameterValue.TemplateParameterFormatError": bots.ReasonTemplateMismatch,
	"InvalidParameterValue.TemplateParameterLengthLimit": bots.ReasonTemplateMismatch,
	// The same content is refused every time: too long once rendered, or a word the carrier
	// filters. Staff must change the text, so these belong with the template errors.
	"InvalidParameterValue.ContentLengthLimit": bots.ReasonTemplateMismatch,
	"FailedOperation.ContainSensitiveWord":     bots.ReasonTemplateMismatch,
}

// Fixed waits for Tencent's per-number limits (its defaults are one message per 30 s, a few
// an hour, ten a day per number). Sending earlier is refused again, so the job should hold
// the message at least this long rather than burn its retries.
const (
	waitThirtySecond = 30 * time.Second
	waitOneHour      = time.Hour
)

// beijing is the zone Tencent counts its daily quotas in (calendar days, China Standard
// Time). A fixed offset avoids depending on the tz database, and China has no DST.
var beijing = time.FixedZone("CST", 8*60*60)

// classify turns a Tencent error code, from the response's Error or from one SendStatus,
// into a *bots.Error. Unknown codes are retryable, so an unfamiliar answer never loses a
// message; the job's attempt limit bounds the cost.
func classify(code, msg, requestID string, now time.Time) *bots.Error {
	e := &bots.Error{
		Reason: bots.ReasonProvider,
		Code:   code,
		// msg is scrubbed because Tencent may echo the number it refused.
		Err: fmt.Errorf("tencent sms: %s: %s (request %s)", code, scrub(msg), requestID),
	}
	if reason, ok := permanent[code]; ok {
		e.Permanent, e.Reason = true, reason
		return e
	}
	switch {
	case strings.HasPrefix(code, "AuthFailure"):
		// Wrong key, expired clock or missing permission: a configuration problem that every
		// retry would repeat, so fail fast and let the report surface it.
		e.Permanent = true
	case code == "RequestLimitExceeded" || strings.HasPrefix(code, "RequestLimitExceeded."):
		// The API-wide request rate; it clears within a second or so, so no fixed wait.
		e.Reason = bots.ReasonRateLimited
	case strings.HasPrefix(code, "LimitExceeded.") && code != "LimitExceeded.PhoneNumberCountLimit":
		// PhoneNumberCountLimit is about too many numbers in one request, not a rate; we send
		// one number, so it stays an ordinary retryable provider error.
		e.Reason = bots.ReasonRateLimited
		e.Wait = limitWait(code, now)
	}
	return e
}

// limitWait is how long a LimitExceeded code asks us to hold the message: a fixed window for
// the per-number 30 s and one-hour limits, the rest of the Beijing day for any daily quota
// (per number, per content, or the whole application), and zero when Tencent gives no window.
func limitWait(code string, now time.Time) time.Duration {
	switch {
	case code == "LimitExceeded.PhoneNumberThirtySecondLimit":
		return waitThirtySecond
	case code == "LimitExceeded.PhoneNumberOneHourLimit":
		return waitOneHour
	case strings.HasSuffix(code, "DailyLimit"):
		return untilNextDay(now)
	}
	return 0
}

// untilNextDay returns the time from now to the next midnight in Beijing.
func untilNextDay(now time.Time) time.Duration {
	t := now.In(beijing)
	next := time.Date(t.Year(), t.Month(), t.Day()+1, 0, 0, 0, 0, beijing)
	return next.Sub(now)
}
