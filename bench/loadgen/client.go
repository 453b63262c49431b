package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"
)

// client sends JSON requests to one kehou and times them.
type client struct {
	base string
	hc   *http.Client
}

// newClient keeps one idle connection per virtual user, so that the run measures the server
// and not TCP handshakes.
func newClient(base string, conns int, timeout time.Duration) *client {
	tr := &http.Transport{
		Proxy:               nil, // a load run talks to the server directly, whatever the shell's proxy settings
		MaxIdleConns:        conns * 2,
		MaxIdleConnsPerHost: conns * 2,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
	return &client{base: base, hc: &http.Client{Transport: tr, Timeout: timeout}}
}

// call is one request to make.
type call struct {
	method  string
	path    string
	token   string // bearer token, if any
	body    any    // marshalled to JSON when not nil
	headers map[string]string
}

// result is what came back. The latency covers sending the request and reading the whole
// answer, as a client would see it.
type result struct {
	status  int
	body    []byte
	latency time.Duration
	err     error // transport failure or timeout; status is 0 then
}

func (c *client) do(ctx context.Context, k call) result {
	var rd io.Reader
	if k.body != nil {
		b, err := json.Marshal(k.body)
		if err != nil {
			return result{err: fmt.Errorf("encode body: %w", err)}
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, k.method, c.base+k.path, rd)
	if err != nil {
		return result{err: err}
	}
	if k.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if k.token != "" {
		req.Header.Set("Authorization", "Bearer "+k.token)
	}
	for h, v := range k.headers {
		req.Header.Set(h, v)
	}
	start := time.Now()
	resp, err := c.hc.Do(req)
	if err != nil {
		return result{err: err, latency: time.Since(start)}
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	r := result{status: resp.StatusCode, body: body, latency: time.Since(start), err: err}
	if err != nil {
		r.status = 0
	}
	return r
}

// expect performs a setup request that must answer want, and decodes its JSON into out.
func (c *client) expect(ctx context.Context, k call, want int, out any) error {
	r := c.do(ctx, k)
	if r.err != nil {
		return fmt.Errorf("%s %s: %w", k.method, k.path, r.err)
	}
	if r.status != want {
		return fmt.Errorf("%s %s: status %d, want %d: %s", k.method, k.path, r.status, want, snippet(r.body))
	}
	if out != nil {
		if err := json.Unmarshal(r.body, out); err != nil {
			return fmt.Errorf("%s %s: decode answer: %w", k.method, k.path, err)
		}
	}
	return nil
}

// snippet shortens an answer for an error message.
func snippet(b []byte) string {
	const n = 200
	if len(b) > n {
		return string(b[:n]) + "…"
	}
	return string(b)
}

// session is the part of a login answer the generator needs.
type session struct {
	Token string `json:"token"`
}

// page is the shape of every list answer.
type page[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor"`
}

// idName is a list item reduced to what the generator uses.
type idName struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// listAll follows next_cursor through a list endpoint.
func listAll(ctx context.Context, c *client, path, token string) ([]idName, error) {
	var all []idName
	cursor := ""
	for {
		p := path + "?limit=100"
		if cursor != "" {
			p += "&cursor=" + url.QueryEscape(cursor)
		}
		var pg page[idName]
		if err := c.expect(ctx, call{method: http.MethodGet, path: p, token: token}, http.StatusOK, &pg); err != nil {
			return nil, err
		}
		all = append(all, pg.Items...)
		if pg.NextCursor == "" || len(pg.Items) == 0 {
			return all, nil
		}
		cursor = pg.NextCursor
	}
}
