package server

import (
	"reflect"
	"testing"
	"time"

	"kehou/models"
)

func TestCachedFormats(t *testing.T) {
	exp := time.UnixMilli(1796099323573)
	raw := encodeSession(models.Member{ID: "m1", Nickname: "小明\t妈妈"}, exp)
	m, got, ok := decodeSession(raw)
	if !ok || m.ID != "m1" || m.Nickname != "小明\t妈妈" || !got.Equal(exp) {
		t.Fatalf("session %q → %+v %v %v", raw, m, got, ok)
	}
	for _, bad := range []string{"", "m1", "m1\tnot-a-time\tx", `{"m":"m1","e":"2026-12-01T00:00:00Z"}`, "\t1\tx"} {
		if _, _, ok := decodeSession(bad); ok {
			t.Errorf("decodeSession(%q) accepted", bad)
		}
	}

	kids := []models.Child{
		{ID: "c1", SchoolID: "s1", CountyID: "k1", Grade: 3, Class: "2班", NameMasked: "张*"},
		{ID: "c2", SchoolID: "s2", CountyID: "k1", Grade: 6, Class: "", NameMasked: "李*明"},
	}
	raw, ok = encodePupils(kids)
	if !ok {
		t.Fatal("not encoded")
	}
	back, ok := decodePupils(raw)
	if !ok {
		t.Fatalf("decodePupils(%q) refused", raw)
	}
	if !reflect.DeepEqual(kids, back) {
		t.Fatalf("pupils round trip: %+v, want %+v", back, kids)
	}
	if none, ok := decodePupils(""); !ok || len(none) != 0 {
		t.Fatalf("empty list: %v %v", none, ok)
	}
	if _, ok := encodePupils([]models.Child{{ID: "c1", Class: "3\t班"}}); ok {
		t.Fatal("a class with a tab was encoded")
	}
	for _, bad := range []string{`[{"id":"c1"}]`, "c1\ts1\tk1\tthree\t2班\t张*\n", "c1\ts1\n"} {
		if _, ok := decodePupils(bad); ok {
			t.Errorf("decodePupils(%q) accepted", bad)
		}
	}
}
