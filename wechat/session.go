package wechat

import (
	"fmt"
	"log/slog"
)

// Session is the result of a login. SessionKey must stay on the server (it decrypts the user's
// data); String, GoString and LogValue hide it so that printing or logging a Session with fmt
// or log/slog cannot leak it. Do not marshal a Session into API responses.
type Session struct {
	OpenID, UnionID, SessionKey string
}

// String implements fmt.Stringer without the session key.
func (s Session) String() string {
	return fmt.Sprintf("{OpenID:%s UnionID:%s SessionKey:%s}", s.OpenID, s.UnionID, mask(s.SessionKey))
}

// GoString implements fmt.GoStringer (the %#v verb) without the session key.
func (s Session) GoString() string {
	return fmt.Sprintf("wechat.Session{OpenID:%q, UnionID:%q, SessionKey:%q}", s.OpenID, s.UnionID, mask(s.SessionKey))
}

// LogValue implements slog.LogValuer without the session key.
func (s Session) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("openid", s.OpenID),
		slog.String("unionid", s.UnionID),
		slog.String("session_key", mask(s.SessionKey)),
	)
}

// mask shows whether a secret is set without showing it.
func mask(secret string) string {
	if secret == "" {
		return ""
	}
	return "REDACTED"
}
