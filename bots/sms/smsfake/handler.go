package smsfake

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// sendRequest holds SendSms's body fields the fake understands.
type sendRequest struct {
	PhoneNumberSet   []string
	SmsSdkAppID      string
	SignName         string
	TemplateID       string
	TemplateParamSet []string
	SessionContext   string
}

// knownFields maps SendSms's body field names, exactly as Tencent spells them, to where they
// go. Decoding by hand rather than with struct tags matters: encoding/json matches names
// case-insensitively, and a client that sent "SmsSdkAppid" must be refused here as it would be
// by Tencent, not pass quietly.
func (q *sendRequest) knownFields() map[string]any {
	return map[string]any{
		"PhoneNumberSet": &q.PhoneNumberSet, "SmsSdkAppId": &q.SmsSdkAppID, "SignName": &q.SignName,
		"TemplateId": &q.TemplateID, "TemplateParamSet": &q.TemplateParamSet,
		"SessionContext": &q.SessionContext,
		// Accepted and ignored: fields of the real API the fake has no use for.
		"ExtendCode": new(string), "SenderId": new(string),
	}
}

// e164 is "+", a country code not starting with 0, and at most 15 digits in all; mainland
// numbers must moreover be 11-digit mobile numbers, which is what Tencent checks for +86.
var (
	e164     = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)
	mainland = regexp.MustCompile(`^\+861[0-9]{10}$`)
)

// validNumber reports whether Tencent would accept p as a recipient.
func validNumber(p string) bool {
	if strings.HasPrefix(p, "+86") {
		return mainland.MatchString(p)
	}
	return e164.MatchString(p)
}

// perNumber reports whether code is one of the failures Tencent reports per number, in
// SendStatusSet, rather than as the response's Error.
func perNumber(code string) bool {
	return code == "InvalidParameterValue.IncorrectPhoneNumber" ||
		code == "FailedOperation.PhoneNumberInBlacklist" ||
		strings.HasPrefix(code, "LimitExceeded.PhoneNumber")
}

// ServeHTTP answers one SendSms call.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	delay, now := s.delay, s.now()
	s.seq++
	reqID := fmt.Sprintf("fake-%08d", s.seq)
	s.mu.Unlock()
	if delay > 0 {
		select {
		case <-r.Context().Done():
			return
		case <-time.After(delay):
		}
	}
	if r.Method != http.MethodPost {
		writeError(w, reqID, "UnsupportedProtocol", "only POST is supported by the fake")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
	if err != nil {
		writeError(w, reqID, "InvalidParameter", "request body unreadable or over 1 MiB")
		return
	}
	if e := s.authenticate(r, body, now); e != nil {
		writeError(w, reqID, e.code, e.msg)
		return
	}
	if a := r.Header.Get("X-TC-Action"); a != "SendSms" {
		writeError(w, reqID, "InvalidAction", "the fake only implements SendSms, not "+strconv.Quote(a))
		return
	}
	if v := r.Header.Get("X-TC-Version"); v != "2021-01-11" {
		writeError(w, reqID, "NoSuchVersion", "the fake only implements version 2021-01-11, not "+strconv.Quote(v))
		return
	}
	if r.Header.Get("X-TC-Region") == "" {
		writeError(w, reqID, "MissingParameter", "X-TC-Region is required")
		return
	}
	var q sendRequest
	if code, msg := decode(body, &q); code != "" {
		writeError(w, reqID, code, msg)
		return
	}
	s.answer(r.Context(), w, reqID, &q, now)
}

// decode fills q from body and checks the required fields, returning a Tencent error code and
// message when the body is not acceptable.
func decode(body []byte, q *sendRequest) (code, msg string) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		return "InvalidParameter", "request body is not a JSON object"
	}
	fields := q.knownFields()
	for name, v := range raw {
		dst, ok := fields[name]
		if !ok {
			return "UnknownParameter", "unknown parameter " + strconv.Quote(name)
		}
		if err := json.Unmarshal(v, dst); err != nil {
			return "InvalidParameter", "parameter " + name + " has the wrong type"
		}
	}
	var missing []string
	for _, f := range []struct {
		name string
		ok   bool
	}{
		{"PhoneNumberSet", len(q.PhoneNumberSet) > 0}, {"SmsSdkAppId", q.SmsSdkAppID != ""},
		{"SignName", q.SignName != ""}, {"TemplateId", q.TemplateID != ""},
	} {
		if !f.ok {
			missing = append(missing, f.name)
		}
	}
	if len(missing) > 0 {
		return "MissingParameter", "missing " + strings.Join(missing, ", ")
	}
	if len(q.PhoneNumberSet) > 200 {
		return "LimitExceeded.PhoneNumberCountLimit", "at most 200 numbers per request"
	}
	return "", ""
}
