// Package wxfake is a fake of the WeChat (mini-program and official account), WeCom group robot
// and DingTalk group robot HTTP APIs that kehou calls.
//
// Tests and the app's sandbox mode point their HTTP clients at a Server through
// Server.Transport or Server.HTTPClient: requests for api.weixin.qq.com, qyapi.weixin.qq.com and
// oapi.dingtalk.com then reach the fake instead of the Internet. The fake behaves like the real
// services where kehou depends on it (access tokens that a newer token invalidates, the robots'
// 20 messages a minute, DingTalk signatures, subscribe-message field limits) and lets tests
// inject failures and delays per endpoint. Every request is recorded for inspection, also over
// HTTP at GET /_fake/requests for sandbox operators.
package wxfake

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"
)

// Endpoint names one faked API. Failure injection, delays and records are kept per endpoint.
type Endpoint string

// The faked endpoints.
const (
	EpCode2Session  Endpoint = "code2session"   // GET /sns/jscode2session
	EpToken         Endpoint = "token"          // GET /cgi-bin/token and POST /cgi-bin/stable_token
	EpSubscribeSend Endpoint = "subscribe_send" // POST /cgi-bin/message/subscribe/send?access_token=
	EpTemplateSend  Endpoint = "template_send"  // POST /cgi-bin/message/template/send?access_token=
	EpPhoneNumber   Endpoint = "phone_number"   // POST /wxa/business/getuserphonenumber?access_token=
	EpWeComRobot    Endpoint = "wecom_robot"    // POST /cgi-bin/webhook/send?key=
	EpDingTalkRobot Endpoint = "dingtalk_robot" // POST /robot/send?access_token=&timestamp=&sign=
)

// allEndpoints lists every endpoint in a fixed order (used by the inspection API).
var allEndpoints = []Endpoint{EpCode2Session, EpToken, EpSubscribeSend, EpTemplateSend,
	EpPhoneNumber, EpWeComRobot, EpDingTalkRobot}

// handlerFunc answers one API call; the result is written as the JSON body of a 200 response,
// as the real APIs report errors in the body rather than in the HTTP status.
type handlerFunc func(s *Server, r *http.Request, body []byte) any

type route struct {
	ep     Endpoint
	handle handlerFunc
}

// routes maps request paths to endpoints. The paths of the three providers do not collide, so
// one server can stand in for all of their hosts.
var routes = map[string]route{
	"/sns/jscode2session":              {EpCode2Session, (*Server).code2Session},
	"/cgi-bin/token":                   {EpToken, (*Server).token},
	"/cgi-bin/stable_token":            {EpToken, (*Server).stableToken},
	"/cgi-bin/message/subscribe/send":  {EpSubscribeSend, (*Server).subscribeSend},
	"/cgi-bin/message/template/send":   {EpTemplateSend, (*Server).templateSend},
	"/wxa/business/getuserphonenumber": {EpPhoneNumber, (*Server).phoneNumber},
	"/cgi-bin/webhook/send":            {EpWeComRobot, (*Server).weComRobot},
	"/robot/send":                      {EpDingTalkRobot, (*Server).dingTalkRobot},
}

// maxBody bounds request bodies; the real APIs accept far less than this.
const maxBody = 1 << 20

// Server is a fake WeChat/WeCom/DingTalk API server. It is safe for concurrent use. The zero
// value is not usable; call New.
type Server struct {
	mu          sync.Mutex
	now         func() time.Time // replaced in tests to move the rate-limit window
	records     map[Endpoint][]Request
	failures    map[Endpoint][]*failure
	delays      map[Endpoint]time.Duration
	tokens      map[string]tokenInfo // issued, still-current access tokens by value
	current     map[string]string    // "appid|kind" -> current token value
	robotHits   map[string][]time.Time
	dingSecrets map[string]string
	msgID       int64

	httpSrv   *http.Server
	baseURL   string
	transport *http.Transport // dials the listening server; owned by the Server
}

// New returns a Server that is not listening yet. It can serve through ServeHTTP, through
// Transport (in-process while not listening) or over TCP after Start.
func New() *Server {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = nil // never send loopback traffic through an environment proxy
	return &Server{
		now:         time.Now,
		records:     make(map[Endpoint][]Request),
		failures:    make(map[Endpoint][]*failure),
		delays:      make(map[Endpoint]time.Duration),
		tokens:      make(map[string]tokenInfo),
		current:     make(map[string]string),
		robotHits:   make(map[string][]time.Time),
		dingSecrets: make(map[string]string),
		msgID:       1000,
		transport:   tr,
	}
}

// Start listens on 127.0.0.1 on a free port and serves in a goroutine. It returns the base URL,
// such as "http://127.0.0.1:41234". Starting a started server is an error.
func (s *Server) Start() (baseURL string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.httpSrv != nil {
		return "", errors.New("wxfake: server already started")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("wxfake: listen: %w", err)
	}
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	s.httpSrv = srv
	s.baseURL = "http://" + ln.Addr().String()
	return s.baseURL, nil
}

// Close stops the listener started by Start and drops idle client connections. Closing a server
// that never started is a no-op.
func (s *Server) Close() error {
	s.mu.Lock()
	srv := s.httpSrv
	s.httpSrv, s.baseURL = nil, ""
	s.mu.Unlock()
	s.transport.CloseIdleConnections()
	if srv == nil {
		return nil
	}
	return srv.Close()
}

// URL returns the base URL the server listens on, or "" when it is not listening.
func (s *Server) URL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.baseURL
}

// ServeHTTP answers one request: the inspection API under /_fake/, a faked endpoint, or 404.
// Delays and injected failures apply before an endpoint's normal handling.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/_fake/requests" {
		s.serveInspect(w, r)
		return
	}
	rt, ok := routes[r.URL.Path]
	if !ok {
		http.NotFound(w, r)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		http.Error(w, "request body too large or unreadable", http.StatusRequestEntityTooLarge)
		return
	}
	s.record(rt.ep, r, body)
	if err := s.wait(r.Context(), rt.ep); err != nil {
		return // the client gave up; nobody reads an answer
	}
	if f, ok := s.takeFailure(rt.ep); ok {
		if f.status != 0 {
			http.Error(w, http.StatusText(f.status), f.status)
			return
		}
		writeJSON(w, errReply(f.errcode, ""))
		return
	}
	writeJSON(w, rt.handle(s, r, body))
}

// wait sleeps for the endpoint's configured delay, or until ctx ends.
func (s *Server) wait(ctx context.Context, ep Endpoint) error {
	s.mu.Lock()
	d := s.delays[ep]
	s.mu.Unlock()
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// record stores a copy of a received request, keeping at most maxRecords per endpoint so a
// long-running sandbox does not grow without bound.
func (s *Server) record(ep Endpoint, r *http.Request, body []byte) {
	req := Request{
		Endpoint: ep,
		Method:   r.Method,
		Path:     r.URL.Path,
		Query:    cloneValues(r.URL.Query()),
		Body:     append([]byte(nil), body...),
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	req.Time = s.now()
	recs := append(s.records[ep], req)
	if len(recs) > maxRecords {
		recs = append([]Request(nil), recs[len(recs)-maxRecords:]...)
	}
	s.records[ep] = recs
}

func cloneValues(v url.Values) url.Values {
	out := make(url.Values, len(v))
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}
