package wecom

import (
	"fmt"
	"strconv"
	"time"

	"kehou/bots"
)

// RateLimitWait is how long to hold a message the robot refused for sending too fast. The
// robot allows 20 messages in a rolling minute, so after a full minute the window is clear.
const RateLimitWait = time.Minute

// WeCom error codes the delivery jobs act on.
const (
	codeBusy           = -1    // system busy
	codeBadMsgType     = 40008 // invalid message type
	codeTooLong        = 40058 // content exceeds the limit
	codeEmpty          = 44004 // empty content
	codeRateLimited    = 45009 // api freq out of limit
	codeInvalidWebhook = 93000 // invalid webhook url: the key is wrong or the robot was removed
)

// classify turns a non-zero errcode into a *bots.Error. Codes that describe the message or
// the robot itself are permanent, because sending the same message to the same key again
// cannot succeed; everything else, including codes not listed, is retryable so that an
// unfamiliar answer never loses a message.
func classify(code int, msg string) *bots.Error {
	e := &bots.Error{Reason: bots.ReasonProvider, Code: strconv.Itoa(code),
		Err: fmt.Errorf("wecom: send: errcode %d: %s", code, msg)}
	switch code {
	case codeRateLimited:
		e.Reason, e.Wait = bots.ReasonRateLimited, RateLimitWait
	case codeInvalidWebhook:
		e.Permanent, e.Reason = true, bots.ReasonInvalidRecipient
	case codeBadMsgType, codeTooLong, codeEmpty:
		e.Permanent, e.Reason = true, bots.ReasonTemplateMismatch
	case codeBusy:
		// Retryable provider error, as for unknown codes; listed to document that -1 is expected.
	}
	return e
}
