// Package sms sends text messages through Tencent Cloud SMS (API 3.0, SendSms version
// 2021-01-11). It is a small client of our own rather than the Tencent SDK: one action, a
// TC3-HMAC-SHA256 signature and a JSON body are all we need, and owning the code lets us
// classify every answer into a *bots.Error and keep phone numbers out of error strings.
// Package smsfake provides a fake endpoint that verifies the signature independently.
package sms

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
	"strings"
	"time"

	"kehou/bots"
)

// DefaultEndpoint is Tencent Cloud SMS's public API endpoint.
const DefaultEndpoint = "https://sms.tencentcloudapi.com"

// API action and version sent in the X-TC-* headers.
const (
	action  = "SendSms"
	version = "2021-01-11"
)

// maxResponse bounds how much of an answer we read: a SendSms answer for one number is well
// under a kilobyte, and a misbehaving proxy must not make us buffer without limit.
const maxResponse = 1 << 20

// Config configures a Client. Endpoint, HTTPClient and Now have defaults; the rest is required.
type Config struct {
	Endpoint   string // default DefaultEndpoint
	Region     string // e.g. "ap-guangzhou"
	SecretID   string
	SecretKey  string
	SdkAppID   string // SmsSdkAppId from the SMS console
	SignName   string // approved SMS signature, e.g. the bureau's name
	HTTPClient *http.Client
	Now        func() time.Time // for tests; default time.Now
}

// Client sends SMS through Tencent Cloud. It is safe for concurrent use.
type Client struct {
	endpoint string
	host     string
	region   string
	sdkAppID string
	signName string
	sign     signer
	http     *http.Client
	now      func() time.Time
}

var _ bots.Notifier = (*Client)(nil)

// New validates cfg and returns a Client.
func New(cfg Config) (*Client, error) {
	if cfg.Endpoint == "" {
		cfg.Endpoint = DefaultEndpoint
	}
	u, err := url.Parse(cfg.Endpoint)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("sms: endpoint %q is not an http(s) URL", cfg.Endpoint)
	}
	var missing []string
	for _, f := range []struct{ name, val string }{
		{"Region", cfg.Region}, {"SecretID", cfg.SecretID}, {"SecretKey", cfg.SecretKey},
		{"SdkAppID", cfg.SdkAppID}, {"SignName", cfg.SignName},
	} {
		if strings.TrimSpace(f.val) == "" {
			missing = append(missing, f.name)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("sms: config: missing %s", strings.Join(missing, ", "))
	}
	if cfg.HTTPClient == nil {
		// Send tasks call the one endpoint many at a time (20 per task, several tasks per
		// worker); Go's default keeps only 2 idle connections per host, so the rest would
		// make a new TLS connection for every message.
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConnsPerHost = 256
		cfg.HTTPClient = &http.Client{Timeout: 10 * time.Second, Transport: t}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Client{
		endpoint: u.String(),
		host:     u.Host,
		region:   cfg.Region,
		sdkAppID: cfg.SdkAppID,
		signName: cfg.SignName,
		sign:     signer{secretID: cfg.SecretID, secretKey: cfg.SecretKey, service: service},
		http:     cfg.HTTPClient,
		now:      cfg.Now,
	}, nil
}

// sendRequest is the SendSms body. Field names are Tencent's, case included.
type sendRequest struct {
	PhoneNumberSet   []string `json:"PhoneNumberSet"`
	SmsSdkAppID      string   `json:"SmsSdkAppId"`
	SignName         string   `json:"SignName"`
	TemplateID       string   `json:"TemplateId"`
	TemplateParamSet []string `json:"TemplateParamSet"`
	SessionContext   string   `json:"SessionContext"`
}

// Send implements bots.Notifier. m.To is an E.164 number (+8613800138000), m.TemplateID the
// approved template's id, m.Params its parameters in order, and m.Ref travels as
// SessionContext so Tencent's delivery receipts can be matched to our delivery. It returns
// Tencent's SerialNo for the message.
func (c *Client) Send(ctx context.Context, m bots.Message) (string, error) {
	if !isE164(m.To) {
		return "", &bots.Error{Permanent: true, Reason: bots.ReasonInvalidRecipient,
			Err: fmt.Errorf("sms: recipient %q is not an E.164 number", MaskPhone(m.To))}
	}
	if strings.TrimSpace(m.TemplateID) == "" {
		return "", &bots.Error{Permanent: true, Reason: bots.ReasonTemplateMismatch,
			Err: errors.New("sms: message has no template id")}
	}
	params := m.Params
	if params == nil {
		params = []string{} // Tencent wants an empty array, not null, for "no parameters"
	}
	body, err := json.Marshal(sendRequest{
		PhoneNumberSet:   []string{m.To},
		SmsSdkAppID:      c.sdkAppID,
		SignName:         c.signName,
		TemplateID:       m.TemplateID,
		TemplateParamSet: params,
		SessionContext:   m.Ref,
	})
	if err != nil {
		return "", fmt.Errorf("sms: encode request: %w", err)
	}

	now := c.now()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint, bytes.NewReader(body))
	if err != nil {
		return "", fmt.Errorf("sms: build request: %w", err)
	}
	req.Host = c.host // the host we signed is the host we send
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("X-TC-Action", action)
	req.Header.Set("X-TC-Version", version)
	req.Header.Set("X-TC-Timestamp", strconv.FormatInt(now.Unix(), 10))
	req.Header.Set("X-TC-Region", c.region)
	req.Header.Set("Authorization", c.sign.authorization(c.host, contentType, body, now))

	resp, err := c.http.Do(req)
	if err != nil {
		// The body, and so the number, is not part of a transport error: only the endpoint is.
		return "", &bots.Error{Reason: bots.ReasonNetwork, Err: fmt.Errorf("sms: send: %w", err)}
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return "", &bots.Error{Reason: bots.ReasonNetwork, Err: fmt.Errorf("sms: read response: %w", err)}
	}
	return c.parse(resp.StatusCode, raw)
}
