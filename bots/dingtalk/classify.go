package dingtalk

import (
	"fmt"
	"strconv"
	"time"

	"kehou/bots"
)

// RateLimitWait is how long to hold a message the robot refused for sending too fast. The
// robot allows 20 messages in a rolling minute, so after a full minute the window is clear.
const RateLimitWait = time.Minute

// DingTalk error codes the delivery jobs act on.
const (
	codeBusy         = -1     // system busy
	codeTooFast      = 130101 // send too fast, exceed 20 times per minute
	codeTooFastAlt   = 660026 // send too fast (newer gateway)
	codeNoToken      = 300001 // token is not exist
	codeBadToken     = 400013 // robot does not exist or the token is invalid
	codeSecurityFail = 310000 // signature, keyword or IP allow-list check failed
)

// classify turns a non-zero errcode into a *bots.Error. Codes that describe the robot itself
// are permanent, because sending to the same token again cannot succeed; everything else,
// including codes not listed, is retryable so that an unfamiliar answer never loses a message.
func classify(code int, msg string) *bots.Error {
	e := &bots.Error{Reason: bots.ReasonProvider, Code: strconv.Itoa(code),
		Err: fmt.Errorf("dingtalk: send: errcode %d: %s", code, msg)}
	switch code {
	case codeTooFast, codeTooFastAlt:
		e.Reason, e.Wait = bots.ReasonRateLimited, RateLimitWait
	case codeNoToken, codeBadToken:
		e.Permanent, e.Reason = true, bots.ReasonInvalidRecipient
	case codeSecurityFail:
		// A wrong secret, a missing keyword or a server outside the robot's IP allow-list:
		// staff must fix the robot's settings before any message can get through.
		e.Permanent = true
	case codeBusy:
		// Retryable provider error, as for unknown codes; listed to document that -1 is expected.
	}
	return e
}
