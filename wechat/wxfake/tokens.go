package wxfake

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"time"
)

// tokenTTL is how long an access token lives, as on the real service.
const tokenTTL = 7200 * time.Second

// tokenInfo describes an issued access token that is still the latest of its kind.
type tokenInfo struct {
	appID   string
	expires time.Time
}

// token answers GET /cgi-bin/token. Each call issues a new token and invalidates the previous
// one for the same appid, which is why the real app must share one cached token.
func (s *Server) token(r *http.Request, _ []byte) any {
	if r.Method != http.MethodGet {
		return errReply(43001, "")
	}
	q := r.URL.Query()
	appID, secret := q.Get("appid"), q.Get("secret")
	switch {
	case appID == "":
		return errReply(40013, "appid missing")
	case secret == "":
		return errReply(41004, "")
	}
	tok, ttl := s.issueToken(appID, "normal", true)
	return map[string]any{"access_token": tok, "expires_in": int(ttl / time.Second)}
}

// stableToken answers POST /cgi-bin/stable_token. Like the real API, stable tokens are kept
// apart from ordinary ones: without force_refresh the current stable token is returned with its
// remaining lifetime; with force_refresh a new one replaces (and invalidates) it.
func (s *Server) stableToken(r *http.Request, body []byte) any {
	if r.Method != http.MethodPost {
		return errReply(43002, "")
	}
	var req struct {
		AppID        string `json:"appid"`
		Secret       string `json:"secret"`
		ForceRefresh bool   `json:"force_refresh"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		return errReply(47001, "")
	}
	switch {
	case req.AppID == "":
		return errReply(40013, "appid missing")
	case req.Secret == "":
		return errReply(41004, "")
	}
	tok, ttl := s.issueToken(req.AppID, "stable", req.ForceRefresh)
	return map[string]any{"access_token": tok, "expires_in": int(ttl / time.Second)}
}

// issueToken returns the token for (appID, kind), making a new one when fresh is set or when
// there is no live token. A new token invalidates the previous token of the same kind.
func (s *Server) issueToken(appID, kind string, fresh bool) (string, time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	slot := appID + "|" + kind
	if old, ok := s.current[slot]; ok {
		if info := s.tokens[old]; !fresh && info.expires.After(now) {
			return old, info.expires.Sub(now).Truncate(time.Second)
		}
		delete(s.tokens, old)
	}
	tok := randomString(48, base64.RawURLEncoding)
	s.tokens[tok] = tokenInfo{appID: appID, expires: now.Add(tokenTTL)}
	s.current[slot] = tok
	return tok, tokenTTL
}

// checkToken validates the access_token query parameter and returns 0 or a WeChat errcode:
// 41001 when missing, 40001 when unknown or replaced by a newer token, 42001 when expired.
func (s *Server) checkToken(r *http.Request) int {
	tok := r.URL.Query().Get("access_token")
	if tok == "" {
		return 41001
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	info, ok := s.tokens[tok]
	switch {
	case !ok:
		return 40001
	case !info.expires.After(s.now()):
		return 42001
	}
	return 0
}

// randomString returns n random bytes in the given encoding.
func randomString(n int, enc *base64.Encoding) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return enc.EncodeToString(b)
}
