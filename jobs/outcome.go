package jobs

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"time"

	"kehou/bots"
	"kehou/models"
	"kehou/store"
)

// record writes every outcome of a send batch. Permanent failures and skips fall back to the
// notice's next channel; rate-limited ones wait in a delayed task; transient failures go back
// to queued and make the task fail, so asynq retries it with backoff. A call that may have
// reached the provider without our learning it (mayHaveArrived) is recorded unknown, never
// sent again.
func (h *Handlers) record(ctx context.Context, n models.Notice, p sendPayload, claim store.Claim, results []result, interrupted bool) error {
	var recorded []store.Recorded
	var fallback []string
	phones := map[string][]byte{}
	var retry, waiting int
	var wait time.Duration
	// A failed consent write must not stop the outcomes being recorded: an unrecorded claim
	// would be settled as unknown. It is returned at the end, so asynq runs the task again.
	var consentErrs []error
	for _, r := range results {
		pr := r.p
		var be *bots.Error
		if r.err != nil && errors.As(r.err, &be) && be.Code != "" {
			h.releaseSMS(ctx, pr) // the provider answered with a refusal: nothing was sent
		}
		outcome := store.Outcome{}
		switch {
		case pr.skip == "too_many_attempts":
			outcome = store.Outcome{Status: models.DeliveryFailed, Reason: pr.skip}
		case pr.skip != "":
			outcome = store.Outcome{Status: models.DeliverySkipped, Reason: pr.skip}
			fallback = append(fallback, pr.d.MemberID)
		case pr.wait > 0:
			waiting++
			wait = max(wait, pr.wait)
		case r.err == nil:
			outcome = store.Outcome{Status: models.DeliverySent, ProviderID: r.providerID}
		case mayHaveArrived(r.err, interrupted):
			outcome = store.Outcome{Status: models.DeliveryUnknown, Reason: "interrupted"}
		case bots.Permanent(r.err):
			e := r.err.(*bots.Error)
			outcome = store.Outcome{Status: models.DeliveryFailed, Reason: e.Reason, Code: e.Code}
			fallback = append(fallback, pr.d.MemberID)
			if pr.refund != "" {
				// 43101: WeChat says no consent is left, so ours was stale. Any other
				// permanent refusal consumed nothing on WeChat's side: give the credit back.
				var err error
				if e.Reason == bots.ReasonNoConsent {
					err = h.Store.ClearConsent(ctx, pr.d.MemberID, pr.refund)
				} else {
					err = h.Store.RefundConsent(ctx, pr.d.MemberID, pr.refund)
				}
				consentErrs = append(consentErrs, err)
			}
		default:
			if e, ok := r.err.(*bots.Error); ok && e.Wait > 0 {
				waiting++
				wait = max(wait, e.Wait)
			} else {
				retry++
			}
			if pr.refund != "" {
				consentErrs = append(consentErrs, h.Store.RefundConsent(ctx, pr.d.MemberID, pr.refund))
			}
		}
		if outcome.Status != "" {
			recorded = append(recorded, store.Recorded{Delivery: pr.d, Outcome: outcome})
		}
		if len(pr.phoneEnc) > 0 {
			phones[pr.d.MemberID] = pr.phoneEnc
		}
	}
	if retry > 0 {
		h.Log.Warn("deliveries failed transiently", "batch", p.Batch, "count", retry, "example", firstErr(results))
	}
	// Fall back first: the fallback batch is made (idempotently) before the first-channel
	// outcomes are recorded, so a crash in between leaves it to be sent (the first channel's
	// deliveries become unknown) rather than lost. If it cannot be made, the deliveries that
	// needed it stay queued on this channel, and the task's next run falls back again.
	fbErr := h.fallBack(ctx, n, p.Channel, p.Batch, fallback, phones)
	if fbErr != nil {
		recorded = slices.DeleteFunc(recorded, func(r store.Recorded) bool { return slices.Contains(fallback, r.MemberID) })
	}
	// The ones neither recorded nor waiting stay queued: the task fails below and asynq runs
	// it again with backoff. Waiting ones are sent by a delayed task.
	pending := store.Pending{Reason: "retrying"}
	if fbErr != nil {
		pending.Reason = "fallback_failed"
	}
	if waiting > 0 {
		pending = store.Pending{Reason: bots.ReasonRateLimited, NotBefore: h.now().Add(wait)}
	}
	if err := h.Store.RecordOutcomes(ctx, claim, recorded, pending); err != nil {
		return err
	}
	if err := h.Store.ReleaseBatch(ctx, p.Batch, claim.ID); err != nil {
		return err
	}
	if waiting > 0 {
		task, opts := newSendTask(p, fmt.Sprintf("%s:w:%s", p.Batch, claim.ID), wait)
		if err := h.enqueue(ctx, task, opts); err != nil {
			return err
		}
	}
	var errs []error
	if retry > 0 {
		errs = append(errs, fmt.Errorf("%d of %d deliveries failed transiently; retrying", retry, len(results)))
	}
	if fbErr != nil {
		errs = append(errs, fmt.Errorf("fall back: %w", fbErr))
	}
	return errors.Join(append(errs, consentErrs...)...)
}

// mayHaveArrived tells whether a failed provider call may have delivered its message all the
// same: it was cut short (interrupted: the worker stopping, the task's time up, the lock taken
// over) or timed out after its request could have been written. A refusal the provider
// answered, or a connection never made, did not deliver anything and is retried.
func mayHaveArrived(err error, interrupted bool) bool {
	if errors.Is(err, errNotSent) || bots.Permanent(err) {
		return false
	}
	if be, ok := errors.AsType[*bots.Error](err); ok && be.Code != "" {
		return false // the provider answered
	}
	if op, ok := errors.AsType[*net.OpError](err); ok && op.Op == "dial" {
		return false // never connected
	}
	if interrupted {
		return true
	}
	ne, ok := errors.AsType[net.Error](err)
	return ok && ne.Timeout()
}

func firstErr(results []result) string {
	for _, r := range results {
		if r.err != nil && !bots.Permanent(r.err) {
			return r.err.Error()
		}
	}
	return ""
}

// fallBack queues the members of a send batch on the notice's channel after this one, with
// the numbers this send knew. Every member of the batch that falls back goes to one batch
// named after it (whichever send falls back, and however often), so a fallback made twice
// sends nothing twice.
func (h *Handlers) fallBack(ctx context.Context, n models.Notice, channel, batch string, members []string, phones map[string][]byte) error {
	if channel == models.ChannelWeCom || channel == models.ChannelDingTalk {
		return nil // a robot's message has no other channel
	}
	next := ""
	for i, ch := range n.Channels {
		if ch == channel && i+1 < len(n.Channels) {
			next = n.Channels[i+1]
		}
	}
	if next == "" || len(members) == 0 {
		return nil
	}
	return h.queueBatch(ctx, n.ID, next, batch+":fb:"+next, members, phones)
}
