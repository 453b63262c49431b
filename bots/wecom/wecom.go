// Package wecom sends notices to WeCom (企业微信) group chats through a group robot's webhook.
//
// A robot is addressed by its webhook key alone, so the key is a credential: it never appears
// in returned errors. Messages go out as markdown, cut to WeCom's byte limit so that a long
// notice is delivered shortened rather than refused. The robot's 20-messages-a-minute limit is
// enforced across processes by the jobs layer; this package only reports the provider's answer
// as a classified *bots.Error so the delivery job knows whether, and when, to retry.
package wecom

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"time"

	"kehou/bots"
	"kehou/bots/webhook"
)

// DefaultBaseURL is the WeCom API host that robot webhooks live on.
const DefaultBaseURL = "https://qyapi.weixin.qq.com"

// defaultTimeout bounds one call when the caller brings no client: a hung robot must not hold a
// worker forever, and the job retries anyway.
const defaultTimeout = 10 * time.Second

// Client sends markdown messages to WeCom group robots. It is safe for concurrent use.
type Client struct {
	http *http.Client
	base string
}

// New returns a client that sends through httpClient, or through a client with a 10 s timeout
// when httpClient is nil. Tests and sandbox mode pass wxfake's client, which sends requests for
// qyapi.weixin.qq.com to the fake.
func New(httpClient *http.Client) *Client {
	if httpClient == nil {
		httpClient = &http.Client{Timeout: defaultTimeout}
	}
	return &Client{http: httpClient, base: DefaultBaseURL}
}

// Compile-time check that Client is a notifier channel.
var _ bots.Notifier = (*Client)(nil)

// sendBody is the markdown message the webhook accepts.
type sendBody struct {
	MsgType  string `json:"msgtype"`
	Markdown struct {
		Content string `json:"content"`
	} `json:"markdown"`
}

// Send posts m.Title (as a markdown heading when set) and m.Text as one markdown message to the
// robot whose webhook key is m.To. The content is cut to WeCom's 4,096-byte markdown limit on a
// UTF-8 boundary, ending in "…". The robot API returns no message id, so on success the
// provider id is "". Failures are *bots.Error.
func (c *Client) Send(ctx context.Context, m bots.Message) (string, error) {
	if m.To == "" {
		// Without a key the request would reach WeCom as "key=" and come back as 93000 anyway.
		return "", &bots.Error{Permanent: true, Reason: bots.ReasonInvalidRecipient,
			Err: errors.New("wecom: send: no webhook key")}
	}
	content := buildContent(m.Title, m.Text)
	if content == "" {
		// WeCom refuses empty content (44004); no retry can fix a message with nothing in it.
		return "", &bots.Error{Permanent: true, Reason: bots.ReasonTemplateMismatch,
			Err: errors.New("wecom: send: empty message")}
	}
	var body sendBody
	body.MsgType = "markdown"
	body.Markdown.Content = content
	u := c.base + "/cgi-bin/webhook/send?" + url.Values{"key": {m.To}}.Encode()
	code, msg, err := webhook.Post(ctx, c.http, u, body, "wecom", RateLimitWait)
	if err != nil {
		return "", err
	}
	if code != 0 {
		return "", classify(code, msg)
	}
	return "", nil
}
