// Package bots defines the one small interface every notifier channel implements, and the
// classification of send errors that the delivery jobs act on. Each provider lives in its own
// sub-package (wxsubscribe, sms, wecom, dingtalk, outbox) and imports nothing of ours; the
// server never calls a notifier directly: every message goes through a job in jobs/, so retries
// apply.
package bots

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Message is one message to one recipient on one channel. Fields a channel does not use are
// ignored by it.
type Message struct {
	To         string            // openid, phone number (+86...), or robot webhook key/token
	TemplateID string            // subscribe-message or SMS template
	Data       map[string]string // template key → value (subscribe message)
	Params     []string          // ordered template parameters (SMS)
	Page       string            // mini-program page opened from a subscribe message
	Title      string            // robots: title line / markdown heading
	Text       string            // robots: body
	Secret     string            // DingTalk robot signing secret
	Ref        string            // our delivery id, for logs and provider-side deduplication
	Group      string            // what the message belongs to (a notice id), for the outbox and logs
}

// Notifier sends one message. It returns nil on acceptance by the provider, or an *Error.
type Notifier interface {
	Send(ctx context.Context, m Message) (providerID string, err error)
}

// Error is a classified send failure.
type Error struct {
	Permanent bool          // retrying the same message will not help
	Reason    string        // short machine reason: no_consent, invalid_recipient, template_mismatch, rate_limited, provider_error, network
	Code      string        // provider's own error code, for the report
	Wait      time.Duration // for rate limits: how long to wait before trying again
	Err       error
}

func (e *Error) Error() string {
	kind := "retryable"
	if e.Permanent {
		kind = "permanent"
	}
	return fmt.Sprintf("%s send failure (%s, code %s): %v", kind, e.Reason, e.Code, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// Permanent reports whether err is a classified permanent failure. Unclassified errors are
// treated as retryable: a network error must not lose a message.
func Permanent(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Permanent
}

// Reason returns the classified reason, or "error" for an unclassified error.
func Reason(err error) string {
	var e *Error
	if errors.As(err, &e) && e.Reason != "" {
		return e.Reason
	}
	return "error"
}

// Reasons used across channels.
const (
	ReasonNoConsent        = "no_consent"
	ReasonInvalidRecipient = "invalid_recipient"
	ReasonTemplateMismatch = "template_mismatch"
	ReasonRateLimited      = "rate_limited"
	ReasonProvider         = "provider_error"
	ReasonNetwork          = "network"
)

// BatchNotifier is implemented by channels that can take many messages in one call (the
// outbox); the delivery jobs prefer it. Either every message is accepted or the error applies
// to all.
type BatchNotifier interface {
	SendBatch(ctx context.Context, msgs []Message) ([]string, error)
}
