package smsfake

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// sendStatus is one number's outcome, as in Tencent's SendStatusSet.
type sendStatus struct {
	SerialNo       string `json:"SerialNo"`
	PhoneNumber    string `json:"PhoneNumber"`
	Fee            int    `json:"Fee"`
	SessionContext string `json:"SessionContext"`
	Code           string `json:"Code"`
	Message        string `json:"Message"`
	IsoCode        string `json:"IsoCode"`
}

// apiError is the Error object of a failed call.
type apiError struct {
	Code    string `json:"Code"`
	Message string `json:"Message"`
}

// envelope is every answer's outer shape: {"Response": {...}}.
type envelope struct {
	Response struct {
		Error         *apiError    `json:"Error,omitempty"`
		SendStatusSet []sendStatus `json:"SendStatusSet,omitempty"`
		RequestID     string       `json:"RequestId"`
	} `json:"Response"`
}

// answer applies injected failures and per-number checks to a valid request, records what it
// accepts, and writes the answer (after HoldAnswers' wait, if set).
func (s *Server) answer(ctx context.Context, w http.ResponseWriter, reqID string, q *sendRequest, now time.Time) {
	var domestic, abroad bool
	for _, p := range q.PhoneNumberSet {
		if strings.HasPrefix(p, "+86") {
			domestic = true
		} else {
			abroad = true
		}
	}
	if domestic && abroad {
		writeError(w, reqID, "UnsupportedOperation.ContainDomesticAndInternationalPhoneNumber",
			"numbers must be all mainland or all international")
		return
	}

	code := s.injected()
	if rest, ok := strings.CutPrefix(code, "HTTP"); ok {
		if status, err := strconv.Atoi(rest); err == nil && status >= 400 && status <= 599 {
			// A gateway failure, not a Tencent answer: plain text, no JSON.
			http.Error(w, "smsfake: injected gateway failure", status)
			return
		}
	}
	if code != "" && !perNumber(code) {
		writeError(w, reqID, code, "injected failure")
		return
	}

	statuses := make([]sendStatus, 0, len(q.PhoneNumberSet))
	for _, p := range q.PhoneNumberSet {
		st := sendStatus{PhoneNumber: p, SessionContext: q.SessionContext, IsoCode: "CN"}
		switch {
		case !validNumber(p):
			// Tencent's message names the number; so does the fake's, so that tests can check
			// that the client keeps provider text containing numbers out of its errors.
			st.Code, st.Message = "InvalidParameterValue.IncorrectPhoneNumber", "incorrect phone number "+p
		case code != "":
			st.Code, st.Message = code, "injected failure for "+p
		default:
			st.Code, st.Message, st.Fee = "Ok", "send success", 1
			st.SerialNo = s.record(q, p, now)
		}
		statuses = append(statuses, st)
	}
	var out envelope
	out.Response.SendStatusSet = statuses
	out.Response.RequestID = reqID
	s.mu.Lock()
	hold := s.hold
	s.mu.Unlock()
	if hold > 0 {
		t := time.NewTimer(hold)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return // the client gave up: the messages are sent all the same
		}
	}
	writeJSON(w, &out)
}

// record stores one accepted message and returns its serial number.
func (s *Server) record(q *sendRequest, phone string, now time.Time) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.serials++
	serial := fmt.Sprintf("2433:fake%016d", s.serials)
	s.sent = append(s.sent, SentSMS{
		Phone:          phone,
		TemplateID:     q.TemplateID,
		Params:         append([]string(nil), q.TemplateParamSet...),
		SessionContext: q.SessionContext,
		SignName:       q.SignName,
		SdkAppID:       q.SmsSdkAppID,
		SerialNo:       serial,
		Time:           now,
	})
	return serial
}

// writeError answers with Tencent's error shape. Tencent uses HTTP 200 for these too: the
// outcome is in the body.
func writeError(w http.ResponseWriter, reqID, code, msg string) {
	var out envelope
	out.Response.Error = &apiError{Code: code, Message: msg}
	out.Response.RequestID = reqID
	writeJSON(w, &out)
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v) // a client that went away cannot be told anything
}
