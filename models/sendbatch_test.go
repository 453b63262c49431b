package models

import (
	"maps"
	"testing"
)

// TestPhonePacks: a batch's numbers come back from its packs and from the map batches used to
// carry, members without a number are left out, and a damaged pack gives up only what follows
// the damage.
func TestPhonePacks(t *testing.T) {
	phones := map[string][]byte{"m1": []byte("sealed-1"), "m3": []byte("sealed-3"), "m4": {}}
	pack := PackPhones([]string{"m1", "m2", "m3", "m4"}, phones)
	if PackPhones([]string{"m2"}, phones) != nil {
		t.Error("a pack of members without numbers is not nil")
	}
	b := SendBatch{PhonePacks: [][]byte{pack, PackPhones([]string{"m5"}, map[string][]byte{"m5": []byte("sealed-5")})},
		LegacyPhones: map[string][]byte{"m0": []byte("sealed-0")}}
	want := map[string][]byte{"m0": []byte("sealed-0"), "m1": []byte("sealed-1"), "m3": []byte("sealed-3"), "m5": []byte("sealed-5")}
	if got := b.Phones(); !maps.EqualFunc(got, want, func(a, b []byte) bool { return string(a) == string(b) }) {
		t.Errorf("phones %q, want %q", got, want)
	}
	if got := (SendBatch{}).Phones(); got != nil {
		t.Errorf("a batch without numbers gives %q", got)
	}
	damaged := SendBatch{PhonePacks: [][]byte{pack[:len(pack)-3]}}
	if got := damaged.Phones(); len(got) != 1 || string(got["m1"]) != "sealed-1" {
		t.Errorf("damaged pack gives %q, want only m1's number", got)
	}
	// A number handed out must not alias the pack (a caller may keep it after the batch).
	got := SendBatch{PhonePacks: [][]byte{pack}}.Phones()
	pack[len(pack)-1] = 'X'
	if string(got["m3"]) != "sealed-3" {
		t.Errorf("number changed with its pack: %q", got["m3"])
	}
}
