package store

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"kehou/models"
	"kehou/store/engine"
)

func statusOf(t *testing.T, s *Store, noticeID, member string) models.Delivery {
	t.Helper()
	ds, _, err := s.DeliveriesOfNotice(context.Background(), noticeID, "", Page{Limit: MaxPageSize})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range ds {
		if d.ID == models.DeliveryID(noticeID, member, "sms") {
			return d
		}
	}
	t.Fatalf("no delivery of %s in %+v", member, ds)
	return models.Delivery{}
}

// ledger lists a notice's deliveries as member=status, in the list's order, following the
// cursor through pages of size limit.
func ledger(t *testing.T, s *Store, noticeID string, limit int) []string {
	t.Helper()
	var out []string
	for p := (Page{Limit: limit}); ; {
		ds, next, err := s.DeliveriesOfNotice(context.Background(), noticeID, "", p)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range ds {
			out = append(out, d.MemberID+"="+d.Status)
		}
		if next == "" {
			return out
		}
		p.Cursor = next
	}
}

// recordsPer counts, by member, the delivery records of a notice that name it.
func recordsPer(t *testing.T, s *Store, noticeID string) map[string]int {
	t.Helper()
	var recs []models.DeliveryRecord
	if err := s.all(context.Background(), colRecords, map[string]any{"notice_id": noticeID}, options.Find(), &recs); err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, r := range recs {
		for _, o := range r.Outcomes {
			out[o.MemberID]++
		}
	}
	return out
}

// A claim is recorded once: by its owner, or as unknown by whoever takes the batch over from
// it, never both; an owner that renews its lock is not taken over; a task that dies while it
// settles another's claim leaves the settling to the next.
func TestOneRecordPerClaim(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	s.SetClock(func() time.Time { return now })
	dead := func() time.Time { return now.Add(-10 * time.Minute) }
	if _, err := s.EnsureBatch(ctx, "n3", "sms", "b7", []string{"m1", "m2"}, nil); err != nil {
		t.Fatal(err)
	}
	claimA, err := s.ClaimBatch(ctx, "b7", "taskA", "claimA", dead())
	if err != nil || len(claimA.Deliveries) != 2 {
		t.Fatalf("claim: %+v, %v", claimA, err)
	}
	// A's provider call is slow; it renews its lock, so nobody takes the batch over.
	now = now.Add(8 * time.Minute)
	if ok, err := s.RenewBatch(ctx, "b7", "claimA"); err != nil || !ok {
		t.Fatalf("renew: %v, %v", ok, err)
	}
	now = now.Add(8 * time.Minute)
	if _, err := s.ClaimBatch(ctx, "b7", "taskB", "claimB", dead()); !errors.Is(err, ErrBatchBusy) {
		t.Fatalf("renewed lock taken: %v", err)
	}
	if k, err := s.ExpireSending(ctx, dead()); err != nil || k != 0 {
		t.Fatalf("renewed lock expired: %d, %v", k, err)
	}
	// A stops renewing: the reconciler settles its claim as unknown, and A's late record,
	// sent or not, finds the claim's record written and changes nothing.
	now = now.Add(11 * time.Minute)
	if k, err := s.ExpireSending(ctx, dead()); err != nil || k != 2 {
		t.Fatalf("expire: %d, %v; want 2 unknown", k, err)
	}
	if ok, err := s.RenewBatch(ctx, "b7", "claimA"); err != nil || ok {
		t.Fatalf("renew after settling: %v, %v; want false", ok, err)
	}
	if err := s.RecordOutcomes(ctx, claimA, outcomes(claimA, models.DeliverySent, ""), Pending{}); !errors.Is(err, ErrClaimLost) {
		t.Fatalf("late record: %v, want ErrClaimLost", err)
	}
	if got, want := ledger(t, s, "n3", 100), []string{"m1=unknown", "m2=unknown"}; !slices.Equal(got, want) {
		t.Fatalf("ledger %v, want %v", got, want)
	}
	if per := recordsPer(t, s, "n3"); per["m1"] != 1 || per["m2"] != 1 {
		t.Fatalf("records per member %v, want one each", per)
	}

	// b8: the owner records m1 sent and leaves m2 queued (a transient failure), then dies
	// before its batch hears of it. The rerun, once the lock has expired, finds the record,
	// takes m1 off the open list and sends m2, which was never sent.
	if _, err := s.EnsureBatch(ctx, "n4", "sms", "b8", []string{"m1", "m2"}, nil); err != nil {
		t.Fatal(err)
	}
	c, err := s.ClaimBatch(ctx, "b8", "taskC", "claimC", dead())
	if err != nil || len(c.Deliveries) != 2 {
		t.Fatalf("claim b8: %+v, %v", c, err)
	}
	rec := models.DeliveryRecord{ID: "claimC", NoticeID: "n4", Batch: "b8", Channel: "sms", Attempts: 1, At: now,
		Outcomes: []models.DeliveryOutcome{{MemberID: "m1", Status: models.DeliverySent}}}
	if _, err := s.c(colRecords).InsertOne(ctx, rec); err != nil {
		t.Fatal(err)
	}
	if got, want := ledger(t, s, "n4", 100), []string{"m1=sent", "m2=queued"}; !slices.Equal(got, want) {
		t.Fatalf("ledger %v, want %v", got, want)
	}
	now = now.Add(11 * time.Minute) // C's lock expires
	c2, err := s.ClaimBatch(ctx, "b8", "taskC", "claimC2", dead())
	if err != nil || !slices.Equal(members(c2), []string{"m2"}) {
		t.Fatalf("rerun of b8: %v, %v; want m2 only", members(c2), err)
	}
	if err := s.RecordOutcomes(ctx, c2, outcomes(c2, models.DeliverySent, ""), Pending{}); err != nil {
		t.Fatal(err)
	}
	if got, want := ledger(t, s, "n4", 1), []string{"m1=sent", "m2=sent"}; !slices.Equal(got, want) {
		t.Fatalf("ledger %v, want %v", got, want)
	}

	// b9: a task took b9 over from a dead owner and died while settling it. The next one
	// settles the dead owner's members, once.
	if _, err := s.EnsureBatch(ctx, "n5", "sms", "b9", []string{"m1", "m2", "m3"}, nil); err != nil {
		t.Fatal(err)
	}
	left := models.SendLock{ID: "b9", Claim: "claimE", Task: "taskE", At: dead().Add(-time.Second), Upto: 2, Settles: "claimD"}
	if _, err := s.c(colSendLocks).InsertOne(ctx, left); err != nil {
		t.Fatal(err)
	}
	c, err = s.ClaimBatch(ctx, "b9", "taskF", "claimF", dead())
	if err != nil || !slices.Equal(members(c), []string{"m3"}) {
		t.Fatalf("claim after an interrupted settling: %v, %v; want m3", members(c), err)
	}
	if got, want := ledger(t, s, "n5", 100), []string{"m1=unknown", "m2=unknown", "m3=queued"}; !slices.Equal(got, want) {
		t.Fatalf("ledger %v, want %v", got, want)
	}
	r, err := s.Report(ctx, "n3")
	if err != nil || r.Channels["sms"]["unknown"] != 2 || len(r.Channels["sms"]) != 1 {
		t.Fatalf("report %+v, %v; want 2 unknown and nothing else", r, err)
	}
	// The ledger goes batch by batch: a batch with only queued members (b6) takes its place
	// before b7, and a page of one item at a time gives the same list.
	if _, err := s.EnsureBatch(ctx, "n3", "sms", "b6", []string{"m9"}, nil); err != nil {
		t.Fatal(err)
	}
	want := []string{"m9=queued", "m1=unknown", "m2=unknown"}
	if got := ledger(t, s, "n3", 100); !slices.Equal(got, want) {
		t.Fatalf("ledger %v, want %v", got, want)
	}
	if paged := ledger(t, s, "n3", 1); !slices.Equal(paged, want) {
		t.Fatalf("paged ledger %v, want %v", paged, want)
	}
}

func members(c Claim) []string {
	var out []string
	for _, d := range c.Deliveries {
		out = append(out, d.MemberID)
	}
	return out
}

func outcomes(c Claim, status, reason string, only ...string) []Recorded {
	var out []Recorded
	for _, d := range c.Deliveries {
		if len(only) == 0 || slices.Contains(only, d.MemberID) {
			out = append(out, Recorded{Delivery: d, Outcome: Outcome{Status: status, Reason: reason}})
		}
	}
	return out
}

// A member is queued in one batch per notice and channel, also when the fan-out runs again;
// a batch is sent by one task at a time; a delivery's outcome is written once; a dead owner's
// unrecorded deliveries become unknown, never sent twice.
func TestSendBatchLocks(t *testing.T) {
	for _, point := range []bool{false, true} {
		s := newStore(t)
		s.SetTuning(engine.Tuning{PointReads: point}) // both positions of the switch, whatever the run's
		ctx := context.Background()
		now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
		s.SetClock(func() time.Time { return now })
		n := models.Notice{ID: "n1", SendAt: now}

		added, batches, err := s.QueueRecipients(ctx, n, "sms", "", []string{"b1"}, [][]string{{"m1", "m2"}}, map[string][]byte{"m1": []byte("sealed")})
		if err != nil || added != 2 || !slices.Equal(batches, []string{"b1"}) {
			t.Fatalf("first fan-out: %d added, batches %v, %v", added, batches, err)
		}
		// A repeated fan-out with other batch keys: m2 stays in b1, only the new m3 joins b2,
		// and only b2 needs its task enqueued.
		added, batches, err = s.QueueRecipients(ctx, n, "sms", "", []string{"b2"}, [][]string{{"m2", "m3"}}, nil)
		if err != nil || added != 1 || !slices.Equal(batches, []string{"b2"}) {
			t.Fatalf("second fan-out: %d added, batches %v, %v", added, batches, err)
		}
		b2, err := findOne[models.SendBatch](ctx, s.c(colSendBatches), map[string]any{"_id": "b2"})
		if err != nil || !slices.Equal(b2.Members, []string{"m3"}) {
			t.Fatalf("batch b2 = %+v, %v; want only m3", b2, err)
		}
		if open, err := s.OpenDeliveries(ctx, "n1"); err != nil || open != 3 {
			t.Fatalf("open deliveries: %d, %v; want 3", open, err)
		}

		// Task A claims b1 and dies during the send.
		got, err := s.ClaimBatch(ctx, "b1", "taskA", "claimA", now.Add(-10*time.Minute))
		if err != nil || !slices.Equal(members(got), []string{"m1", "m2"}) || string(got.Batch.PhoneOf()["m1"]) != "sealed" {
			t.Fatalf("first claim: %v (phones %v), %v", members(got), got.Batch.PhoneOf(), err)
		}
		// Another task finds it busy while A may be alive.
		if _, err := s.ClaimBatch(ctx, "b1", "taskB", "claimB", now.Add(-10*time.Minute)); !errors.Is(err, ErrBatchBusy) {
			t.Fatalf("second owner: %v, want ErrBatchBusy", err)
		}
		// A dies without recording. asynq runs task A again at once: the lock, though A's, is
		// fresh, and A may be recording still.
		if _, err := s.ClaimBatch(ctx, "b1", "taskA", "claimA2", now.Add(-10*time.Minute)); !errors.Is(err, ErrBatchBusy) {
			t.Fatalf("rerun at once: %v, want ErrBatchBusy", err)
		}
		// Once the lock is older than the lock's lifetime, A is dead.
		now = now.Add(11 * time.Minute)
		got, err = s.ClaimBatch(ctx, "b1", "taskA", "claimA2", now.Add(-10*time.Minute))
		if err != nil || len(got.Deliveries) != 0 {
			t.Fatalf("rerun: %v, %v; want none left to send", members(got), err)
		}
		for _, m := range []string{"m1", "m2"} {
			if d := statusOf(t, s, "n1", m); d.Status != models.DeliveryUnknown || d.Reason != "worker_lost" || d.Attempts != 1 {
				t.Fatalf("%s = %s (%s) after %d attempts, want unknown (worker_lost) after 1", m, d.Status, d.Reason, d.Attempts)
			}
		}
		if err := s.ReleaseBatch(ctx, "b1", "claimA2"); err != nil {
			t.Fatal(err)
		}
		if b1, err := findOne[models.SendBatch](ctx, s.c(colSendBatches), map[string]any{"_id": "b1"}); err != nil || !b1.Done || len(b1.Open) != 0 || len(b1.PhoneOf()) != 0 {
			t.Fatalf("b1 after settling = %+v, %v; want done, its numbers dropped", b1, err)
		}

		// b2: a transient failure stays queued and the next claim sends it again.
		got, err = s.ClaimBatch(ctx, "b2", "taskC", "claimC", now.Add(-10*time.Minute))
		if err != nil || !slices.Equal(members(got), []string{"m3"}) {
			t.Fatalf("claim b2: %v, %v", members(got), err)
		}
		if err := s.RecordOutcomes(ctx, got, nil, Pending{Reason: "retrying"}); err != nil {
			t.Fatal(err)
		}
		if err := s.ReleaseBatch(ctx, "b2", "claimC"); err != nil {
			t.Fatal(err)
		}
		ds, _, err := s.DeliveriesOfNotice(ctx, "n1", models.DeliveryQueued, Page{})
		if err != nil || len(ds) != 1 || ds[0].MemberID != "m3" || ds[0].Attempts != 1 || ds[0].Reason != "retrying" {
			t.Fatalf("queued deliveries: %+v, %v; want m3 after 1 attempt", ds, err)
		}
		got, err = s.ClaimBatch(ctx, "b2", "taskC", "claimC2", now.Add(-10*time.Minute))
		if err != nil || len(got.Deliveries) != 1 || got.Deliveries[0].Attempts != 1 {
			t.Fatalf("retry of b2: %+v, %v", got, err)
		}
		// Its worker dies too; after ten minutes the reconciler settles the lock.
		now = now.Add(11 * time.Minute)
		k, err := s.ExpireSending(ctx, now.Add(-10*time.Minute))
		if err != nil || k != 1 {
			t.Fatalf("expire: %d unknown, %v; want 1", k, err)
		}
		if d := statusOf(t, s, "n1", "m3"); d.Status != models.DeliveryUnknown {
			t.Fatalf("m3 = %s, want unknown", d.Status)
		}
		// The lock is gone: the batch can be claimed, and has nothing left to send.
		if got, err := s.ClaimBatch(ctx, "b2", "taskD", "claimD", now.Add(-10*time.Minute)); err != nil || len(got.Deliveries) != 0 {
			t.Fatalf("after expiry: %+v, %v", got, err)
		}
		if err := s.ReleaseBatch(ctx, "b2", "claimD"); err != nil {
			t.Fatal(err)
		}

		// A fan-out that stopped between the receipts and the batch: running it again makes
		// the batch the receipt names, once.
		if _, err := s.c(colReceipts).InsertOne(ctx, models.Receipt{ID: "n1:m4", MemberID: "m4", Batch: "b3"}); err != nil {
			t.Fatal(err)
		}
		if _, batches, err := s.QueueRecipients(ctx, n, "sms", "", []string{"b9"}, [][]string{{"m4", "m1"}}, nil); err != nil || !slices.Equal(batches, []string{"b3"}) {
			t.Fatalf("repair: batches %v, %v", batches, err)
		}
		// m1 was carried by b1 already: it is not opened again.
		if b1, err := findOne[models.SendBatch](ctx, s.c(colSendBatches), map[string]any{"_id": "b1"}); err != nil || len(b1.Open) != 0 || !b1.Done {
			t.Fatalf("b1 after the repair = %+v, %v", b1, err)
		}
		if _, err := s.c(colSendBatches).FindOne(ctx, map[string]any{"_id": "b9"}).Raw(); err == nil {
			t.Fatal("b9 was made without a new member")
		}
		// The reconciler finds b3 once it has sat long enough, and not while it is deferred.
		stuck, err := s.StuckBatches(ctx, now.Add(time.Minute), 10)
		if err != nil || len(stuck) != 1 || stuck[0].ID != "b3" || !slices.Equal(stuck[0].Open, []string{"m4"}) {
			t.Fatalf("stuck batches: %+v, %v", stuck, err)
		}
		if err := s.DeferBatch(ctx, "b3", now.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if stuck, err := s.StuckBatches(ctx, now.Add(time.Minute), 10); err != nil || len(stuck) != 0 {
			t.Fatalf("deferred batch is stuck: %+v, %v", stuck, err)
		}
		if got, err := s.ClaimBatch(ctx, "b3", "taskE", "claimE", now.Add(-10*time.Minute)); err != nil || len(got.Deliveries) != 0 {
			t.Fatalf("deferred batch claimed: %+v, %v", got, err)
		}

		// A member named twice (a parent of two pupils in one chunk) is carried once.
		if grew, err := s.EnsureBatch(ctx, "n2", "sms", "b5", []string{"m5", "m5"}, nil); err != nil || !grew {
			t.Fatalf("ensure b5: %v %v", grew, err)
		}
		if b5, err := findOne[models.SendBatch](ctx, s.c(colSendBatches), map[string]any{"_id": "b5"}); err != nil || !slices.Equal(b5.Open, []string{"m5"}) {
			t.Fatalf("b5 = %+v, %v", b5, err)
		}

		// The ledger lists recorded and queued deliveries together, in id order, by page.
		all := ledger(t, s, "n1", 2)
		want := []string{"m1=unknown", "m2=unknown", "m3=unknown", "m4=queued"}
		if !slices.Equal(all, want) {
			t.Fatalf("ledger %v, want %v", all, want)
		}
		r, err := s.Report(ctx, "n1")
		if err != nil || r.Targeted != 4 || r.Channels["sms"]["queued"] != 1 || r.Channels["sms"]["unknown"] != 3 || r.Reasons["worker_lost"] != 3 {
			t.Fatalf("report %+v, %v", r, err)
		}
	}
}

// Finished batches of finished notices go after SendBatchKeep; open ones, and those of a
// notice still sending, stay.
func TestPurgeSendBatches(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	s.SetClock(func() time.Time { return now })
	for _, n := range []models.Notice{{ID: "sent", Status: models.NoticeSent}, {ID: "sending", Status: models.NoticeSending}} {
		if _, err := s.c(colNotices).InsertOne(ctx, n); err != nil {
			t.Fatal(err)
		}
	}
	finish := func(noticeID, batch string, members ...string) {
		if _, err := s.EnsureBatch(ctx, noticeID, "sms", batch, members, nil); err != nil {
			t.Fatal(err)
		}
		c, err := s.ClaimBatch(ctx, batch, "t", "c-"+batch, now.Add(-time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if err := s.RecordOutcomes(ctx, c, outcomes(c, models.DeliverySent, ""), Pending{}); err != nil {
			t.Fatal(err)
		}
		if err := s.ReleaseBatch(ctx, batch, c.ID); err != nil {
			t.Fatal(err)
		}
	}
	finish("sent", "old-done", "m1")
	finish("sending", "old-of-sending", "m2")
	if _, err := s.EnsureBatch(ctx, "sent", "sms", "old-open", []string{"m3"}, nil); err != nil {
		t.Fatal(err)
	}
	now = now.Add(31 * 24 * time.Hour)
	finish("sent", "new-done", "m4")
	n, err := s.PurgeSendBatches(ctx, 30*24*time.Hour)
	if err != nil || n != 1 {
		t.Fatalf("purged %d, %v; want 1", n, err)
	}
	for _, id := range []string{"old-of-sending", "old-open", "new-done"} {
		if _, err := findOne[models.SendBatch](ctx, s.c(colSendBatches), map[string]any{"_id": id}); err != nil {
			t.Fatalf("%s: %v", id, err)
		}
	}
	if _, err := findOne[models.SendBatch](ctx, s.c(colSendBatches), map[string]any{"_id": "old-done"}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("old-done: %v, want purged", err)
	}
}

// A receipt names its batch by tag; a fan-out run again rebuilds the key from the prefix, and
// a receipt written with the whole key (before tags) is read as it is.
func TestReceiptBatchTags(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	n := models.Notice{ID: "n4", SendAt: time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)}
	const prefix = "notice:send:n4:sms:"
	_, batches, err := s.QueueRecipients(ctx, n, "sms", prefix, []string{"b0:0"}, [][]string{{"m1"}}, nil)
	if err != nil || !slices.Equal(batches, []string{prefix + "b0:0"}) {
		t.Fatalf("batches %v, %v", batches, err)
	}
	r, err := s.Receipt(ctx, "n4", "m1")
	if err != nil || r.Batch != "b0:0" {
		t.Fatalf("receipt %+v, %v; want the tag only", r, err)
	}
	// Two receipts whose batches were never made: one by tag, one by whole key.
	for _, rc := range []models.Receipt{{ID: "n4:m2", MemberID: "m2", Batch: "b1:0"}, {ID: "n4:m3", MemberID: "m3", Batch: prefix + "b2:0"}} {
		if _, err := s.c(colReceipts).InsertOne(ctx, rc); err != nil {
			t.Fatal(err)
		}
	}
	_, batches, err = s.QueueRecipients(ctx, n, "sms", prefix, []string{"b9:0"}, [][]string{{"m1", "m2", "m3"}}, nil)
	if err != nil || !slices.Equal(batches, []string{prefix + "b1:0", prefix + "b2:0"}) {
		t.Fatalf("repair: batches %v, %v", batches, err)
	}
}

// TestBatchPhones: the numbers a batch carries survive its growth, a partial record pulls only
// its members from the open list, and a finished batch keeps no number.
func TestBatchPhones(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	now := time.Now()
	if _, err := s.EnsureBatch(ctx, "n9", "sms", "b9", []string{"m1", "m2"}, map[string][]byte{"m1": []byte("p1")}); err != nil {
		t.Fatal(err)
	}
	if grew, err := s.EnsureBatch(ctx, "n9", "sms", "b9", []string{"m2", "m3", "m4"}, map[string][]byte{"m2": []byte("other"), "m3": []byte("p3")}); err != nil || !grew {
		t.Fatalf("growing the batch: %v, %v", grew, err)
	}
	c, err := s.ClaimBatch(ctx, "b9", "task", "claim", now.Add(-10*time.Minute))
	if err != nil || !slices.Equal(members(c), []string{"m1", "m2", "m3", "m4"}) {
		t.Fatalf("claim b9: %v, %v", members(c), err)
	}
	// m2 joined without a number and keeps none: a later call cannot give it one.
	if got := c.Batch.PhoneOf(); len(got) != 2 || string(got["m1"]) != "p1" || string(got["m3"]) != "p3" {
		t.Errorf("b9 numbers %q, want m1's and m3's", got)
	}
	// Recording m1 and m3 leaves m2 and m4 open, numbers kept for them.
	if err := s.RecordOutcomes(ctx, c, outcomes(c, models.DeliverySent, "", "m1", "m3"), Pending{Reason: "rate_limited"}); err != nil {
		t.Fatal(err)
	}
	b9, err := findOne[models.SendBatch](ctx, s.c(colSendBatches), map[string]any{"_id": "b9"})
	if err != nil || b9.Done || !slices.Equal(b9.Open, []string{"m2", "m4"}) || len(b9.PhoneOf()) != 2 {
		t.Fatalf("b9 after a partial record = open %v done %v phones %q, %v; want m2 and m4 open", b9.Open, b9.Done, b9.PhoneOf(), err)
	}
	if err := s.ReleaseBatch(ctx, "b9", "claim"); err != nil {
		t.Fatal(err)
	}
	c, err = s.ClaimBatch(ctx, "b9", "task", "claim2", now.Add(-10*time.Minute))
	if err != nil || !slices.Equal(members(c), []string{"m2", "m4"}) {
		t.Fatalf("second claim of b9: %v, %v", members(c), err)
	}
	if err := s.RecordOutcomes(ctx, c, outcomes(c, models.DeliverySent, ""), Pending{}); err != nil {
		t.Fatal(err)
	}
	if b9, err = findOne[models.SendBatch](ctx, s.c(colSendBatches), map[string]any{"_id": "b9"}); err != nil || !b9.Done || len(b9.Open) != 0 || b9.Phones != nil {
		t.Fatalf("b9 finished = open %v done %v phones %d, %v; want done without numbers", b9.Open, b9.Done, len(b9.Phones), err)
	}

	// A batch that carried no number at first gets its first one when it grows.
	if _, err := s.EnsureBatch(ctx, "n9", "sms", "b11", []string{"m8"}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.EnsureBatch(ctx, "n9", "sms", "b11", []string{"m9"}, map[string][]byte{"m9": []byte("p9")}); err != nil {
		t.Fatal(err)
	}
	if b11, err := findOne[models.SendBatch](ctx, s.c(colSendBatches), map[string]any{"_id": "b11"}); err != nil || len(b11.PhoneOf()) != 1 || string(b11.PhoneOf()["m9"]) != "p9" {
		t.Fatalf("b11 numbers %q, %v; want m9's", b11.PhoneOf(), err)
	}
}
