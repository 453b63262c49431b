package jobs

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"kehou/bots"
	"kehou/models"
)

// killSwitch passes sends through until `after` have started; every later send hangs until
// the test ends, like a worker process that was killed mid-call: it never reports back.
type killSwitch struct {
	inner bots.Notifier
	after int64
	count atomic.Int64
	hang  chan struct{}
}

func (k *killSwitch) Send(ctx context.Context, m bots.Message) (string, error) {
	if k.count.Add(1) > k.after {
		<-k.hang
		return "", errors.New("worker was killed")
	}
	return k.inner.Send(ctx, m)
}

// checkLedger asserts the end state of a broadcast of n: every delivery sent, failed with a
// reason or unknown; nobody received it twice; everyone marked sent received it, and nobody
// marked failed did (unknown ones may or may not have: that is why they are unknown).
func (e *bcEnv) checkLedger(notice models.Notice, n int) map[string]int {
	e.t.Helper()
	ctx := context.Background()
	got := e.sentPerPhone()
	for phone, k := range got {
		if k != 1 {
			e.t.Fatalf("%s received %d messages", phone, k)
		}
	}
	phoneOf := map[string]string{}
	for i, m := range e.members {
		phoneOf[m.ID] = e.phones[i]
	}
	status := map[string]int{}
	p := storePage()
	for {
		ds, next, err := e.obs.DeliveriesOfNotice(ctx, notice.ID, "", p)
		must(e.t, err)
		for _, d := range ds {
			status[d.Status]++
			if (d.Status == models.DeliveryFailed || d.Status == models.DeliveryUnknown) && d.Reason == "" {
				e.t.Fatalf("delivery %s is %s without a reason", d.ID, d.Status)
			}
			received := got[phoneOf[d.MemberID]]
			if (d.Status == models.DeliverySent && received != 1) || (d.Status == models.DeliveryFailed && received != 0) {
				e.t.Fatalf("delivery %s is %s but the provider received it %d times", d.ID, d.Status, received)
			}
		}
		if next == "" {
			break
		}
		p.Cursor = next
	}
	total := status[models.DeliverySent] + status[models.DeliveryFailed] + status[models.DeliveryUnknown]
	if total != n || status[models.DeliveryQueued] != 0 {
		e.t.Fatalf("deliveries by status %v, want %d ended", status, n)
	}
	if len(got) < status[models.DeliverySent] || len(got) > status[models.DeliverySent]+status[models.DeliveryUnknown] {
		e.t.Fatalf("provider received %d; ledger says %v", len(got), status)
	}
	return status
}

func TestBroadcastSurvivesAKilledWorker(t *testing.T) {
	n := recipients()
	e := newBC(t, n)
	e.sms.FailRate("InternalError.Timeout", 0.1)
	real := e.h.Notifiers[models.ChannelSMS]
	// The hung sends stay hung until the test binary exits, like a dead process: releasing
	// them would let them write into a database the test has already dropped.
	kill := &killSwitch{inner: real, after: int64(n / 3), hang: make(chan struct{})}
	e.h.Notifiers = map[string]bots.Notifier{models.ChannelSMS: kill}
	stopA := e.start()
	notice := e.notice(models.ChannelSMS)
	for kill.count.Load() <= kill.after+4 {
		time.Sleep(20 * time.Millisecond)
	}
	stopA() // the hung sends never return: their tasks go back to the queue

	h2 := *e.h
	h2.Notifiers = map[string]bots.Notifier{models.ChannelSMS: real}
	e.h = &h2
	e.start()
	// The minutely reconciler, run more often here and with a shorter patience than the
	// production ten minutes (no live send in this test takes 20 s): a claim the killed worker
	// made after its task was already handed back is declared unknown by it.
	h3 := h2
	h3.StallAfter, h3.QueuedAfter, h3.SendingAfter = 5*time.Second, 5*time.Second, 20*time.Second
	done := make(chan struct{})
	defer close(done)
	go func() {
		for {
			select {
			case <-done:
				return
			case <-time.After(2 * time.Second):
				_ = h3.HandleNoticeReconcile(context.Background(), NewNoticeReconcileTask())
			}
		}
	}()
	e.settle(notice, 400*time.Second)
	status := e.checkLedger(notice, n)
	if status[models.DeliveryUnknown] == 0 {
		t.Fatalf("the killed sends must be reported unknown: %v", status)
	}
	t.Logf("after the kill: %v", status)
}

func TestBroadcastSurvivesAFlushedRedis(t *testing.T) {
	n := recipients()
	e := newBC(t, n)
	e.sms.FailRate("InternalError.Timeout", 0.1)
	e.start()
	notice := e.notice(models.ChannelSMS)
	for len(e.sms.Sent()) < n/5 {
		time.Sleep(20 * time.Millisecond)
	}
	must(t, e.rdb.FlushDB(context.Background()).Err()) // every queued task is gone

	// The minutely reconciler, run more often here: MongoDB knows what is still to do.
	h := *e.h
	h.StallAfter, h.QueuedAfter, h.SendingAfter = time.Nanosecond, time.Nanosecond, time.Hour
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-done:
				return
			case <-time.After(2 * time.Second):
				_ = h.HandleNoticeReconcile(context.Background(), NewNoticeReconcileTask())
			}
		}
	}()
	e.settle(notice, 400*time.Second)
	close(done)
	status := e.checkLedger(notice, n)
	if status[models.DeliverySent] < n-status[models.DeliveryUnknown] || status[models.DeliveryFailed] != 0 {
		t.Fatalf("after the flush: %v", status)
	}
}
