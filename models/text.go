package models

import (
	"bytes"
	"errors"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
)

// MsgBadText answers text with invalid UTF-8 or a NUL character, wherever it comes in (a JSON
// body, a query parameter, an uploaded file): such text is refused, never stored.
const MsgBadText = "含有无效字符（非UTF-8编码或空字符）"

// ErrBadText is an uploaded file whose bytes are neither UTF-8 nor GB18030, or hold a NUL.
var ErrBadText = errors.New("text: neither UTF-8 nor GB18030, or a NUL character")

// BadText reports text that is not valid UTF-8 or contains a NUL.
func BadText(s string) bool { return !utf8.ValidString(s) || strings.IndexByte(s, 0) >= 0 }

// DecodeTextFile reads an uploaded text file (CSV) as Chinese offices save them: UTF-8 with or
// without a BOM, or GB18030 (GBK) from Excel. Bytes that decode as neither (the GB18030
// decoder would turn them into U+FFFD) and NUL characters are ErrBadText.
func DecodeTextFile(raw []byte) ([]byte, error) {
	raw = bytes.TrimPrefix(raw, []byte("\xef\xbb\xbf"))
	if !utf8.Valid(raw) {
		dec, err := simplifiedchinese.GB18030.NewDecoder().Bytes(raw)
		if err != nil || bytes.ContainsRune(dec, utf8.RuneError) {
			return nil, ErrBadText
		}
		raw = dec
	}
	if bytes.IndexByte(raw, 0) >= 0 {
		return nil, ErrBadText
	}
	return raw, nil
}
