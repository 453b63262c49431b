package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/hibiken/asynq"

	"kehou/bots"
	"kehou/models"
	"kehou/store"
)

// MaxDeliveryAttempts bounds how often one delivery is tried before it is failed for good.
const MaxDeliveryAttempts = 20

// CarriedPhonesFor is how long after a send batch was made the numbers it carries from the
// bindings are used; later sends (after quiet hours, a rate-limit wait, retries) read each
// member's current number.
const CarriedPhonesFor = time.Hour

// prepared is a claimed delivery with the message to send, or the reason it cannot be sent.
type prepared struct {
	d       models.Delivery
	msg     bots.Message
	skip    string        // a reason not to send (no consent, no phone…)
	wait    time.Duration // a per-number limit: try again after wait
	refund  string        // consent template to refund if the send does not go out
	smsKeys []string      // per-number limit keys counted for this send, released if refused
	smsAt   int64         // the send time recorded in the limit
	// phoneEnc is the member's number (encrypted) when known, carried to a fallback batch.
	phoneEnc []byte
}

// result is what sending one prepared message gave.
type result struct {
	p          *prepared
	providerID string
	err        error
}

// HandleNoticeSend sends a batch of deliveries on one channel. It locks the batch and claims
// its queued deliveries (a second task for the batch waits for the lock, then finds them
// recorded), declares unknown those a dead worker left mid-send, sends, records every outcome,
// falls back to the notice's next channel on a permanent failure, and returns an error (so
// asynq retries) when some failed transiently.
func (h *Handlers) HandleNoticeSend(ctx context.Context, t *asynq.Task) error {
	var p sendPayload
	if err := json.Unmarshal(t.Payload(), &p); err != nil || p.NoticeID == "" || p.Batch == "" {
		return badPayload(err)
	}
	n, err := h.Store.Notice(ctx, p.NoticeID)
	if errors.Is(err, store.ErrNotFound) {
		return badPayload(err)
	}
	if err != nil {
		return err
	}
	now := h.now()
	if quiet, end := models.InQuietHours(now); quiet && !n.Urgent && n.Status != models.NoticeCancelled {
		if err := h.Store.DeferBatch(ctx, p.Batch, end); err != nil {
			return err
		}
		task, opts := newSendTask(p, fmt.Sprintf("%s:q%d", taskID(ctx), end.Unix()), end.Sub(now))
		return h.enqueue(ctx, task, opts)
	}
	claim, err := h.Store.ClaimBatch(ctx, p.Batch, taskID(ctx), store.NewID(), now.Add(-h.after(h.SendingAfter, DefaultSendingAfter)))
	if err != nil {
		return err // ErrBatchBusy too: asynq tries again once the other task is done
	}
	if len(claim.Deliveries) == 0 {
		return h.Store.ReleaseBatch(context.WithoutCancel(ctx), p.Batch, claim.ID)
	}
	// Outcomes are written even when shutdown cancels the task: what was sent must be recorded.
	// The lock is released only once they are: if writing them fails, the batch stays locked
	// and the next run settles the unwritten ones as unknown instead of sending them again.
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	if n.Status == models.NoticeCancelled {
		if err := h.Store.RecordOutcomes(wctx, claim, allOutcome(claim.Deliveries, store.Outcome{Status: models.DeliverySkipped, Reason: "cancelled"}), store.Pending{}); err != nil {
			return err
		}
		return h.Store.ReleaseBatch(wctx, p.Batch, claim.ID)
	}
	phones := claim.Batch.PhoneOf()
	if now.Sub(claim.Batch.CreatedAt) > CarriedPhonesFor {
		phones = nil // deferred or retried for long: a parent may have a new number since
	}
	preps, err := h.prepare(ctx, n, p.Channel, claim.Deliveries, phones)
	if err != nil {
		h.refundAll(ctx, preps)
		// Nothing was sent: the deliveries stay queued and the task is tried again.
		if err := h.Store.RecordOutcomes(wctx, claim, nil, store.Pending{Reason: "prepare_failed"}); err != nil {
			return err
		}
		_ = h.Store.ReleaseBatch(wctx, p.Batch, claim.ID)
		return err
	}
	// The lock is renewed while the provider calls run, so a slow provider does not make this
	// worker look dead; if it was taken over all the same, the sends not yet made are dropped.
	sctx, stop := context.WithCancel(ctx)
	renewed := h.renewWhileSending(sctx, stop, p.Batch, claim.ID)
	results := h.send(sctx, p.Channel, preps)
	interrupted := sctx.Err() != nil
	stop()
	<-renewed
	err = h.record(wctx, n, p, claim, results, interrupted)
	if errors.Is(err, store.ErrClaimLost) {
		// Presumed dead while sending: the batch's new owner recorded this claim's deliveries
		// unknown, and that stands. Nothing here was sent twice: the new owner does not send them.
		h.Log.Warn("send outcomes superseded", "batch", p.Batch, "claim", claim.ID)
		return nil
	}
	return err
}

// renewWhileSending renews a claim's lock every quarter of the lock's lifetime until ctx ends,
// and calls lost if the lock is no longer the claim's. The channel closes when it stops.
func (h *Handlers) renewWhileSending(ctx context.Context, lost context.CancelFunc, batch, claim string) <-chan struct{} {
	done := make(chan struct{})
	// It stops with the task's context, so a hung call stops renewing once the task times out.
	every := max(h.after(h.SendingAfter, DefaultSendingAfter)/4, time.Millisecond)
	go func() {
		defer close(done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			ok, err := h.Store.RenewBatch(context.WithoutCancel(ctx), batch, claim)
			if err != nil {
				h.Log.Warn("renew send lock", "batch", batch, "err", err)
				continue // the next tick tries again; the lock lives a while yet
			}
			if !ok {
				lost()
				return
			}
		}
	}()
	return done
}

// errNotSent marks a message whose provider call was never made, because the send was
// interrupted first: it stays queued.
var errNotSent = errors.New("not sent: the send was interrupted")

func allOutcome(ds []models.Delivery, o store.Outcome) []store.Recorded {
	out := make([]store.Recorded, len(ds))
	for i, d := range ds {
		out[i] = store.Recorded{Delivery: d, Outcome: o}
	}
	return out
}

// refundAll gives back the consent credits a half-prepared batch spent.
func (h *Handlers) refundAll(ctx context.Context, preps []*prepared) {
	for _, p := range preps {
		if p != nil && p.refund != "" {
			if err := h.Store.RefundConsent(context.WithoutCancel(ctx), p.d.MemberID, p.refund); err != nil {
				h.Log.Warn("refund consent", "delivery", p.d.ID, "err", err)
			}
		}
	}
}

func taskID(ctx context.Context) string {
	id, _ := asynq.GetTaskID(ctx)
	return id
}

// send delivers the prepared messages: in one call when the channel takes batches, otherwise a
// few at a time, since each is a network round trip.
func (h *Handlers) send(ctx context.Context, channel string, preps []*prepared) []result {
	notifier := h.Notifiers[channel]
	results := make([]result, 0, len(preps))
	var ready []*prepared
	for _, p := range preps {
		switch {
		case p.skip != "" || p.wait > 0:
			results = append(results, result{p: p})
		case notifier == nil:
			p.skip = "channel_unavailable"
			results = append(results, result{p: p})
		default:
			ready = append(ready, p)
		}
	}
	if len(ready) == 0 {
		return results
	}
	if bn, ok := notifier.(bots.BatchNotifier); ok && ctx.Err() == nil {
		msgs := make([]bots.Message, len(ready))
		for i, p := range ready {
			msgs[i] = p.msg
		}
		pids, err := bn.SendBatch(ctx, msgs)
		for i, p := range ready {
			r := result{p: p, err: err}
			if err == nil {
				r.providerID = pids[i]
			}
			results = append(results, r)
		}
		return results
	}
	out := make([]result, len(ready))
	sem := make(chan struct{}, sendParallel)
	var wg sync.WaitGroup
	for i, p := range ready {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if ctx.Err() != nil {
				out[i] = result{p: p, err: errNotSent}
				return
			}
			pid, err := notifier.Send(ctx, p.msg)
			out[i] = result{p: p, providerID: pid, err: err}
		}()
	}
	wg.Wait()
	return append(results, out...)
}
