package jobs

import (
	"context"
	"errors"
	"fmt"
	"time"

	"kehou/bots"
	"kehou/models"
	"kehou/store"
)

// record writes every outcome of a send batch. Permanent failures and skips fall back to the
// notice's next channel; rate-limited ones wait in a delayed task; transient failures go back
// to queued and make the task fail, so asynq retries it with backoff.
func (h *Handlers) record(ctx context.Context, n models.Notice, p sendPayload, claim string, results []result) error {
	type key struct{ status, reason, code string }
	groups := map[key][]string{}
	var fallback, retry []string
	var waitIDs []string
	var wait time.Duration
	for _, r := range results {
		pr := r.p
		var be *bots.Error
		if r.err != nil && errors.As(r.err, &be) && be.Code != "" {
			h.releaseSMS(ctx, pr) // the provider answered with a refusal: nothing was sent
		}
		switch {
		case pr.skip == "too_many_attempts":
			groups[key{models.DeliveryFailed, pr.skip, ""}] = append(groups[key{models.DeliveryFailed, pr.skip, ""}], pr.d.ID)
		case pr.skip != "":
			groups[key{models.DeliverySkipped, pr.skip, ""}] = append(groups[key{models.DeliverySkipped, pr.skip, ""}], pr.d.ID)
			fallback = append(fallback, pr.d.MemberID)
		case pr.wait > 0:
			waitIDs = append(waitIDs, pr.d.ID)
			wait = max(wait, pr.wait)
		case r.err == nil:
			groups[key{models.DeliverySent, "", ""}] = append(groups[key{models.DeliverySent, "", ""}], pr.d.ID)
		case bots.Permanent(r.err):
			e := r.err.(*bots.Error)
			groups[key{models.DeliveryFailed, e.Reason, e.Code}] = append(groups[key{models.DeliveryFailed, e.Reason, e.Code}], pr.d.ID)
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
				if err != nil {
					return err
				}
			}
		default:
			if e, ok := r.err.(*bots.Error); ok && e.Wait > 0 {
				waitIDs = append(waitIDs, pr.d.ID)
				wait = max(wait, e.Wait)
			} else {
				retry = append(retry, pr.d.ID)
			}
			if pr.refund != "" {
				if err := h.Store.RefundConsent(ctx, pr.d.MemberID, pr.refund); err != nil {
					return err
				}
			}
		}
	}
	if len(retry) > 0 {
		h.Log.Warn("deliveries failed transiently", "batch", p.Batch, "count", len(retry), "example", firstErr(results))
	}
	// Fall back first: the fallback deliveries are created (idempotently) before the
	// first-channel ones are finished, so a crash in between repeats the fallback instead of
	// losing it.
	if err := h.fallBack(ctx, n, p.Channel, claim, fallback); err != nil {
		return err
	}
	for k, ids := range groups {
		if err := h.Store.FinishDeliveries(ctx, claim, ids, store.Outcome{Status: k.status, Reason: k.reason, Code: k.code}); err != nil {
			return err
		}
	}
	if err := h.Store.FinishDeliveries(ctx, claim, retry, store.Outcome{Status: models.DeliveryQueued, Reason: "retrying"}); err != nil {
		return err
	}
	if err := h.Store.FinishDeliveries(ctx, claim, waitIDs, store.Outcome{Status: models.DeliveryQueued, Reason: bots.ReasonRateLimited, NotBefore: h.now().Add(wait)}); err != nil {
		return err
	}
	if err := h.Store.ReleaseBatch(ctx, p.Batch, claim); err != nil {
		return err
	}
	if len(waitIDs) > 0 {
		task, opts := newSendTask(p, fmt.Sprintf("%s:w:%s", p.Batch, claim), wait)
		if err := h.enqueue(ctx, task, opts); err != nil {
			return err
		}
	}
	if len(retry) > 0 {
		return fmt.Errorf("%d of %d deliveries failed transiently; retrying", len(retry), len(results))
	}
	return nil
}

func firstErr(results []result) string {
	for _, r := range results {
		if r.err != nil && !bots.Permanent(r.err) {
			return r.err.Error()
		}
	}
	return ""
}

// fallBack queues the members on the notice's channel after this one.
func (h *Handlers) fallBack(ctx context.Context, n models.Notice, channel, claim string, members []string) error {
	if channel == bots.ChannelWeCom || channel == bots.ChannelDingTalk {
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
	return h.queueBatches(ctx, n.ID, next, "fb"+claim, members)
}
