package models

import (
	"strings"
	"testing"
)

// TestCheckinCodeCatchesTypos: fresh codes are valid, and every single wrong digit and every
// swap of two different neighbouring digits makes a code invalid.
func TestCheckinCodeCatchesTypos(t *testing.T) {
	seen := map[string]bool{}
	for range 300 {
		code := NewCheckinCode()
		if got, ok := NormalizeCheckinCode(code); !ok || got != code || len(code) != CheckinCodeLen {
			t.Fatalf("fresh code %q: %q %v", code, got, ok)
		}
		seen[code] = true
		for i := range code {
			for d := byte('0'); d <= '9'; d++ {
				if d == code[i] {
					continue
				}
				typo := code[:i] + string(d) + code[i+1:]
				if _, ok := NormalizeCheckinCode(typo); ok {
					t.Fatalf("%q accepted for %q", typo, code)
				}
			}
			if i+1 < len(code) && code[i] != code[i+1] {
				swap := code[:i] + string(code[i+1]) + string(code[i]) + code[i+2:]
				if _, ok := NormalizeCheckinCode(swap); ok {
					t.Fatalf("swap %q accepted for %q", swap, code)
				}
			}
		}
	}
	if len(seen) < 295 {
		t.Fatalf("only %d distinct codes in 300", len(seen))
	}
	if dammDigit("572") != 4 { // the algorithm's published example
		t.Fatal("Damm table is wrong")
	}
}

func TestNormalizeCheckinCode(t *testing.T) {
	code := NewCheckinCode()
	spaced := code[:4] + " " + code[4:]
	full := strings.Map(func(r rune) rune { return r - '0' + '０' }, code)
	for _, typed := range []string{code, spaced, " " + code[:4] + "-" + code[4:] + " ", full} {
		if got, ok := NormalizeCheckinCode(typed); !ok || got != code {
			t.Errorf("%q: %q %v", typed, got, ok)
		}
	}
	for _, typed := range []string{"", code[:7], code + "0", "v1.a.b.c.1.x", code[:4] + "x" + code[5:]} {
		if _, ok := NormalizeCheckinCode(typed); ok {
			t.Errorf("%q accepted", typed)
		}
	}
	su := SignUp{CheckinKey: CheckinKey("ev1", code)}
	if su.CheckinCode() != code || (SignUp{}).CheckinCode() != "" {
		t.Fatalf("code of %q: %q", su.CheckinKey, su.CheckinCode())
	}
}
