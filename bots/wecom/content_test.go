package wecom

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestTruncate(t *testing.T) {
	tests := []struct {
		name  string
		s     string
		limit int
		want  string
	}{
		{"fits", "abc", 10, "abc"},
		{"exactly the limit", "abcdefghij", 10, "abcdefghij"},
		{"one byte over", "abcdefghijk", 10, "abcdefg…"},
		{"cut on a boundary", "家长开放日", 12, "家长开…"},     // 9 bytes + 3
		{"cut inside a character", "家长开放日", 11, "家长…"}, // 8 bytes would split 开
		{"limit too small for the ellipsis", "家长开放日", 2, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := truncate(tc.s, tc.limit); got != tc.want {
				t.Errorf("truncate(%q, %d) = %q, want %q", tc.s, tc.limit, got, tc.want)
			}
		})
	}
}

// TestTruncateEveryCut cuts mixed-width text at every limit and checks the result is valid
// UTF-8, fits, and loses no more than one character's worth of room.
func TestTruncateEveryCut(t *testing.T) {
	s := strings.Repeat("a家é😀", 20)
	for limit := len(ellipsis); limit <= len(s)+1; limit++ {
		got := truncate(s, limit)
		if !utf8.ValidString(got) || len(got) > limit {
			t.Fatalf("limit %d: %q (len %d)", limit, got, len(got))
		}
		if limit < len(s) && len(got) <= limit-utf8.UTFMax {
			t.Fatalf("limit %d: cut too much: len %d", limit, len(got))
		}
	}
}
