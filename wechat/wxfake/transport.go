package wxfake

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// fakedHosts are the API hosts the fake stands in for.
var fakedHosts = map[string]bool{
	"api.weixin.qq.com":   true,
	"qyapi.weixin.qq.com": true,
	"oapi.dingtalk.com":   true,
}

// Transport returns an http.RoundTripper that sends every http or https request for
// api.weixin.qq.com, qyapi.weixin.qq.com and oapi.dingtalk.com to this server, keeping path and
// query. While the server listens (after Start) requests go to its base URL over TCP; before
// Start they are served in-process, so sandbox mode needs no port. Requests for any other host
// fail with an error, so nothing leaks to the real services.
func (s *Server) Transport() http.RoundTripper {
	return &transport{s: s}
}

// HTTPClient returns a client that uses Transport and a 10 s timeout.
func (s *Server) HTTPClient() *http.Client {
	return &http.Client{Transport: s.Transport(), Timeout: 10 * time.Second}
}

type transport struct{ s *Server }

// RoundTrip implements http.RoundTripper.
func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	host := strings.ToLower(req.URL.Hostname())
	if (req.URL.Scheme != "http" && req.URL.Scheme != "https") || !fakedHosts[host] {
		if req.Body != nil {
			_ = req.Body.Close() // a RoundTripper must close the body, even on error
		}
		return nil, fmt.Errorf("wxfake: refusing request to %s://%s: not a faked API host", req.URL.Scheme, req.URL.Host)
	}
	base := t.s.URL()
	if base == "" {
		return t.s.serveInProcess(req)
	}
	u, err := url.Parse(base)
	if err != nil {
		return nil, fmt.Errorf("wxfake: bad base URL: %w", err)
	}
	out := req.Clone(req.Context())
	out.URL.Scheme, out.URL.Host, out.Host = u.Scheme, u.Host, u.Host
	return t.s.transport.RoundTrip(out)
}

// serveInProcess runs the request through ServeHTTP without a network round trip.
func (s *Server) serveInProcess(req *http.Request) (*http.Response, error) {
	in := req.Clone(req.Context())
	if in.Body == nil {
		in.Body = http.NoBody
	}
	in.RequestURI = req.URL.RequestURI()
	w := &memWriter{header: make(http.Header)}
	s.ServeHTTP(w, in)
	if err := req.Context().Err(); err != nil {
		return nil, err
	}
	if w.code == 0 {
		w.code = http.StatusOK
	}
	body := w.buf.Bytes()
	w.header.Set("Content-Length", strconv.Itoa(len(body)))
	return &http.Response{
		Status:        strconv.Itoa(w.code) + " " + http.StatusText(w.code),
		StatusCode:    w.code,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        w.header,
		Body:          io.NopCloser(bytes.NewReader(body)),
		ContentLength: int64(len(body)),
		Request:       req,
	}, nil
}

// memWriter is a minimal http.ResponseWriter that buffers the answer in memory.
type memWriter struct {
	header http.Header
	code   int
	buf    bytes.Buffer
}

func (w *memWriter) Header() http.Header { return w.header }

func (w *memWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
}

func (w *memWriter) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return w.buf.Write(p)
}
