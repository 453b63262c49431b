package sms

import (
	"testing"
	"time"

	"kehou/bots"
)

func TestClassify(t *testing.T) {
	// 2026-03-10 22:30 in Beijing: the next Beijing midnight is 1 h 30 min away.
	now := time.Date(2026, 3, 10, 14, 30, 0, 0, time.UTC)
	tests := []struct {
		code      string
		permanent bool
		reason    string
		wait      time.Duration
	}{
		{"InvalidParameterValue.IncorrectPhoneNumber", true, bots.ReasonInvalidRecipient, 0},
		{"FailedOperation.PhoneNumberInBlacklist", true, bots.ReasonInvalidRecipient, 0},
		{"UnsupportedOperation.ContainDomesticAndInternationalPhoneNumber", true, bots.ReasonInvalidRecipient, 0},
		{"FailedOperation.TemplateIncorrectOrUnapproved", true, bots.ReasonTemplateMismatch, 0},
		{"InvalidParameterValue.TemplateParameterFormatError", true, bots.ReasonTemplateMismatch, 0},
		{"FailedOperation.SignatureIncorrectOrUnapproved", true, bots.ReasonTemplateMismatch, 0},
		{"InvalidParameterValue.TemplateParameterLengthLimit", true, bots.ReasonTemplateMismatch, 0},
		{"InvalidParameterValue.ContentLengthLimit", true, bots.ReasonTemplateMismatch, 0},
		{"FailedOperation.ContainSensitiveWord", true, bots.ReasonTemplateMismatch, 0},
		{"AuthFailure.SignatureFailure", true, bots.ReasonProvider, 0},
		{"AuthFailure.SecretIdNotFound", true, bots.ReasonProvider, 0},
		{"AuthFailure.SignatureExpire", true, bots.ReasonProvider, 0},
		{"InternalError.Timeout", false, bots.ReasonProvider, 0},
		{"InternalError.OtherError", false, bots.ReasonProvider, 0},
		{"InternalError", false, bots.ReasonProvider, 0},
		{"RequestLimitExceeded", false, bots.ReasonRateLimited, 0},
		{"RequestLimitExceeded.IPLimitExceeded", false, bots.ReasonRateLimited, 0},
		{"LimitExceeded.PhoneNumberThirtySecondLimit", false, bots.ReasonRateLimited, 30 * time.Second},
		{"LimitExceeded.PhoneNumberOneHourLimit", false, bots.ReasonRateLimited, time.Hour},
		{"LimitExceeded.PhoneNumberDailyLimit", false, bots.ReasonRateLimited, 90 * time.Minute},
		{"LimitExceeded.PhoneNumberSameContentDailyLimit", false, bots.ReasonRateLimited, 90 * time.Minute},
		{"LimitExceeded.AppDailyLimit", false, bots.ReasonRateLimited, 90 * time.Minute},
		{"LimitExceeded.DeliveryFrequencyLimit", false, bots.ReasonRateLimited, 0},
		{"LimitExceeded.PhoneNumberCountLimit", false, bots.ReasonProvider, 0},
		{"FailedOperation.InsufficientBalanceInSmsPackage", false, bots.ReasonProvider, 0},
		{"SomethingNew.NobodyHasSeen", false, bots.ReasonProvider, 0},
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			e := classify(tt.code, "msg", "req-1", now)
			if e.Permanent != tt.permanent || e.Reason != tt.reason || e.Wait != tt.wait || e.Code != tt.code {
				t.Errorf("classify(%s) = permanent %v, reason %s, wait %v, code %s; want %v, %s, %v",
					tt.code, e.Permanent, e.Reason, e.Wait, e.Code, tt.permanent, tt.reason, tt.wait)
			}
		})
	}
}

func TestUntilNextDayIsBeijingMidnight(t *testing.T) {
	tests := []struct {
		name string
		now  time.Time
		want time.Duration
	}{
		// 15:59:59 UTC is 23:59:59 in Beijing: one second to go, although UTC has 8 hours left.
		{"just before Beijing midnight", time.Date(2026, 1, 1, 15, 59, 59, 0, time.UTC), time.Second},
		// 16:00 UTC is Beijing midnight: a whole day to the next one.
		{"at Beijing midnight", time.Date(2026, 1, 1, 16, 0, 0, 0, time.UTC), 24 * time.Hour},
		{"month end", time.Date(2026, 2, 28, 4, 0, 0, 0, time.UTC), 12 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := untilNextDay(tt.now); got != tt.want {
				t.Errorf("untilNextDay(%v) = %v, want %v", tt.now, got, tt.want)
			}
		})
	}
}
