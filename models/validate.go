package models

import (
	"sort"
	"strings"
	"unicode/utf8"
)

// FieldErrors maps a field name (JSON name, dotted for nesting) to a message a user can read.
// It is an error so that validation results travel through ordinary error returns; the server
// renders it as a 422 with the fields listed.
type FieldErrors map[string]string

// Error lists the fields in a stable order.
func (f FieldErrors) Error() string {
	keys := make([]string, 0, len(f))
	for k := range f {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString("invalid fields:")
	for _, k := range keys {
		b.WriteString(" " + k + "=" + f[k])
	}
	return b.String()
}

// Add records a message for field unless it already has one (the first problem is the one to fix).
func (f FieldErrors) Add(field, msg string) {
	if _, ok := f[field]; !ok {
		f[field] = msg
	}
}

// Err returns f as an error, or nil when there is nothing wrong.
func (f FieldErrors) Err() error {
	if len(f) == 0 {
		return nil
	}
	return f
}

// Common field messages, in Chinese because they reach users.
const (
	MsgRequired = "必填"
	MsgTooLong  = "过长"
	MsgInvalid  = "格式不正确"
)

// MaxText bounds any string of any request body (server/decode.go), above every field's own
// limit (the longest, a good-practice case's text, is 10,000 characters).
const MaxText = 10000

// CheckText requires a trimmed non-empty string of at most max characters.
func (f FieldErrors) CheckText(field, value string, max int) {
	v := strings.TrimSpace(value)
	switch {
	case v == "":
		f.Add(field, MsgRequired)
	case utf8.RuneCountInString(v) > max:
		f.Add(field, MsgTooLong)
	}
}

// CheckOptionalText allows empty but limits length.
func (f FieldErrors) CheckOptionalText(field, value string, max int) {
	if utf8.RuneCountInString(strings.TrimSpace(value)) > max {
		f.Add(field, MsgTooLong)
	}
}
