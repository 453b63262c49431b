package sms

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
	"time"
)

// TC3 constants. Tencent Cloud API 3.0 signs with "TC3-HMAC-SHA256"; the credential scope
// ends in "tc3_request", and the service name must match the endpoint's product ("sms").
const (
	algorithm     = "TC3-HMAC-SHA256"
	service       = "sms"
	scopeTerminal = "tc3_request"
	signedHeaders = "content-type;host"
	contentType   = "application/json; charset=utf-8"
)

// signer computes TC3-HMAC-SHA256 Authorization headers for one key pair.
type signer struct {
	secretID, secretKey string
	service             string
}

// authorization returns the Authorization header value for a POST of payload to host at
// time ts, signing only content-type and host (the two headers Tencent requires). The
// content type passed here must be byte-for-byte the one sent, or the server's check fails.
func (s signer) authorization(host, ctype string, payload []byte, ts time.Time) string {
	// The date in the scope is the UTC date of the timestamp, never local time: in Beijing a
	// local date would break every request between 00:00 and 08:00.
	date := ts.UTC().Format("2006-01-02")
	scope := date + "/" + s.service + "/" + scopeTerminal

	canonical := "POST\n" +
		"/\n" + // API 3.0 always uses the root path
		"\n" + // POST bodies carry the parameters, so the query string is empty
		"content-type:" + strings.ToLower(strings.TrimSpace(ctype)) + "\n" +
		"host:" + strings.ToLower(strings.TrimSpace(host)) + "\n" +
		"\n" +
		signedHeaders + "\n" +
		sha256Hex(payload)

	stringToSign := algorithm + "\n" +
		strconv.FormatInt(ts.Unix(), 10) + "\n" +
		scope + "\n" +
		sha256Hex([]byte(canonical))

	kDate := hmacSHA256([]byte("TC3"+s.secretKey), date)
	kService := hmacSHA256(kDate, s.service)
	kSigning := hmacSHA256(kService, scopeTerminal)
	signature := hex.EncodeToString(hmacSHA256(kSigning, stringToSign))

	return algorithm + " Credential=" + s.secretID + "/" + scope +
		", SignedHeaders=" + signedHeaders + ", Signature=" + signature
}

func hmacSHA256(key []byte, msg string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msg))
	return m.Sum(nil)
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
