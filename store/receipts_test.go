package store

import (
	"context"
	"slices"
	"testing"
	"time"

	"kehou/models"
	"kehou/store/engine"
)

// TestReceiptsOfANotice: a notice's receipts are found by their id range, and none of the
// next notice's; the inbox
// takes the time a notice went out from the notice, and hides one not yet due.
func TestReceiptsOfANotice(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	now := time.Now().UTC().Truncate(time.Millisecond)
	newNotice := func(sendAt time.Time) models.Notice {
		t.Helper()
		n := models.Notice{SchoolID: "s1", Title: "开放日通知", Audience: models.Audience{Kind: models.AudienceScope}, SendAt: sendAt}
		if err := s.CreateNotice(ctx, &n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	n1, n2 := newNotice(now.Add(-time.Hour)), newNotice(now.Add(-time.Hour))
	// The next notice's id sorts right after n1's: its receipts must stay out of n1's range.
	if n1.ID >= n2.ID {
		t.Fatalf("notice ids not ordered: %s, %s", n1.ID, n2.ID)
	}
	if _, err := s.AddRecipients(ctx, n1, []string{"m1", "m2", "m3"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddRecipients(ctx, n2, []string{"m1", "m2", "m4", "m5"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.MarkReceipt(ctx, n1.ID, "m1", false); err != nil {
		t.Fatal(err)
	}
	if _, err := s.MarkReceipt(ctx, n2.ID, "m2", true); err != nil {
		t.Fatal(err)
	}
	r, err := s.Report(ctx, n1.ID)
	if err != nil {
		t.Fatal(err)
	}
	if r.Targeted != 3 || r.Read != 1 || r.Confirmed != 0 {
		t.Errorf("n1 report targeted %d read %d confirmed %d, want 3, 1, 0", r.Targeted, r.Read, r.Confirmed)
	}
	if r, _ = s.Report(ctx, n2.ID); r.Targeted != 4 || r.Read != 1 || r.Confirmed != 1 {
		t.Errorf("n2 report targeted %d read %d confirmed %d, want 4, 1, 1", r.Targeted, r.Read, r.Confirmed)
	}

	// "Remind those who have not read", one member a page: m2 and m3, not m1 (read) nor n2's.
	remind := models.Notice{Audience: models.Audience{Kind: models.AudienceRemind, NoticeID: n1.ID}}
	var unread []string
	for cursor, done := "", false; !done; {
		var page []string
		if page, cursor, done, err = s.AudienceBatch(ctx, remind, cursor, 1); err != nil {
			t.Fatal(err)
		}
		unread = append(unread, page...)
	}
	if !slices.Equal(unread, []string{"m2", "m3"}) {
		t.Errorf("unread members of n1 %v, want [m2 m3]", unread)
	}

	// A notice not yet due stays out of the inbox.
	later := newNotice(now.Add(time.Hour))
	if _, err := s.AddRecipients(ctx, later, []string{"m1"}); err != nil {
		t.Fatal(err)
	}
	items, _, err := s.Inbox(ctx, "m1", Page{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, it := range items {
		got = append(got, it.Notice.ID)
		if it.Receipt.NoticeID() != it.Notice.ID {
			t.Errorf("receipt %s names notice %s", it.Receipt.ID, it.Receipt.NoticeID())
		}
	}
	if !slices.Equal(got, []string{n2.ID, n1.ID}) {
		t.Errorf("m1's inbox %v, want [%s %s] (newest first, not the one due later)", got, n2.ID, n1.ID)
	}
	if len(items) == 2 && items[1].Receipt.ReadAt.IsZero() {
		t.Error("n1's receipt lost its read time")
	}
}

// TestBroadcastIndexes: receipts and delivery records carry only the indexes something reads
// (each costs every insert of a broadcast).
func TestBroadcastIndexes(t *testing.T) {
	s := newStore(t)
	s.SetTuning(engine.Production) // the embedded tuning keeps only unique indexes
	if err := s.EnsureIndexes(context.Background()); err != nil {
		t.Fatal(err)
	}
	names, err := s.indexNames(context.Background(), colReceipts)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"_id_", "member_id_1__id_1"}; !slices.Equal(names, want) {
		t.Errorf("receipt indexes %v, want %v", names, want)
	}
	if names, _ = s.indexNames(context.Background(), colRecords); !slices.Equal(names, []string{"_id_", "notice_id_1_batch_1_at_1__id_1"}) {
		t.Errorf("delivery record indexes %v, want _id_ and the ledger's", names)
	}
}
