package wecom

import (
	"strings"
	"unicode/utf8"
)

// maxContent is WeCom's limit on a markdown message's content, in bytes of UTF-8.
const maxContent = 4096

// ellipsis marks content that was cut, so readers know there was more.
const ellipsis = "…"

// buildContent builds the markdown a message is sent as: the title as a level-1 heading when
// set, then the text, cut to maxContent bytes.
func buildContent(title, text string) string {
	// A line break inside the title would end the heading and spill the rest into the body.
	title = strings.Join(strings.Fields(title), " ")
	text = strings.TrimSpace(text)
	var s string
	switch {
	case title == "":
		s = text
	case text == "":
		s = "# " + title
	default:
		s = "# " + title + "\n" + text
	}
	return truncate(s, maxContent)
}

// truncate returns s unchanged when it fits in limit bytes, and otherwise its longest prefix
// that ends on a UTF-8 character boundary and leaves room for "…", followed by "…". Cutting
// inside a multi-byte character would leave invalid UTF-8, which WeCom shows as garbage.
func truncate(s string, limit int) string {
	if len(s) <= limit {
		return s
	}
	n := limit - len(ellipsis)
	if n <= 0 {
		return ""
	}
	// s[n] exists because len(s) > limit > n; back up to the first byte of its character.
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + ellipsis
}
