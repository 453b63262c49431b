package sms

import (
	"strings"
	"testing"
)

func TestMaskPhone(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"mainland E.164", "+8613812345678", "138****5678"},
		{"mainland 0086", "008613812345678", "138****5678"},
		{"mainland 86", "8613812345678", "138****5678"},
		{"mainland bare", "13812345678", "138****5678"},
		{"international", "+447911123456", "+44****3456"},
		{"short", "12345", "****"},
		{"seven", "1234567", "****"},
		{"empty", "", ""},
		{"spaces", " +8613812345678 ", "138****5678"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := MaskPhone(tt.in); got != tt.want {
				t.Errorf("MaskPhone(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestScrubMasksNumbersInProviderText(t *testing.T) {
	got := scrub("phone +8613812345678 and 13900001111 refused, code 1016")
	for _, leak := range []string{"13812345678", "13900001111", "12345678"} {
		if strings.Contains(got, leak) {
			t.Errorf("scrub left %q in %q", leak, got)
		}
	}
	if !strings.Contains(got, "138****5678") || !strings.Contains(got, "code 1016") {
		t.Errorf("scrub = %q, want masked numbers and short codes kept", got)
	}
}

func TestIsE164(t *testing.T) {
	for in, want := range map[string]bool{
		"+8613800138000": true, "+447911123456": true,
		"13800138000": false, "+0861380013800": false, "+86 138 0013 8000": false,
		"+861380013800012345": false, "": false,
	} {
		if got := isE164(in); got != want {
			t.Errorf("isE164(%q) = %v, want %v", in, got, want)
		}
	}
}
