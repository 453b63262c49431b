package dingtalk

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// maxTitle bounds a title derived from the text. The title only feeds the chat list and the
// notification preview, which show a few dozen characters at most.
const maxTitle = 64

// Sign returns the timestamp (Unix milliseconds) and signature a robot with a signing secret
// requires: base64(HMAC-SHA256(secret, timestamp+"\n"+secret)). DingTalk expects sign
// URL-encoded in the query string; it is returned plain, to be encoded exactly once by
// url.Values.Encode, since base64 contains '+' and '/' that a second encoding would break.
// DingTalk refuses timestamps more than an hour from its clock, so ts should be now.
func Sign(secret string, ts time.Time) (timestamp, sign string) {
	timestamp = strconv.FormatInt(ts.UnixMilli(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(timestamp + "\n" + secret))
	return timestamp, base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// buildMessage returns the markdown title and text to send. DingTalk requires both, so an
// empty title is taken from the first non-blank line of the text, without markdown heading
// marks, and an empty text repeats the title as a heading.
func buildMessage(title, text string) (string, string) {
	// The title is a single line in the chat list; line breaks would be shown as spaces anyway.
	title = strings.Join(strings.Fields(title), " ")
	text = strings.TrimSpace(text)
	switch {
	case title == "" && text != "":
		title = firstLine(text)
	case title != "" && text == "":
		text = "### " + title
	case title != "":
		// Group chats show only the text, so the title leads it as a heading, as on WeCom.
		text = "### " + title + "\n\n" + text
	}
	return title, text
}

// firstLine returns the first non-blank line of markdown text without heading marks, cut to
// maxTitle characters.
func firstLine(text string) string {
	for line := range strings.Lines(text) {
		line = strings.TrimSpace(strings.TrimLeft(strings.TrimSpace(line), "#"))
		if line == "" {
			continue
		}
		if utf8.RuneCountInString(line) > maxTitle {
			r := []rune(line)
			line = string(r[:maxTitle-1]) + "…"
		}
		return line
	}
	return ""
}
