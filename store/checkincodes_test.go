package store

import (
	"context"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"kehou/models"
)

// TestCheckinCodes: every open-day sign-up gets a code of its own, found by event and code; a
// code drawn twice in one event is drawn again; other kinds of sign-up get none; a sign-up
// stored before codes existed is given one once.
func TestCheckinCodes(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	pool := newPool(t, s, 1)
	event := "event-" + pool

	codes := []string{"12345674", "12345674", "12345674", "76543219"} // the third draw collides twice
	defer func(f func() string) { newCheckinCode = f }(newCheckinCode)
	newCheckinCode = func() string { c := codes[0]; codes = codes[1:]; return c }
	a, err := signUp(s, pool, "a", 0)
	if err != nil || a.Status != models.SignUpConfirmed || a.CheckinCode() != "12345674" {
		t.Fatalf("a: %+v %v", a, err)
	}
	b, err := signUp(s, pool, "b", 0) // waits, with its code already
	if err != nil || b.Status != models.SignUpWaiting || b.CheckinCode() != "76543219" || len(codes) != 0 {
		t.Fatalf("b: %+v %v (codes left %v)", b, err, codes)
	}
	// The same code in another event is another code.
	newCheckinCode = func() string { return "12345674" }
	other := newPool(t, s, 1)
	if o, err := signUp(s, other, "a", 0); err != nil || o.CheckinCode() != "12345674" {
		t.Fatalf("other event: %+v %v", o, err)
	}
	newCheckinCode = models.NewCheckinCode

	got, err := s.SignUpByCheckinCode(ctx, event, "12345674")
	if err != nil || got.ID != a.ID {
		t.Fatalf("by code: %+v %v", got, err)
	}
	if _, err := s.SignUpByCheckinCode(ctx, event, "00000000"); err != ErrNotFound {
		t.Fatalf("unknown code: %v", err)
	}
	// b is promoted with the code it was given when it came.
	if _, _, err := s.CancelSignUp(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Promote(ctx, pool); err != nil {
		t.Fatal(err)
	}
	if b, err = s.SignUp(ctx, b.ID); err != nil || b.Status != models.SignUpConfirmed || b.CheckinCode() != "76543219" {
		t.Fatalf("b promoted: %+v %v", b, err)
	}

	// Summer care and courses carry no code.
	care, _, err := s.Join(ctx, models.SignUp{Kind: models.SignUpCare, PoolID: newPool(t, s, 1), OwnerID: "period", ChildID: "c"})
	if err != nil || care.CheckinKey != "" {
		t.Fatalf("care: %+v %v", care, err)
	}

	// A sign-up stored before codes existed gets one the first time, the same one after.
	if _, err := s.c(colSignUps).UpdateOne(ctx, bson.M{"_id": b.ID}, bson.M{"$unset": bson.M{"checkin_key": ""}}); err != nil {
		t.Fatal(err)
	}
	old, _ := s.SignUp(ctx, b.ID)
	first, err := s.EnsureCheckinCode(ctx, old)
	if err != nil || first.CheckinCode() == "" {
		t.Fatalf("lazy code: %+v %v", first, err)
	}
	again, err := s.EnsureCheckinCode(ctx, old) // a racing request read it without a code
	if err != nil || again.CheckinKey != first.CheckinKey {
		t.Fatalf("second look: %q, first %q, %v", again.CheckinKey, first.CheckinKey, err)
	}
	if _, ok := models.NormalizeCheckinCode(first.CheckinCode()); !ok {
		t.Fatalf("lazy code %q is not a valid code", first.CheckinCode())
	}
}
