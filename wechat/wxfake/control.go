package wxfake

import (
	"encoding/json"
	"net/http"
	"net/url"
	"time"
)

// maxRecords is how many requests are kept per endpoint; older ones are dropped.
const maxRecords = 1000

// Request is a copy of one request an endpoint received.
type Request struct {
	Endpoint Endpoint
	Method   string
	Path     string
	Query    url.Values
	Body     []byte
	Time     time.Time
}

// failure is one queued failure injection: either a WeChat errcode in a 200 answer or, when
// status is set, a bare HTTP error status.
type failure struct {
	errcode int
	status  int
	left    int
}

// FailNext makes the next n calls to ep answer {"errcode": errcode, "errmsg": ...} instead of
// being handled, for example 40001 (stale access token), 43101 (no subscribe consent left),
// 45009 (rate limit), -1 (system busy) or 40029 (invalid code). Calls queue up: FailNext(ep, -1, 1)
// followed by FailNext(ep, 40001, 1) fails the next call with -1 and the one after with 40001.
// n <= 0 does nothing.
func (s *Server) FailNext(ep Endpoint, errcode int, n int) {
	s.enqueueFailure(ep, &failure{errcode: errcode, left: n})
}

// FailNextHTTP makes the next n calls to ep answer with the bare HTTP status (such as 502),
// as a failing gateway in front of the real API would. n <= 0 does nothing.
func (s *Server) FailNextHTTP(ep Endpoint, status int, n int) {
	s.enqueueFailure(ep, &failure{status: status, left: n})
}

func (s *Server) enqueueFailure(ep Endpoint, f *failure) {
	if f.left <= 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures[ep] = append(s.failures[ep], f)
}

// takeFailure consumes one injected failure for ep, if any is queued.
func (s *Server) takeFailure(ep Endpoint) (failure, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.failures[ep]
	if len(q) == 0 {
		return failure{}, false
	}
	f := *q[0]
	q[0].left--
	if q[0].left <= 0 {
		q = q[1:]
	}
	s.failures[ep] = q
	return f, true
}

// Delay makes every call to ep sleep d before answering; 0 clears it. A delayed call ends early
// when the client cancels the request.
func (s *Server) Delay(ep Endpoint, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if d <= 0 {
		delete(s.delays, ep)
		return
	}
	s.delays[ep] = d
}

// Requests returns copies of the requests ep received, oldest first, including those answered
// with an error. At most the latest 1000 per endpoint are kept.
func (s *Server) Requests(ep Endpoint) []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	recs := s.records[ep]
	out := make([]Request, len(recs))
	for i, r := range recs {
		r.Query = cloneValues(r.Query)
		r.Body = append([]byte(nil), r.Body...)
		out[i] = r
	}
	return out
}

// Reset clears recorded requests, queued failures, delays and the robots' rate-limit windows.
// Issued access tokens and DingTalk secrets survive, so clients holding a cached token keep
// working across tests.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.records)
	clear(s.failures)
	clear(s.delays)
	clear(s.robotHits)
}

// errMessages gives the real services' messages for the error codes kehou cares about.
var errMessages = map[int]string{
	-1:     "system error",
	40001:  "invalid credential, access_token is invalid or not latest",
	40003:  "invalid openid",
	40008:  "invalid message type",
	40013:  "invalid appid",
	40029:  "invalid code",
	40035:  "invalid parameter",
	40037:  "invalid template_id",
	40058:  "content exceed max length",
	41001:  "access_token missing",
	41004:  "appsecret missing",
	42001:  "access_token expired",
	43001:  "require GET method",
	43002:  "require POST method",
	43101:  "user refuse to accept the msg",
	44004:  "empty content",
	45009:  "api freq out of limit",
	47001:  "data format error",
	47003:  "argument invalid!",
	93000:  "invalid webhook url",
	130101: "send too fast, exceed 20 times per minute",
	300001: "token is not exist",
	310000: "sign not match",
}

// errReply builds an error answer; detail, when set, is appended to the standard message.
func errReply(code int, detail string) map[string]any {
	msg, ok := errMessages[code]
	if !ok {
		msg = "injected failure"
	}
	if detail != "" {
		msg += ": " + detail
	}
	return map[string]any{"errcode": code, "errmsg": msg}
}

// okReply is the success answer, extended with extra fields.
func okReply(extra map[string]any) map[string]any {
	out := map[string]any{"errcode": 0, "errmsg": "ok"}
	for k, v := range extra {
		out[k] = v
	}
	return out
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}
