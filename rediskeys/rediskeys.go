// Package rediskeys names every key kehou keeps in Redis besides asynq's own queues, so that the
// API (which reads some of them) and the workers (which write others) agree on one spelling, and
// an operator finds the whole list in one place. Redis is a queue and a cache here, never the
// record: every key below but one may be lost and is rebuilt or re-checked from MongoDB. The
// exception is SMSOnce: if Redis loses it while a notice is going out (a failover without AOF),
// a roster number two parents share may receive that notice twice.
// It imports nothing of ours.
package rediskeys

import (
	"strconv"
	"time"
)

// Key prefixes; a key is the prefix followed by what the comment says.
const (
	// SessionPrefix + the keyed hash of a bearer token (store.SessionKey): a signed-in user's session (the API).
	SessionPrefix = "kehou:s:"
	// PupilsPrefix + member id: the children bound to a member, cached by the API.
	PupilsPrefix = "kehou:kids:"
	// RatePrefix + bucket ":" id ":" minute: requests counted against a rate limit (the API).
	RatePrefix = "kehou:rl:"
	// WechatPrefix + silenceper/wechat's cache key: the shared access token.
	WechatPrefix = "kehou:wx:"
)

// QueueTicket + the SHA-256 (hex) of a ticket: what the queue monitor's cookie admits (the staff
// member and the session it was issued under), until it expires (the API).
func QueueTicket(ticketHash string) string { return "kehou:qt:" + ticketHash }

// Rate is the counter of one rate-limit bucket and caller in one minute window.
func Rate(bucket, id string, window int64) string {
	return RatePrefix + bucket + ":" + id + ":" + strconv.FormatInt(window, 10)
}

// Robot counts the messages posted to one group robot in the minute starting at minute.
func Robot(robotID string, minute time.Time) string {
	return "kehou:robot:" + robotID + ":" + strconv.FormatInt(minute.Unix(), 10)
}

// AnswerInBatch marks a survey answer (by survey and respondent key, the keyed hash that stands
// for a family) that the worker's aggregator has taken into a batch not yet stored: from then
// until the batch is written the answer's own task is gone from asynq, and the parent's survey
// list reads this to keep saying "submitted". It expires by itself (AnswerInBatchTTL).
func AnswerInBatch(surveyID, respondent string) string {
	return "kehou:ans:" + surveyID + ":" + respondent
}

// AnswerInBatchTTL is how long an AnswerInBatch mark lasts: far longer than a batch takes to
// store, even with a few retries.
const AnswerInBatchTTL = 6 * time.Hour

// SMSLast holds when a phone number (by its keyed hash) was last sent an SMS.
func SMSLast(phoneHash string) string { return "kehou:sms:last:" + phoneHash }

// SMSDay counts the SMS sent to a phone number on one Shanghai day ("20060102").
func SMSDay(phoneHash, day string) string { return "kehou:sms:day:" + phoneHash + ":" + day }

// SMSOnce claims a roster phone number for one member per notice, so that two parents falling
// back to the same number do not make it receive the notice twice.
func SMSOnce(noticeID, phoneHash string) string {
	return "kehou:sms:once:" + noticeID + ":" + phoneHash
}
