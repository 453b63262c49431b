package store

import (
	"context"
	"errors"
	"os"
	"sync"
	"testing"
	"time"

	"kehou/devstack/testenv"
	"kehou/models"
)

func TestMain(m *testing.M) { os.Exit(testenv.Run(m)) }

func newStore(t *testing.T) *Store {
	t.Helper()
	db := testenv.Mongo(t)
	s, err := New(db, testenv.Key())
	if err != nil {
		t.Fatal(err)
	}
	s.SetTuning(testenv.Tuning())
	if err := s.EnsureIndexes(context.Background()); err != nil {
		t.Fatal(err)
	}
	testenv.IndexIDs(t, db)
	return s
}

// parallel runs f n times at once and returns the errors.
func parallel(n int, f func(i int) error) []error {
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = f(i)
		}()
	}
	wg.Wait()
	return errs
}

func schoolWithRoster(t *testing.T, s *Store) models.School {
	t.Helper()
	ctx := context.Background()
	c := models.County{Name: "甲区"}
	if err := s.CreateCounty(ctx, &c); err != nil {
		t.Fatal(err)
	}
	sc := models.School{CountyID: c.ID, Name: "甲一小学", Location: models.LocationUrban, Stage: models.StagePrimary}
	if err := s.CreateSchool(ctx, &sc); err != nil {
		t.Fatal(err)
	}
	res, err := s.ImportRoster(ctx, sc, []models.RosterRow{{StudentNo: "1", Name: "张小明", Grade: 1, Class: "1班"}, {StudentNo: "2", Name: "李雷", Grade: 1, Class: "1班"}})
	if err != nil || res.Created != 2 {
		t.Fatalf("import: %+v %v", res, err)
	}
	return sc
}

func TestConcurrentBindsMakeOneGuardianship(t *testing.T) {
	s := newStore(t)
	sc := schoolWithRoster(t, s)
	ctx := context.Background()
	ids := make([]string, 20)
	errs := parallel(20, func(i int) error {
		g, _, err := s.Bind(ctx, BindRequest{MemberID: "m1", SchoolID: sc.ID, StudentNo: "1", Name: "张小明"})
		ids[i] = g.ID
		return err
	})
	for i, err := range errs {
		if err != nil {
			t.Fatalf("bind %d: %v", i, err)
		}
		if ids[i] != ids[0] {
			t.Fatalf("concurrent binds returned different bindings: %s vs %s", ids[i], ids[0])
		}
	}
	gs, err := s.GuardianshipsOfMember(ctx, "m1")
	if err != nil || len(gs) != 1 {
		t.Fatalf("guardianships = %d (%v), want exactly 1", len(gs), err)
	}
}

func TestConcurrentFirstLoginsMakeOneMember(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	ids := make([]string, 20)
	errs := parallel(20, func(i int) error {
		m, err := s.UpsertMember(ctx, "openid-1", "union-1", "key")
		ids[i] = m.ID
		return err
	})
	for i, err := range errs {
		if err != nil || ids[i] != ids[0] {
			t.Fatalf("login %d: id %s vs %s, err %v", i, ids[i], ids[0], err)
		}
	}
	// The session key is stored encrypted, never in the clear.
	m, err := s.Member(ctx, ids[0])
	if err != nil {
		t.Fatal(err)
	}
	if key, err := s.sealer.Open(m.SessionKeyEnc, "session_key:openid-1"); err != nil || key != "key" {
		t.Fatalf("session key round trip: %q %v", key, err)
	}
}

func TestConcurrentIdempotencyClaims(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	var mu sync.Mutex
	fresh := 0
	errs := parallel(20, func(int) error {
		_, ok, err := s.BeginIdempotent(ctx, "key-1", "body")
		if ok {
			mu.Lock()
			fresh++
			mu.Unlock()
		}
		return err
	})
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if fresh != 1 {
		t.Fatalf("%d requests claimed the key, want exactly 1", fresh)
	}
}

func TestLockoutCountsConcurrentFailures(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	st := models.Staff{Username: "t", Name: "t", PasswordHash: "x", Role: models.RoleCity}
	if err := s.CreateStaff(ctx, &st); err != nil {
		t.Fatal(err)
	}
	// Four concurrent failures must count four: a lost $inc would leave the account open to
	// more guesses than the limit allows.
	parallel(4, func(int) error {
		_, err := s.RecordLoginFailure(ctx, st.ID, 5, time.Minute)
		return err
	})
	got, _ := s.Staff(ctx, st.ID)
	if got.FailedLogins != 4 || got.Locked(time.Now()) {
		t.Fatalf("after 4 concurrent failures: count=%d locked=%v, want 4 and unlocked", got.FailedLogins, got.Locked(time.Now()))
	}
	locked, err := s.RecordLoginFailure(ctx, st.ID, 5, time.Minute)
	got, _ = s.Staff(ctx, st.ID)
	if err != nil || !locked || !got.Locked(time.Now()) {
		t.Fatalf("fifth failure must lock: locked=%v err=%v", locked, err)
	}
}

func TestSessionsExpireAndPurge(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	now := time.Now().UTC()
	s.SetClock(func() time.Time { return now })
	token, _, err := s.CreateSession(ctx, models.SessionMember, "m1", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Session(ctx, models.SessionStaff, token); !errors.Is(err, ErrNotFound) {
		t.Fatal("a member token must not open a staff session")
	}
	if _, err := s.Session(ctx, models.SessionMember, token); err != nil {
		t.Fatal(err)
	}
	now = now.Add(2 * time.Hour)
	if _, err := s.Session(ctx, models.SessionMember, token); !errors.Is(err, ErrNotFound) {
		t.Fatal("expired token accepted")
	}
	if n, err := s.PurgeExpiredSessions(ctx); err != nil || n != 1 {
		t.Fatalf("purge = %d, %v", n, err)
	}
}

func TestSealerBindsCiphertextToField(t *testing.T) {
	s := newStore(t)
	ct := s.sealer.Seal("张小明", "child_name")
	if _, err := s.sealer.Open(ct, "bind_code"); !errors.Is(err, ErrUnseal) {
		t.Fatal("a ciphertext moved to another field must not decrypt")
	}
	other, _ := NewSealer(testenv.Key())
	if _, err := other.Open(ct, "child_name"); !errors.Is(err, ErrUnseal) {
		t.Fatal("another key must not decrypt")
	}
	if s.sealer.Hash("child_name", "张小明") == other.Hash("child_name", "张小明") {
		t.Fatal("lookup hashes must be keyed")
	}
}

func TestPagination(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	for i := range 5 {
		c := models.County{Name: string(rune('A' + i))}
		if err := s.CreateCounty(ctx, &c); err != nil {
			t.Fatal(err)
		}
		sc := models.School{CountyID: c.ID, Name: c.Name + "校", Location: "urban", Stage: "primary"}
		if err := s.CreateSchool(ctx, &sc); err != nil {
			t.Fatal(err)
		}
	}
	var names []string
	p := Page{Limit: 2}
	for {
		list, next, err := s.Schools(ctx, models.Scope{Role: models.RoleCity}, "", p)
		if err != nil {
			t.Fatal(err)
		}
		for _, sc := range list {
			names = append(names, sc.Name)
		}
		if next == "" {
			break
		}
		p.Cursor = next
	}
	if len(names) != 5 || names[0] != "A校" || names[4] != "E校" {
		t.Fatalf("pages = %v", names)
	}
}

func TestAudienceStaysWithinTheSendersScope(t *testing.T) {
	s := newStore(t)
	sc := schoolWithRoster(t, s)
	ctx := context.Background()
	g, _, err := s.Bind(ctx, BindRequest{MemberID: "m1", SchoolID: sc.ID, StudentNo: "1", Name: "张小明"})
	if err != nil || g.ID == "" {
		t.Fatalf("bind: %v", err)
	}
	own := models.Notice{ID: "n1", SchoolID: sc.ID, CountyID: sc.CountyID, Audience: models.Audience{Kind: models.AudienceSchools, SchoolIDs: []string{sc.ID}}}
	reached := func(n models.Notice) []string {
		var out []string
		if err := s.StreamAudience(ctx, n, 100, func(members []string, _ map[string][]byte) error {
			out = append(out, members...)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		return out
	}
	if members := reached(own); len(members) != 1 || members[0] != "m1" {
		t.Fatalf("own school: %v", members)
	}
	// A notice of another school naming this one (say, written before a move) reaches nobody.
	other := own
	other.SchoolID = "another-school"
	if members := reached(other); len(members) != 0 {
		t.Fatalf("another school's notice reached %v", members)
	}
}

func TestRenamedPupilLosesOldBindings(t *testing.T) {
	s := newStore(t)
	sc := schoolWithRoster(t, s)
	ctx := context.Background()
	if _, _, err := s.Bind(ctx, BindRequest{MemberID: "m1", SchoolID: sc.ID, StudentNo: "1", Name: "张小明"}); err != nil {
		t.Fatal(err)
	}
	res, err := s.ImportRoster(ctx, sc, []models.RosterRow{{StudentNo: "1", Name: "王小红", Grade: 1, Class: "1班"}, {StudentNo: "2", Name: "李雷", Grade: 1, Class: "1班"}})
	if err != nil || res.Renamed != 1 || res.Unchanged != 1 {
		t.Fatalf("import: %+v %v", res, err)
	}
	if gs, _ := s.GuardianshipsOfMember(ctx, "m1"); len(gs) != 0 {
		t.Fatalf("the old parent still sees the renamed pupil: %+v", gs)
	}
}
