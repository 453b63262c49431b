package models

import (
	"crypto/rand"
	"fmt"
	"math/big"
	"strings"
)

// Check-in codes are the short form of an open-day sign-up's entry code: what a parent reads
// out and a school admin types on a phone when the QR code (the signed CheckinToken) cannot be
// scanned. A code is 8 digits: 7 random ones and a Damm check digit, shown as "1234 5678".
// Digits, because they are read aloud in Chinese without ambiguity and typed on a phone's
// number pad; the check digit, because a typed code is mistyped: every single wrong digit and
// every swap of two neighbours is caught as "not a code" (422) instead of checking in another
// family. A code is unique within its event only (the store's index is on event and code),
// random and not derived from any id, so one family's code says nothing about another's.
//
// Guessing: an event holds at most MaxEventSessions × MaxCapacity = 100,000 families in 10^7
// possible codes, a realistic open day a few hundred; a code is tried only by a signed-in staff
// account whose scope covers the event (its check-in is audited under its name), within the
// per-account rate limit, and the server refuses an account's code attempts after
// MaxCheckinMisses misses in a minute. Even knowing the check digit, a guesser would hit one of
// 500 families' codes once in ~20,000 tries, some 17 hours at 20 a minute, and gain only a false
// "arrived" mark under their own name.
const (
	CheckinCodeLen   = 8
	MaxCheckinMisses = 20 // wrong codes per staff account per minute before its attempts are refused
)

// damm is the Damm algorithm's quasigroup table (weakly totally anti-symmetric, order 10).
var damm = [10][10]byte{
	{0, 3, 1, 7, 5, 9, 8, 6, 4, 2},
	{7, 0, 9, 2, 1, 5, 4, 8, 6, 3},
	{4, 2, 0, 6, 8, 7, 1, 3, 5, 9},
	{1, 7, 5, 0, 9, 8, 3, 4, 2, 6},
	{6, 1, 2, 3, 0, 4, 5, 9, 7, 8},
	{3, 6, 7, 4, 2, 0, 9, 5, 8, 1},
	{5, 8, 6, 9, 7, 2, 0, 1, 3, 4},
	{8, 9, 4, 5, 3, 6, 2, 0, 1, 7},
	{9, 4, 3, 8, 6, 1, 7, 2, 0, 5},
	{2, 5, 8, 1, 4, 3, 6, 7, 9, 0},
}

// dammDigit is the check digit of digits (0 when digits end with their valid check digit).
func dammDigit(digits string) byte {
	var interim byte
	for i := 0; i < len(digits); i++ {
		interim = damm[interim][digits[i]-'0']
	}
	return interim
}

// NewCheckinCode returns a fresh random code (7 random digits and their check digit).
func NewCheckinCode() string {
	n, err := rand.Int(rand.Reader, big.NewInt(10_000_000))
	if err != nil {
		panic(fmt.Sprintf("check-in code: %v", err)) // crypto/rand does not fail on supported systems
	}
	body := fmt.Sprintf("%07d", n.Int64())
	return body + string('0'+dammDigit(body))
}

// NormalizeCheckinCode reads a typed code: spaces and dashes are dropped, full-width digits
// become digits; ok is false unless it is 8 digits with a valid check digit.
func NormalizeCheckinCode(typed string) (string, bool) {
	var b strings.Builder
	for _, r := range typed {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r >= '０' && r <= '９':
			b.WriteRune('0' + r - '０')
		case r == ' ' || r == '-' || r == '\u3000' || r == '\t':
		default:
			return "", false
		}
	}
	code := b.String()
	if len(code) != CheckinCodeLen || dammDigit(code) != 0 {
		return "", false
	}
	return code, true
}

// CheckinKey is what the store indexes, unique: the event and the code, so that a code is
// found with one query and two sign-ups of one event never share one.
func CheckinKey(eventID, code string) string { return eventID + ":" + code }

// CheckinCode is the sign-up's short check-in code ("" for one stored before codes existed,
// until it is given one, and for other kinds of sign-up).
func (su SignUp) CheckinCode() string {
	if i := strings.LastIndexByte(su.CheckinKey, ':'); i >= 0 {
		return su.CheckinKey[i+1:]
	}
	return ""
}
