package wxfake

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
	"unicode/utf8"
)

// Sandbox code prefixes understood by the fake.
const (
	devLoginPrefix = "dev:"      // wx.login code: dev:<name>
	devPhonePrefix = "devphone:" // getPhoneNumber code: devphone:<digits>
)

// code2Session answers GET /sns/jscode2session. A code "dev:<name>" logs in as a user whose
// openid and unionid derive from name alone, so the same name is the same user every time.
func (s *Server) code2Session(r *http.Request, _ []byte) any {
	if r.Method != http.MethodGet {
		return errReply(43001, "")
	}
	q := r.URL.Query()
	if q.Get("appid") == "" || q.Get("secret") == "" {
		return errReply(40013, "appid and secret are required")
	}
	name, ok := strings.CutPrefix(q.Get("js_code"), devLoginPrefix)
	if !ok || name == "" || !utf8.ValidString(name) || utf8.RuneCountInString(name) > 32 {
		return errReply(40029, "")
	}
	return map[string]any{
		"openid":      "dev_" + hashHex(name),
		"unionid":     "devu_" + hashHex("u:"+name),
		"session_key": randomString(16, base64.StdEncoding),
	}
}

// hashHex returns the first 24 hex characters of sha256(s).
func hashHex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])[:24]
}

// phoneNumber answers POST /wxa/business/getuserphonenumber: {"code":"devphone:<digits>"}
// yields <digits> as a mainland number.
func (s *Server) phoneNumber(r *http.Request, body []byte) any {
	if r.Method != http.MethodPost {
		return errReply(43002, "")
	}
	if code := s.checkToken(r); code != 0 {
		return errReply(code, "")
	}
	var req struct {
		Code string `json:"code"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		return errReply(47001, "")
	}
	digits, ok := strings.CutPrefix(req.Code, devPhonePrefix)
	if !ok || !isDigits(digits) || len(digits) > 20 {
		return errReply(40029, "")
	}
	return okReply(map[string]any{"phone_info": map[string]any{
		"phoneNumber":     digits,
		"purePhoneNumber": digits,
		"countryCode":     "86",
	}})
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// templateMessage is the part of a subscribe or template message the fake validates.
type templateMessage struct {
	ToUser     string                     `json:"touser"`
	TemplateID string                     `json:"template_id"`
	Data       map[string]json.RawMessage `json:"data"`
}

// subscribeLimits are the real per-type length limits (in characters) of subscribe-message
// fields, keyed by the field name without its trailing number ("thing1" -> "thing").
var subscribeLimits = map[string]int{
	"thing":            20,
	"phrase":           5,
	"character_string": 32,
	"number":           32,
	"letter":           32,
}

// subscribeSend answers POST /cgi-bin/message/subscribe/send.
func (s *Server) subscribeSend(r *http.Request, body []byte) any {
	if errAns := s.checkMessage(r, body, subscribeLimits); errAns != nil {
		return errAns
	}
	return okReply(nil)
}

// templateSend answers POST /cgi-bin/message/template/send (official account), with a msgid.
func (s *Server) templateSend(r *http.Request, body []byte) any {
	if errAns := s.checkMessage(r, body, nil); errAns != nil {
		return errAns
	}
	s.mu.Lock()
	s.msgID++
	id := s.msgID
	s.mu.Unlock()
	return okReply(map[string]any{"msgid": id})
}

// checkMessage validates method, token and body of a template-style message and returns an
// error answer, or nil when the message is acceptable.
func (s *Server) checkMessage(r *http.Request, body []byte, limits map[string]int) map[string]any {
	var msg templateMessage
	if r.Method != http.MethodPost {
		return errReply(43002, "")
	}
	if code := s.checkToken(r); code != 0 {
		return errReply(code, "")
	}
	if err := json.Unmarshal(body, &msg); err != nil {
		return errReply(47001, "")
	}
	switch {
	case msg.ToUser == "":
		return errReply(40003, "touser is empty")
	case msg.TemplateID == "":
		return errReply(40037, "template_id is empty")
	case len(msg.Data) == 0:
		return errReply(47003, "data is empty")
	}
	for key, raw := range msg.Data {
		value, ok := dataValue(raw)
		kind := strings.TrimRight(key, "0123456789")
		if limit, limited := limits[kind]; !ok || limited && (value == "" || utf8.RuneCountInString(value) > limit) {
			return errReply(47003, "data."+key+".value invalid")
		}
	}
	return nil
}

// dataValue extracts the value of a data item {"value": ...}, which must be a string or a number.
func dataValue(raw json.RawMessage) (string, bool) {
	var item struct {
		Value json.RawMessage `json:"value"`
	}
	if err := json.Unmarshal(raw, &item); err != nil || len(item.Value) == 0 {
		return "", false
	}
	var str string
	if err := json.Unmarshal(item.Value, &str); err == nil {
		return str, true
	}
	var num json.Number
	if err := json.Unmarshal(item.Value, &num); err == nil {
		return num.String(), true
	}
	return "", false
}
