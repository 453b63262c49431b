package store

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"kehou/models"
)

func statusOf(t *testing.T, s *Store, noticeID, member string) models.Delivery {
	t.Helper()
	d, err := findOne[models.Delivery](context.Background(), s.c(colDeliveries), map[string]any{"_id": models.DeliveryID(noticeID, member, "sms")})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// A delivery belongs to the batch it was created in; a batch is sent by one task at a time;
// a dead owner's unfinished deliveries become unknown, never sent twice.
func TestSendBatchLocks(t *testing.T) {
	for _, point := range []bool{false, true} {
		s := newStore(t)
		s.SetPointReads(point)
		ctx := context.Background()
		now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
		s.SetClock(func() time.Time { return now })

		if err := s.QueueDeliveries(ctx, "n1", "sms", "b1", []string{"m1", "m2"}); err != nil {
			t.Fatal(err)
		}
		// A repeated fan-out puts m2 in another batch: only the new m3 joins it.
		if err := s.QueueDeliveries(ctx, "n1", "sms", "b2", []string{"m2", "m3"}); err != nil {
			t.Fatal(err)
		}
		b2, err := findOne[models.SendBatch](ctx, s.c(colSendBatches), map[string]any{"_id": "b2"})
		if err != nil || !slices.Equal(b2.Members, []string{"m3"}) {
			t.Fatalf("batch b2 = %+v, %v; want only m3", b2, err)
		}

		// Task A claims b1 and dies during the send.
		got, err := s.ClaimBatch(ctx, "b1", "taskA", "claimA", now.Add(-10*time.Minute))
		if err != nil || len(got) != 2 {
			t.Fatalf("first claim: %d deliveries, %v", len(got), err)
		}
		// Another task finds it busy while A may be alive.
		if _, err := s.ClaimBatch(ctx, "b1", "taskB", "claimB", now.Add(-10*time.Minute)); !errors.Is(err, ErrBatchBusy) {
			t.Fatalf("second owner: %v, want ErrBatchBusy", err)
		}
		// A finished m1 before dying; m2's outcome was never written.
		if err := s.FinishDeliveries(ctx, "claimA", []string{models.DeliveryID("n1", "m1", "sms")}, Outcome{Status: models.DeliverySent}); err != nil {
			t.Fatal(err)
		}
		// asynq runs task A again: the lock is its own dead one.
		got, err = s.ClaimBatch(ctx, "b1", "taskA", "claimA2", now.Add(-10*time.Minute))
		if err != nil || len(got) != 0 {
			t.Fatalf("rerun: %d deliveries, %v; want none left to send", len(got), err)
		}
		if d := statusOf(t, s, "n1", "m1"); d.Status != models.DeliverySent || d.Attempts != 1 {
			t.Fatalf("m1 = %s after %d attempts, want sent after 1", d.Status, d.Attempts)
		}
		if d := statusOf(t, s, "n1", "m2"); d.Status != models.DeliveryUnknown || d.Reason != "worker_lost" {
			t.Fatalf("m2 = %s (%s), want unknown (worker_lost)", d.Status, d.Reason)
		}
		if err := s.ReleaseBatch(ctx, "b1", "claimA2"); err != nil {
			t.Fatal(err)
		}

		// b2: a transient failure goes back to queued and the next claim reads it again.
		got, err = s.ClaimBatch(ctx, "b2", "taskC", "claimC", now.Add(-10*time.Minute))
		if err != nil || len(got) != 1 || got[0].MemberID != "m3" {
			t.Fatalf("claim b2: %+v, %v", got, err)
		}
		if err := s.FinishDeliveries(ctx, "claimC", []string{got[0].ID}, Outcome{Status: models.DeliveryQueued, Reason: "retrying"}); err != nil {
			t.Fatal(err)
		}
		if err := s.ReleaseBatch(ctx, "b2", "claimC"); err != nil {
			t.Fatal(err)
		}
		got, err = s.ClaimBatch(ctx, "b2", "taskC", "claimC2", now.Add(-10*time.Minute))
		if err != nil || len(got) != 1 || got[0].Attempts != 1 {
			t.Fatalf("retry of b2: %+v, %v", got, err)
		}
		// Its worker dies too; after ten minutes the reconciler settles the lock.
		now = now.Add(11 * time.Minute)
		n, err := s.ExpireSending(ctx, now.Add(-10*time.Minute))
		if err != nil || n != 1 {
			t.Fatalf("expire: %d unknown, %v; want 1", n, err)
		}
		if d := statusOf(t, s, "n1", "m3"); d.Status != models.DeliveryUnknown {
			t.Fatalf("m3 = %s, want unknown", d.Status)
		}
		// The lock is gone: the batch can be claimed, and has nothing left to send.
		if got, err := s.ClaimBatch(ctx, "b2", "taskD", "claimD", now.Add(-10*time.Minute)); err != nil || len(got) != 0 {
			t.Fatalf("after expiry: %+v, %v", got, err)
		}

		// A delivery no batch lists (a crash between the two writes) is added back.
		if err := s.QueueDeliveries(ctx, "n1", "sms", "b3", []string{"m4"}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.c(colSendBatches).DeleteOne(ctx, map[string]any{"_id": "b3"}); err != nil {
			t.Fatal(err)
		}
		if ok, err := s.RepairBatch(ctx, "n1", "sms", "b3", []string{"m4"}); err != nil || !ok {
			t.Fatalf("repair: %v %v", ok, err)
		}
		if got, err := s.ClaimBatch(ctx, "b3", "taskE", "claimE", now.Add(-10*time.Minute)); err != nil || len(got) != 1 {
			t.Fatalf("repaired batch: %+v, %v", got, err)
		}
		// A deferred batch is left alone by the reconciler.
		if err := s.TouchBatch(ctx, "b3", now.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if ok, err := s.RepairBatch(ctx, "n1", "sms", "b3", []string{"m4"}); err != nil || ok {
			t.Fatalf("deferred batch repaired: %v %v", ok, err)
		}
	}
}
