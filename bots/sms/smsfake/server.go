// Package smsfake is a fake Tencent Cloud SMS endpoint for tests, sandbox runs and load runs.
// It checks what the real service checks before it accepts a message (the TC3-HMAC-SHA256
// signature, its timestamp, the action and version headers, required fields and E.164
// numbers), answers in Tencent's JSON shapes, records what it accepted, and can be told to
// fail with any Tencent error code, always, for a count, or at random.
//
// Its signature check is written apart from package sms's signer on purpose, and both are
// tested against Tencent's published example, so a mistake in one is caught by the other.
package smsfake

import (
	"errors"
	"math/rand/v2"
	"net"
	"net/http"
	"sync"
	"time"
)

// SentSMS is one message the fake accepted.
type SentSMS struct {
	Phone          string
	TemplateID     string
	Params         []string
	SessionContext string
	SignName       string
	SdkAppID       string
	SerialNo       string
	Time           time.Time
}

// Server is a fake SMS endpoint. It is an http.Handler and safe for concurrent use.
type Server struct {
	secretID, secretKey string

	mu       sync.Mutex
	sent     []SentSMS
	seq      int64  // requests answered, for RequestId
	serials  int64  // messages accepted, for SerialNo
	failCode string // FailNext
	failLeft int
	rateCode string // FailRate
	rate     float64
	rng      *rand.Rand
	delay    time.Duration
	hold     time.Duration // HoldAnswers
	srv      *http.Server
	url      string

	now func() time.Time // the fake's clock, for the timestamp window
}

// rateSeed seeds FailRate's generator, so a run with the same calls fails the same sends.
const rateSeed = 20210111

// New returns a fake that accepts requests signed with secretID and secretKey.
func New(secretID, secretKey string) *Server {
	return &Server{secretID: secretID, secretKey: secretKey, now: time.Now,
		rng: rand.New(rand.NewPCG(rateSeed, rateSeed))}
}

// Start listens on 127.0.0.1 at a free port and serves in the background. It returns the base
// URL to use as the client's Endpoint.
func (s *Server) Start() (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.srv != nil {
		return "", errors.New("smsfake: already started")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	s.srv, s.url = srv, "http://"+ln.Addr().String()
	// Serve only ever returns http.ErrServerClosed after Close, so its error says nothing.
	go func() { _ = srv.Serve(ln) }()
	return s.url, nil
}

// Close stops the listener and drops open connections. Closing a fake never started is a no-op.
func (s *Server) Close() error {
	s.mu.Lock()
	srv := s.srv
	s.mu.Unlock()
	if srv == nil {
		return nil
	}
	return srv.Close()
}

// URL returns the base URL from Start, or "" before it.
func (s *Server) URL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.url
}

// FailNext makes the next n otherwise valid sends fail with the Tencent error code. Codes for
// a single number (invalid number, blacklist, per-number limits) come back in SendStatusSet,
// as Tencent reports them; others come back as the response's Error. A code "HTTP5xx" (e.g.
// "HTTP503") answers with that HTTP status instead, as a broken gateway would. n <= 0 clears.
func (s *Server) FailNext(code string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n <= 0 {
		code, n = "", 0
	}
	s.failCode, s.failLeft = code, n
}

// FailRate makes each otherwise valid send fail with code with probability fraction, drawn
// from a generator reseeded on every call so runs are reproducible. A fraction of 0 clears.
// FailNext, while it has sends left, takes precedence.
func (s *Server) FailRate(code string, fraction float64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if fraction <= 0 {
		code, fraction = "", 0
	}
	s.rateCode, s.rate = code, fraction
	s.rng = rand.New(rand.NewPCG(rateSeed, rateSeed))
}

// Delay makes every answer wait d first, to exercise client timeouts and slow providers.
func (s *Server) Delay(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.delay = d
}

// HoldAnswers makes the fake accept and record each message at once but answer d later, or
// never if the client gives up first: a provider that is slow to confirm, or a worker killed
// while it waited, for a message that went out all the same. 0 clears it.
func (s *Server) HoldAnswers(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hold = d
}

// Sent returns a copy of the accepted messages, oldest first.
func (s *Server) Sent() []SentSMS {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]SentSMS, len(s.sent))
	for i, m := range s.sent {
		m.Params = append([]string(nil), m.Params...)
		out[i] = m
	}
	return out
}

// Reset forgets accepted messages and clears FailNext, FailRate and Delay.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sent = nil
	s.failCode, s.failLeft = "", 0
	s.rateCode, s.rate = "", 0
	s.rng = rand.New(rand.NewPCG(rateSeed, rateSeed))
	s.delay, s.hold = 0, 0
}

// injected returns the failure code to apply to this send, or "".
func (s *Server) injected() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failLeft > 0 {
		s.failLeft--
		return s.failCode
	}
	if s.rate > 0 && s.rng.Float64() < s.rate {
		return s.rateCode
	}
	return ""
}
