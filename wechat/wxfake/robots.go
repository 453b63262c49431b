package wxfake

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"
	"time"
)

// Group robots accept robotLimit messages per robotWindow (rolling) per webhook.
const (
	robotLimit  = 20
	robotWindow = time.Minute
)

// Content limits of the WeCom group robot, in bytes.
const (
	weComTextMax     = 2048
	weComMarkdownMax = 4096
)

// dingTalkSkew is how far a DingTalk signature's timestamp may be from the server's clock.
const dingTalkSkew = time.Hour

// robotMessage covers the text and markdown messages of both robots.
type robotMessage struct {
	MsgType string `json:"msgtype"`
	Text    *struct {
		Content string `json:"content"`
	} `json:"text"`
	Markdown *struct {
		Title   string `json:"title"`   // DingTalk only
		Content string `json:"content"` // WeCom
		Text    string `json:"text"`    // DingTalk
	} `json:"markdown"`
}

// weComRobot answers POST /cgi-bin/webhook/send?key=... (WeCom group robot).
func (s *Server) weComRobot(r *http.Request, body []byte) any {
	if r.Method != http.MethodPost {
		return errReply(43002, "")
	}
	key := r.URL.Query().Get("key")
	if key == "" {
		return errReply(93000, "key missing")
	}
	var msg robotMessage
	if err := json.Unmarshal(body, &msg); err != nil {
		return errReply(40035, "invalid json")
	}
	var content string
	limit := 0
	switch {
	case msg.MsgType == "text" && msg.Text != nil:
		content, limit = msg.Text.Content, weComTextMax
	case msg.MsgType == "markdown" && msg.Markdown != nil:
		content, limit = msg.Markdown.Content, weComMarkdownMax
	default:
		return errReply(40008, "msgtype must be text or markdown with its content")
	}
	switch {
	case content == "":
		return errReply(44004, "")
	case len(content) > limit:
		return errReply(40058, "max "+strconv.Itoa(limit)+" bytes")
	}
	if !s.allowRobot("wecom:" + key) {
		return errReply(45009, "")
	}
	return okReply(nil)
}

// SetDingTalkSecret tells the fake the signing secret of the DingTalk robot with accessToken.
// From then on its messages must carry a valid timestamp and sign; robots without a secret
// accept unsigned messages, as keyword-protected robots do.
func (s *Server) SetDingTalkSecret(accessToken, secret string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if secret == "" {
		delete(s.dingSecrets, accessToken)
		return
	}
	s.dingSecrets[accessToken] = secret
}

// dingTalkRobot answers POST /robot/send?access_token=...&timestamp=...&sign=... .
func (s *Server) dingTalkRobot(r *http.Request, body []byte) any {
	if r.Method != http.MethodPost {
		return errReply(43002, "")
	}
	q := r.URL.Query()
	token := q.Get("access_token")
	if token == "" {
		return errReply(300001, "")
	}
	s.mu.Lock()
	secret, signed := s.dingSecrets[token]
	now := s.now()
	s.mu.Unlock()
	if signed && !dingTalkSignOK(secret, q.Get("timestamp"), q.Get("sign"), now) {
		return errReply(310000, "")
	}
	var msg robotMessage
	if err := json.Unmarshal(body, &msg); err != nil {
		return errReply(40035, "invalid json")
	}
	switch {
	case msg.MsgType == "text" && msg.Text != nil && msg.Text.Content != "":
	case msg.MsgType == "markdown" && msg.Markdown != nil && msg.Markdown.Title != "" && msg.Markdown.Text != "":
	default:
		return errReply(40035, "msgtype must be text or markdown with its content")
	}
	if !s.allowRobot("dingtalk:" + token) {
		return errReply(130101, "")
	}
	return okReply(nil)
}

// dingTalkSignOK checks sign = base64(HMAC-SHA256(secret, timestamp+"\n"+secret)) and that the
// millisecond timestamp is within dingTalkSkew of now. sign arrives already URL-decoded.
func dingTalkSignOK(secret, timestamp, sign string, now time.Time) bool {
	ms, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return false
	}
	if d := now.Sub(time.UnixMilli(ms)); d > dingTalkSkew || d < -dingTalkSkew {
		return false
	}
	want := dingTalkSign(secret, timestamp)
	return hmac.Equal([]byte(sign), []byte(want))
}

// dingTalkSign computes the (not yet URL-encoded) signature DingTalk expects.
func dingTalkSign(secret, timestamp string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(timestamp + "\n" + secret))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// allowRobot counts one message against the rolling per-webhook limit and reports whether it
// may be delivered. Rejected messages do not count.
func (s *Server) allowRobot(key string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	hits := s.robotHits[key]
	i := 0
	for i < len(hits) && !hits[i].After(now.Add(-robotWindow)) {
		i++
	}
	hits = hits[i:]
	if len(hits) >= robotLimit {
		s.robotHits[key] = hits
		return false
	}
	s.robotHits[key] = append(hits, now)
	return true
}
