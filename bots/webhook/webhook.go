// Package webhook is the HTTP exchange that WeCom and DingTalk group robots share: a JSON
// message posted to a URL that carries the robot's credential, an answer with errcode and
// errmsg in the body of a 200, and failures classified without ever quoting that URL.
package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"kehou/bots"
)

// maxAnswer bounds how much of an answer is read; the real answer is a few dozen bytes, and a
// misbehaving proxy must not make a worker buffer an arbitrary page.
const maxAnswer = 64 << 10

// answer is a robot API's reply.
type answer struct {
	ErrCode *int   `json:"errcode"`
	ErrMsg  string `json:"errmsg"`
}

// Post sends body as JSON to u and returns the answer's errcode and errmsg for the caller to
// classify. Everything else is a retryable *bots.Error whose message starts with name: a
// transport failure, a status other than 200 (the APIs themselves always answer 200, so it
// comes from a gateway; 429 waits rateWait), or a 200 that is not the API's JSON (a captive
// portal, a proxy).
func Post(ctx context.Context, client *http.Client, u string, body any, name string, rateWait time.Duration) (int, string, error) {
	payload, err := json.Marshal(body)
	if err != nil {
		return 0, "", fmt.Errorf("%s: send: encode: %w", name, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(payload))
	if err != nil {
		return 0, "", fmt.Errorf("%s: send: %w", name, withoutURL(err))
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	resp, err := client.Do(req)
	if err != nil {
		return 0, "", networkError(name, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return 0, "", networkError(name, err)
	}
	if resp.StatusCode != http.StatusOK {
		e := &bots.Error{Reason: bots.ReasonProvider, Code: "http_" + strconv.Itoa(resp.StatusCode),
			Err: fmt.Errorf("%s: send: HTTP %d", name, resp.StatusCode)}
		if resp.StatusCode == http.StatusTooManyRequests {
			e.Reason, e.Wait = bots.ReasonRateLimited, rateWait
		}
		return 0, "", e
	}
	var a answer
	if err := json.Unmarshal(data, &a); err != nil || a.ErrCode == nil {
		return 0, "", &bots.Error{Reason: bots.ReasonProvider, Err: fmt.Errorf("%s: send: unexpected answer %.100q", name, data)}
	}
	return *a.ErrCode, a.ErrMsg, nil
}

// networkError classifies a transport failure as retryable.
func networkError(name string, err error) error {
	return &bots.Error{Reason: bots.ReasonNetwork, Err: fmt.Errorf("%s: send: %w", name, withoutURL(err))}
}

// withoutURL drops the request URL that a *url.Error quotes: it holds the robot's credential.
func withoutURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
