package sms

import (
	"regexp"
	"strings"
)

// MaskPhone hides the middle of a phone number so that logs, errors and reports can show which
// number was meant without revealing it: "+8613812345678" becomes "138****5678". Mainland
// numbers lose their country code (staff recognise the 11-digit form); other numbers keep
// their first three and last four characters. Anything shorter than eight characters is
// masked entirely, because showing seven of it would show nearly all of it. The number of
// stars is fixed so the mask does not reveal the length either.
func MaskPhone(p string) string {
	p = strings.TrimSpace(p)
	if p == "" {
		return ""
	}
	for _, cc := range []string{"+86", "0086", "86"} {
		if rest, ok := strings.CutPrefix(p, cc); ok && len(rest) == 11 && allDigits(rest) {
			p = rest
			break
		}
	}
	if len(p) < 8 {
		return "****"
	}
	return p[:3] + "****" + p[len(p)-4:]
}

func allDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

// phoneLike matches digit runs long enough to be a phone number, with an optional "+".
var phoneLike = regexp.MustCompile(`\+?[0-9]{7,}`)

// scrub masks anything that looks like a phone number in provider text before it goes into an
// error string: Tencent's messages may echo the request, and error strings end up in logs and
// reports where the personal data of minors' families must not appear.
func scrub(s string) string {
	return phoneLike.ReplaceAllStringFunc(s, MaskPhone)
}

// e164 is the shape Tencent asks for: "+", a country code not starting with 0, and at most 15
// digits in all.
var e164 = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)

// isE164 reports whether p is an E.164 phone number.
func isE164(p string) bool { return e164.MatchString(p) }
