package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"kehou/models"
)

func newPool(t *testing.T, s *Store, capacity int) string {
	t.Helper()
	id := NewID()
	now := s.now()
	if err := s.CreatePools(context.Background(), []models.Pool{{ID: id, Kind: models.PoolEventSession, OwnerID: "event-" + id,
		Capacity: capacity, StartsAt: now.Add(24 * time.Hour), EndsAt: now.Add(26 * time.Hour)}}); err != nil {
		t.Fatal(err)
	}
	return id
}

// signUp joins and promotes as the API does, and returns the sign-up as it stands after.
func signUp(s *Store, pool, child string, companions int) (models.SignUp, error) {
	ctx := context.Background()
	su, _, err := s.Join(ctx, models.SignUp{PoolID: pool, OwnerID: "event-" + pool, ChildID: child, MemberID: "m-" + child, Companions: companions})
	if err != nil {
		return su, err
	}
	if su.Status == models.SignUpConfirmed {
		return su, nil
	}
	if _, err := s.Promote(ctx, pool); err != nil {
		return su, err
	}
	return s.Status(ctx, su)
}

// checkPool asserts the invariants: places held never exceed capacity, the holders are exactly
// the confirmed sign-ups, and the places they take add up to what the pool says is held.
func checkPool(t *testing.T, s *Store, pool string) (confirmed, waiting int) {
	t.Helper()
	ctx := context.Background()
	p, err := s.Pool(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}
	var all []models.SignUp
	if err := s.all(ctx, colSignUps, map[string]any{"pool_id": pool}, nil, &all); err != nil {
		t.Fatal(err)
	}
	held, children := 0, map[string]int{}
	for _, su := range all {
		switch su.Status {
		case models.SignUpConfirmed:
			confirmed++
			held += su.Places
			if !slices.Contains(p.Holders, su.ID) {
				t.Fatalf("confirmed sign-up %s holds no places", su.ID)
			}
		case models.SignUpWaiting:
			waiting++
		}
		if su.Status != models.SignUpCancelled {
			children[su.ChildID]++
			if children[su.ChildID] > 1 {
				t.Fatalf("child %s has two active sign-ups", su.ChildID)
			}
		}
	}
	if p.Free < 0 || p.Held() > p.Capacity || held != p.Held() || confirmed != len(p.Holders) {
		t.Fatalf("drift: capacity %d, free %d, %d holders, %d confirmed taking %d places", p.Capacity, p.Free, len(p.Holders), confirmed, held)
	}
	if p.Waiters != waiting {
		t.Fatalf("the pool counts %d waiting, the sign-ups say %d", p.Waiters, waiting)
	}
	return confirmed, waiting
}

// TestPlacesNeverOverbook: 2,000 families at once for 100 places, each child twice.
func TestPlacesNeverOverbook(t *testing.T) {
	s := newStore(t)
	pool := newPool(t, s, 100)
	n := placesCrowd(2000)
	errs := parallel(n+n/10, func(i int) error {
		_, err := signUp(s, pool, fmt.Sprintf("child-%d", i%n), 0) // the last tenth repeat earlier children
		return err
	})
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	confirmed, waiting := checkPool(t, s, pool)
	if confirmed != 100 || waiting != n-100 {
		t.Fatalf("%d confirmed and %d waiting, want 100 and %d", confirmed, waiting, n-100)
	}
}

// TestCancellationsRacingSignUps: a full pool, 500 cancellations racing 500 new sign-ups,
// interleaved from 100 clients at a time (as an API server's handlers would run them; a
// thousand at once on the embedded store's one connection only measures its queue); every
// freed place goes to someone waiting, with no drift between places and sign-ups.
func TestCancellationsRacingSignUps(t *testing.T) {
	s := newStore(t)
	n := placesCrowd(500)
	pool := newPool(t, s, n)
	ctx := context.Background()
	var first []models.SignUp
	for i := range n {
		su, err := signUp(s, pool, fmt.Sprintf("early-%d", i), 0)
		if err != nil || su.Status != models.SignUpConfirmed {
			t.Fatalf("%+v %v", su, err)
		}
		first = append(first, su)
	}
	errs := bounded(100, 2*n, func(i int) error {
		if i%2 == 0 {
			_, _, err := s.CancelSignUp(ctx, first[i/2].ID)
			if err == nil {
				_, err = s.Promote(ctx, pool)
			}
			return err
		}
		_, err := signUp(s, pool, fmt.Sprintf("late-%d", i/2), 0)
		return err
	})
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	confirmed, waiting := checkPool(t, s, pool)
	if confirmed != n || waiting != 0 {
		t.Fatalf("%d confirmed and %d waiting, want %d and 0", confirmed, waiting, n)
	}
}

func TestPlacesStateMachine(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	pool := newPool(t, s, 3)
	a, _ := signUp(s, pool, "a", 0) // 1 place
	b, _ := signUp(s, pool, "b", 2) // 3 places: does not fit after a
	c, _ := signUp(s, pool, "c", 0) // 1 place: fits, although after b
	if a.Status != models.SignUpConfirmed || b.Status != models.SignUpWaiting || c.Status != models.SignUpConfirmed {
		t.Fatalf("a %s, b %s, c %s", a.Status, b.Status, c.Status)
	}
	// The same child again gets its sign-up back, not a second one.
	again, created, err := s.Join(ctx, models.SignUp{PoolID: pool, OwnerID: "event-" + pool, ChildID: "b", Companions: 0})
	if err != nil || created || again.ID != b.ID {
		t.Fatalf("repeat: %+v created=%v %v", again, created, err)
	}
	// a cancels: 2 free, b (3) still does not fit and keeps its turn.
	if _, ok, err := s.CancelSignUp(ctx, a.ID); !ok || err != nil {
		t.Fatal(ok, err)
	}
	if got, _ := s.Promote(ctx, pool); len(got) != 0 {
		t.Fatalf("promoted %+v", got)
	}
	if _, ok, _ := s.CancelSignUp(ctx, a.ID); ok {
		t.Fatal("cancelled twice")
	}
	// Capacity cannot go below what is held (c: 1); raised to 4, b fits and is promoted.
	if _, err := s.SetCapacity(ctx, pool, 0); !errors.Is(err, ErrBelowHeld) {
		t.Fatalf("capacity 0: %v", err)
	}
	if _, err := s.SetCapacity(ctx, pool, 4); err != nil {
		t.Fatal(err)
	}
	got, err := s.Promote(ctx, pool)
	if err != nil || len(got) != 1 || got[0].ID != b.ID {
		t.Fatalf("promoted %+v %v", got, err)
	}
	checkPool(t, s, pool)
	// a may sign up again after cancelling; the pool is full, so it waits.
	a2, err := signUp(s, pool, "a", 0)
	if err != nil || a2.ID == a.ID || a2.Status != models.SignUpWaiting {
		t.Fatalf("a again: %+v %v", a2, err)
	}
	// A closed pool takes no one.
	if err := s.ClosePool(ctx, pool); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := s.CancelSignUp(ctx, c.ID); !ok {
		t.Fatal("cancel c")
	}
	if got, _ := s.Promote(ctx, pool); len(got) != 0 {
		t.Fatalf("a closed pool promoted %+v", got)
	}
}

// TestRepairAfterACrash: places taken but the sign-up not yet marked (the process died between
// the two writes) are recognised and the sign-up confirmed; a cancelled holder gives them back.
func TestRepairAfterACrash(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	pool := newPool(t, s, 2)
	// Sign-ups as Join writes them before it takes places.
	raw := func(child string) models.SignUp {
		su := models.SignUp{ID: NewID(), PoolID: pool, OwnerID: "event-" + pool, ChildID: child, Places: 1, Status: models.SignUpWaiting}
		if err := insert(ctx, s.c(colSignUps), su); err != nil {
			t.Fatal(err)
		}
		return su
	}
	x, y := raw("x"), raw("y")
	for _, su := range []models.SignUp{x, y} { // places taken, the sign-ups not yet marked
		if _, err := s.c(colPools).UpdateOne(ctx, map[string]any{"_id": pool},
			map[string]any{"$inc": map[string]any{"free": -1}, "$push": map[string]any{"holders": su.ID}}); err != nil {
			t.Fatal(err)
		}
	}
	// y is cancelled by a path that died before giving the places back.
	if _, err := s.c(colSignUps).UpdateOne(ctx, map[string]any{"_id": y.ID}, map[string]any{"$set": map[string]any{"status": models.SignUpCancelled, "active": y.ID}}); err != nil {
		t.Fatal(err)
	}
	z := raw("z") // never queued
	got, err := s.RepairPool(ctx, pool)
	if err != nil || len(got) != 2 {
		t.Fatalf("repaired %+v %v", got, err)
	}
	if cur, _ := s.SignUp(ctx, z.ID); cur.Status != models.SignUpConfirmed {
		t.Fatalf("z: %s", cur.Status)
	}
	checkPool(t, s, pool)
}

// placesCrowd is the size of a concurrency test's crowd: KEHOU_TEST_CROWD overrides it (to try
// the tests quickly), and under -race it is a third (the embedded store is slow there).
func placesCrowd(n int) int {
	if v, err := strconv.Atoi(os.Getenv("KEHOU_TEST_CROWD")); err == nil && v > 0 {
		return v
	}
	if raceEnabled {
		return n / 3
	}
	return n
}

// bounded runs f for 0…n-1 on the given number of goroutines and returns the errors.
func bounded(workers, n int, f func(i int) error) []error {
	errs := make([]error, n)
	next := make(chan int)
	done := make(chan struct{})
	for range workers {
		go func() {
			for i := range next {
				errs[i] = f(i)
			}
			done <- struct{}{}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	for range workers {
		<-done
	}
	return errs
}
