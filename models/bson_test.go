package models

import (
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// TestZeroTimesAreNotStored: queries rely on unset times being absent ("not checked in", "no
// reminder"), and the driver's bson has no omitzero: omitempty must leave them out.
func TestZeroTimesAreNotStored(t *testing.T) {
	for _, c := range []struct {
		doc  any
		keys []string
	}{
		{SignUp{ID: "x"}, []string{"checked_in_at", "confirmed_at", "cancelled_at"}},
		{Survey{ID: "x"}, []string{"remind_at", "published_at"}},
	} {
		raw, err := bson.Marshal(c.doc)
		if err != nil {
			t.Fatal(err)
		}
		var m bson.M
		_ = bson.Unmarshal(raw, &m)
		for _, k := range c.keys {
			if _, ok := m[k]; ok {
				t.Fatalf("%s stored: %v", k, m)
			}
		}
	}
}
