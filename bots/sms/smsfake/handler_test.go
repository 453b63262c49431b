package smsfake

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"
)

// These tests sign hand-made bodies with the fake's own tc3Signature, to reach the checks
// behind the signature that package sms's client never gets wrong on purpose.

const (
	hID  = "AKIDhandlertest"
	hKey = "handler-test-key"
)

// signed builds a SendSms request for body, signed for the fake at now.
func signed(body string, now time.Time) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "http://127.0.0.1:1/", bytes.NewBufferString(body))
	ts := strconv.FormatInt(now.Unix(), 10)
	date := now.UTC().Format(time.DateOnly)
	r.Header.Set("Content-Type", "application/json; charset=utf-8")
	r.Header.Set("X-TC-Action", "SendSms")
	r.Header.Set("X-TC-Version", "2021-01-11")
	r.Header.Set("X-TC-Region", "ap-guangzhou")
	r.Header.Set("X-TC-Timestamp", ts)
	sig := tc3Signature(hKey, "POST", "", headerValues(r, []string{"content-type", "host"}),
		[]byte(body), ts, date, "sms")
	r.Header.Set("Authorization", "TC3-HMAC-SHA256 Credential="+hID+"/"+date+"/sms/tc3_request, "+
		"SignedHeaders=content-type;host, Signature="+sig)
	return r
}

// serve runs one request through a fresh fake and decodes the answer.
func serve(t *testing.T, s *Server, r *http.Request) envelope {
	t.Helper()
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	var out envelope
	if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil {
		t.Fatalf("answer %q is not JSON: %v", w.Body.String(), err)
	}
	return out
}

func TestHandlerRefusals(t *testing.T) {
	const good = `{"PhoneNumberSet":["+8613800138000"],"SmsSdkAppId":"1400006666","SignName":"课后服务","TemplateId":"1110","TemplateParamSet":["a"],"SessionContext":"d1"}`
	tests := []struct {
		name, body string
		edit       func(*http.Request)
		want       string // top-level error code, or the first status code
	}{
		{"accepted", good, nil, "Ok"},
		{"missing number", `{"SmsSdkAppId":"1","SignName":"s","TemplateId":"1"}`, nil, "MissingParameter"},
		{"missing template", `{"PhoneNumberSet":["+8613800138000"],"SmsSdkAppId":"1","SignName":"s"}`, nil, "MissingParameter"},
		{"missing sign", `{"PhoneNumberSet":["+8613800138000"],"SmsSdkAppId":"1","TemplateId":"1"}`, nil, "MissingParameter"},
		{"missing app", `{"PhoneNumberSet":["+8613800138000"],"SignName":"s","TemplateId":"1"}`, nil, "MissingParameter"},
		{"miscased field", `{"PhoneNumberSet":["+8613800138000"],"SmsSdkAppid":"1","SignName":"s","TemplateId":"1"}`, nil, "UnknownParameter"},
		{"wrong type", `{"PhoneNumberSet":"+8613800138000","SmsSdkAppId":"1","SignName":"s","TemplateId":"1"}`, nil, "InvalidParameter"},
		{"not json", `hello`, nil, "InvalidParameter"},
		{"not e164", `{"PhoneNumberSet":["+8613800"],"SmsSdkAppId":"1","SignName":"s","TemplateId":"1"}`, nil, "InvalidParameterValue.IncorrectPhoneNumber"},
		{"national form", `{"PhoneNumberSet":["13800138000"],"SmsSdkAppId":"1","SignName":"s","TemplateId":"1"}`, nil, "InvalidParameterValue.IncorrectPhoneNumber"},
		{"mixed regions", `{"PhoneNumberSet":["+8613800138000","+447911123456"],"SmsSdkAppId":"1","SignName":"s","TemplateId":"1"}`, nil, "UnsupportedOperation.ContainDomesticAndInternationalPhoneNumber"},
		{"wrong action", good, func(r *http.Request) { r.Header.Set("X-TC-Action", "SendStatusStatistics") }, "InvalidAction"},
		{"wrong version", good, func(r *http.Request) { r.Header.Set("X-TC-Version", "2019-07-11") }, "NoSuchVersion"},
		{"no region", good, func(r *http.Request) { r.Header.Del("X-TC-Region") }, "MissingParameter"},
		{"no authorization", good, func(r *http.Request) { r.Header.Del("Authorization") }, "AuthFailure.InvalidAuthorization"},
		{"tampered body", good, func(r *http.Request) {
			r.Body = http.NoBody
		}, "AuthFailure.SignatureFailure"},
		{"tampered content type", good, func(r *http.Request) { r.Header.Set("Content-Type", "application/json") }, "AuthFailure.SignatureFailure"},
		{"tampered host", good, func(r *http.Request) { r.Host = "sms.tencentcloudapi.com" }, "AuthFailure.SignatureFailure"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := New(hID, hKey)
			r := signed(tt.body, time.Now())
			if tt.edit != nil {
				tt.edit(r)
			}
			out := serve(t, s, r)
			got := ""
			switch {
			case out.Response.Error != nil:
				got = out.Response.Error.Code
			case len(out.Response.SendStatusSet) > 0:
				got = out.Response.SendStatusSet[0].Code
			}
			if got != tt.want {
				t.Errorf("code = %q, want %q (answer %+v)", got, tt.want, out.Response)
			}
			if n := len(s.Sent()); (tt.want == "Ok") != (n == 1) {
				t.Errorf("fake recorded %d messages", n)
			}
		})
	}
}

func TestHandlerTimestampWindow(t *testing.T) {
	const body = `{"PhoneNumberSet":["+8613800138000"],"SmsSdkAppId":"1","SignName":"s","TemplateId":"1"}`
	for _, tt := range []struct {
		name string
		skew time.Duration
		want string
	}{
		{"6 min old", -6 * time.Minute, "AuthFailure.SignatureExpire"},
		{"6 min ahead", 6 * time.Minute, "AuthFailure.SignatureExpire"},
		{"4 min old", -4 * time.Minute, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			out := serve(t, New(hID, hKey), signed(body, time.Now().Add(tt.skew)))
			got := ""
			if out.Response.Error != nil {
				got = out.Response.Error.Code
			}
			if got != tt.want {
				t.Errorf("error code = %q, want %q", got, tt.want)
			}
		})
	}
}
