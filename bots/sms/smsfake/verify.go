package smsfake

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// maxSkew is how far X-TC-Timestamp may be from the server's clock, as at Tencent.
const maxSkew = 5 * time.Minute

// authError is a refusal with a Tencent error code.
type authError struct{ code, msg string }

// authorization is a parsed "TC3-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=..."
// header.
type authorization struct {
	secretID, date, service, terminal string
	signedHeaders                     []string
	signature                         string
}

// parseAuthorization splits the header generically, accepting its parts in any order, so the
// fake does not simply mirror the exact string the client builds.
func parseAuthorization(h string) (authorization, bool) {
	var a authorization
	alg, rest, ok := strings.Cut(strings.TrimSpace(h), " ")
	if !ok || alg != "TC3-HMAC-SHA256" {
		return a, false
	}
	for part := range strings.SplitSeq(rest, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return a, false
		}
		switch k {
		case "Credential":
			f := strings.Split(v, "/")
			if len(f) != 4 {
				return a, false
			}
			a.secretID, a.date, a.service, a.terminal = f[0], f[1], f[2], f[3]
		case "SignedHeaders":
			a.signedHeaders = strings.Split(v, ";")
		case "Signature":
			a.signature = v
		}
	}
	return a, a.secretID != "" && len(a.signedHeaders) > 0 && a.signature != ""
}

// authenticate checks the request's TC3 signature against the fake's secret key, and returns
// nil when it holds.
func (s *Server) authenticate(r *http.Request, body []byte, now time.Time) *authError {
	a, ok := parseAuthorization(r.Header.Get("Authorization"))
	if !ok {
		return &authError{"AuthFailure.InvalidAuthorization", "Authorization header is not TC3-HMAC-SHA256"}
	}
	tsText := r.Header.Get("X-TC-Timestamp")
	ts, err := strconv.ParseInt(tsText, 10, 64)
	if err != nil {
		return &authError{"InvalidParameter", "X-TC-Timestamp is not a Unix time"}
	}
	if d := now.Sub(time.Unix(ts, 0)); d > maxSkew || d < -maxSkew {
		return &authError{"AuthFailure.SignatureExpire", "signature expired: timestamp differs from server time by more than 5 minutes"}
	}
	if a.secretID != s.secretID {
		return &authError{"AuthFailure.SecretIdNotFound", "the SecretId is not found"}
	}
	if a.date != time.Unix(ts, 0).UTC().Format(time.DateOnly) || a.service != "sms" || a.terminal != "tc3_request" {
		return &authError{"AuthFailure.SignatureFailure", "credential scope does not match timestamp or service"}
	}
	if !slices.Contains(a.signedHeaders, "content-type") || !slices.Contains(a.signedHeaders, "host") {
		return &authError{"AuthFailure.SignatureFailure", "content-type and host must be signed"}
	}
	want := tc3Signature(s.secretKey, r.Method, r.URL.RawQuery, headerValues(r, a.signedHeaders),
		body, tsText, a.date, a.service)
	if !hmac.Equal([]byte(want), []byte(a.signature)) {
		return &authError{"AuthFailure.SignatureFailure", "the provided credentials could not be validated"}
	}
	return nil
}

// headerValues returns the named headers' values as received, in the order given. Go keeps
// the Host header out of r.Header, so it is read from r.Host.
func headerValues(r *http.Request, names []string) [][2]string {
	out := make([][2]string, 0, len(names))
	for _, n := range names {
		v := r.Header.Get(n)
		if strings.EqualFold(n, "host") {
			v = r.Host
		}
		out = append(out, [2]string{n, v})
	}
	return out
}

// tc3Signature recomputes the hex signature from what was received: the canonical request
// over the listed headers (lowercased, trimmed, sorted by name), the string to sign, and the
// key derived from secretKey through date, service and "tc3_request".
func tc3Signature(secretKey, method, rawQuery string, headers [][2]string, body []byte,
	timestamp, date, service string) string {
	sorted := slices.Clone(headers)
	slices.SortFunc(sorted, func(x, y [2]string) int {
		return strings.Compare(strings.ToLower(x[0]), strings.ToLower(y[0]))
	})
	var canon, names strings.Builder
	for i, h := range sorted {
		name := strings.ToLower(strings.TrimSpace(h[0]))
		canon.WriteString(name + ":" + strings.ToLower(strings.TrimSpace(h[1])) + "\n")
		if i > 0 {
			names.WriteByte(';')
		}
		names.WriteString(name)
	}
	bodySum := sha256.Sum256(body)
	canonical := strings.Join([]string{
		strings.ToUpper(method), "/", rawQuery, canon.String(), names.String(), hex.EncodeToString(bodySum[:]),
	}, "\n")
	canonSum := sha256.Sum256([]byte(canonical))
	toSign := strings.Join([]string{
		"TC3-HMAC-SHA256", timestamp, date + "/" + service + "/tc3_request", hex.EncodeToString(canonSum[:]),
	}, "\n")

	key := []byte("TC3" + secretKey)
	for _, step := range []string{date, service, "tc3_request", toSign} {
		mac := hmac.New(sha256.New, key)
		mac.Write([]byte(step))
		key = mac.Sum(nil)
	}
	return hex.EncodeToString(key)
}
