// Package dingtalk sends notices to DingTalk (钉钉) group chats through a group robot.
//
// A robot is addressed by its access token, and may additionally require every message to be
// signed with the robot's secret (HMAC-SHA256 over the timestamp). Both are credentials, so
// neither appears in returned errors. The robot's 20-messages-a-minute limit is enforced across
// processes by the jobs layer; this package only reports the provider's answer as a classified
// *bots.Error so the delivery job knows whether, and when, to retry.
package dingtalk

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"time"

	"kehou/bots"
	"kehou/bots/webhook"
)

// DefaultBaseURL is the DingTalk API host robots live on.
const DefaultBaseURL = "https://oapi.dingtalk.com"

// defaultTimeout bounds one call when the caller brings no client: a hung robot must not hold a
// worker forever, and the job retries anyway.
const defaultTimeout = 10 * time.Second

// Client sends markdown messages to DingTalk group robots. It is safe for concurrent use.
type Client struct {
	http *http.Client
	base string
}

// New returns a client that sends through httpClient, or through a client with a 10 s timeout
// when httpClient is nil. Tests and sandbox mode pass wxfake's client, which sends requests for
// oapi.dingtalk.com to the fake.
func New(httpClient *http.Client) *Client {
	if httpClient == nil {
		httpClient = &http.Client{Timeout: defaultTimeout}
	}
	return &Client{http: httpClient, base: DefaultBaseURL}
}

// Compile-time check that Client is a notifier channel.
var _ bots.Notifier = (*Client)(nil)

// markdown is the robot's markdown message. The title is what the chat list and the
// notification preview show; the text is the message itself.
type markdown struct {
	MsgType  string `json:"msgtype"`
	Markdown struct {
		Title string `json:"title"`
		Text  string `json:"text"`
	} `json:"markdown"`
}

// Send posts m as one markdown message to the robot whose access token is m.To. DingTalk
// requires a title, so when m.Title is empty the first line of m.Text stands in for it. When
// m.Secret is set the request is signed (see Sign). The robot API returns no message id, so on
// success the provider id is "". Failures are *bots.Error.
func (c *Client) Send(ctx context.Context, m bots.Message) (string, error) {
	if m.To == "" {
		// Without a token the request would come back as 300001 anyway.
		return "", &bots.Error{Permanent: true, Reason: bots.ReasonInvalidRecipient,
			Err: errors.New("dingtalk: send: no access token")}
	}
	title, text := buildMessage(m.Title, m.Text)
	if title == "" || text == "" {
		// DingTalk refuses a markdown message without a title or text; no retry can fix that.
		return "", &bots.Error{Permanent: true, Reason: bots.ReasonTemplateMismatch,
			Err: errors.New("dingtalk: send: empty message")}
	}
	var body markdown
	body.MsgType = "markdown"
	body.Markdown.Title, body.Markdown.Text = title, text
	q := url.Values{"access_token": {m.To}}
	if m.Secret != "" {
		ts, sign := Sign(m.Secret, time.Now())
		q.Set("timestamp", ts)
		q.Set("sign", sign) // Encode URL-encodes it once, as DingTalk expects
	}
	u := c.base + "/robot/send?" + q.Encode()
	code, msg, err := webhook.Post(ctx, c.http, u, body, "dingtalk", RateLimitWait)
	if err != nil {
		return "", err
	}
	if code != 0 {
		return "", classify(code, msg)
	}
	return "", nil
}
