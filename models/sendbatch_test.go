package models

import (
	"maps"
	"testing"
)

// TestBatchPhones: a batch carries the numbers it was given, by member, and leaves out the
// members without one.
func TestBatchPhones(t *testing.T) {
	phones := map[string][]byte{"m1": []byte("sealed-1"), "m3": []byte("sealed-3"), "m4": {}}
	list := MemberPhones([]string{"m1", "m2", "m3", "m4"}, phones)
	if len(list) != 2 || list[0].Member != "m1" || list[1].Member != "m3" {
		t.Fatalf("phones %+v, want m1 and m3 in order", list)
	}
	if MemberPhones([]string{"m2"}, phones) != nil {
		t.Error("members without numbers give a list")
	}
	b := SendBatch{Phones: append(list, MemberPhones([]string{"m5"}, map[string][]byte{"m5": []byte("sealed-5")})...)}
	want := map[string][]byte{"m1": []byte("sealed-1"), "m3": []byte("sealed-3"), "m5": []byte("sealed-5")}
	if got := b.PhoneOf(); !maps.EqualFunc(got, want, func(a, b []byte) bool { return string(a) == string(b) }) {
		t.Errorf("phones %q, want %q", got, want)
	}
	if got := (SendBatch{}).PhoneOf(); got != nil {
		t.Errorf("a batch without numbers gives %q", got)
	}
}
