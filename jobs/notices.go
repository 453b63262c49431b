package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/hibiken/asynq"

	"kehou/models"
	"kehou/store"
)

// SendTimeout bounds one send task (SendChunk deliveries, sendParallel at a time, 10 s per
// provider call at worst: 1,000 / 20 × 10 s = 500 s). It must stay below DefaultSendingAfter.
const SendTimeout = 9 * time.Minute

// DefaultSendChunk is how many deliveries a send batch holds, as many as a fan-out batch
// resolves pupils, so that each fan-out batch makes one send batch. Every batch costs the same
// ten or so database commands (its document, a lock taken, renewed and dropped, the receipts,
// the delivery record, the notice's progress), so the batch size sets the commands per
// delivery, the figure that predicts the cost on MongoDB: 23.4 per 1,000 deliveries in
// batches of 500, 12.4 in batches of 1,000 (bench/broadcast, 10,000 recipients), against a
// target of 20. The price is the crash window: a worker that dies mid-send leaves up to this
// many deliveries unknown (never sent twice).
const DefaultSendChunk = 1000

// sendParallel is how many provider calls one send task makes at a time.
const sendParallel = 20

// Task types of the notice broadcast.
const (
	TypeNoticeFanout    = "notice:fanout"    // resolve the audience in batches, queue deliveries
	TypeNoticeSend      = "notice:send"      // send a batch of deliveries on one channel
	TypeNoticeReconcile = "notice:reconcile" // re-enqueue what Redis lost, expire what a dead worker left
)

type fanoutPayload struct {
	NoticeID string `json:"notice_id"`
}

// sendPayload names a batch of deliveries: the batch lists its members, so the task stays
// small and a retry picks up exactly the ones still queued.
type sendPayload struct {
	NoticeID string `json:"notice_id"`
	Channel  string `json:"channel"`
	Batch    string `json:"batch"`
}

// NewNoticeFanoutTask starts a notice going out at its send time. The task id is the notice's,
// so a repeated publish enqueues it once; id suffixes distinguish deferrals and reconciler runs.
func NewNoticeFanoutTask(n models.Notice, idSuffix string) (*asynq.Task, []asynq.Option) {
	payload, _ := json.Marshal(fanoutPayload{NoticeID: n.ID})
	id := TypeNoticeFanout + ":" + n.ID + idSuffix
	return asynq.NewTask(TypeNoticeFanout, payload), []asynq.Option{
		asynq.Queue(QueueBulk), asynq.TaskID(id), asynq.ProcessAt(n.SendAt), asynq.MaxRetry(50),
	}
}

// newSendTask sends a batch after delay (0: now). Delays are relative so that the handlers'
// clock (simulated in tests) and Redis's clock need not agree.
func newSendTask(p sendPayload, id string, delay time.Duration) (*asynq.Task, []asynq.Option) {
	payload, _ := json.Marshal(p)
	return asynq.NewTask(TypeNoticeSend, payload), []asynq.Option{
		asynq.Queue(QueueBulk), asynq.TaskID(id), asynq.ProcessIn(max(delay, 0)), asynq.MaxRetry(20),
		// A send never runs longer than this, so a claim older than the reconciler's
		// SendingAfter is certainly abandoned.
		asynq.Timeout(SendTimeout),
	}
}

// enqueue ignores a task id that is already queued: that is the deduplication working.
func (h *Handlers) enqueue(ctx context.Context, t *asynq.Task, opts []asynq.Option) error {
	_, err := h.Queue.EnqueueContext(ctx, t, opts...)
	if err != nil && !errors.Is(err, asynq.ErrTaskIDConflict) && !errors.Is(err, asynq.ErrDuplicateTask) {
		return fmt.Errorf("enqueue %s: %w", t.Type(), err)
	}
	return nil
}

func (h *Handlers) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

func badPayload(err error) error { return fmt.Errorf("bad payload: %v: %w", err, asynq.SkipRetry) }

// HandleNoticeFanout resolves a notice's audience batch by batch, puts it in every recipient's
// inbox, queues a delivery per recipient on the first channel and enqueues send tasks. Each
// batch is checkpointed on the notice, so a fan-out cut short resumes where it stopped, and a
// recipient's receipt names the send batch that carries them, so a batch done twice queues
// nobody twice.
func (h *Handlers) HandleNoticeFanout(ctx context.Context, t *asynq.Task) error {
	var p fanoutPayload
	if err := json.Unmarshal(t.Payload(), &p); err != nil || p.NoticeID == "" {
		return badPayload(err)
	}
	n, err := h.Store.Notice(ctx, p.NoticeID)
	if errors.Is(err, store.ErrNotFound) {
		return badPayload(err)
	}
	if err != nil {
		return err
	}
	if n.Status == models.NoticeCancelled || n.Status == models.NoticeSent {
		return nil
	}
	now := h.now()
	if n.SendAt.After(now.Add(time.Second)) { // woken early (by the reconciler): wait for the time
		task, opts := NewNoticeFanoutTask(n, fmt.Sprintf(":at%d", n.SendAt.Unix()))
		return h.enqueue(ctx, task, append(opts, asynq.ProcessIn(n.SendAt.Sub(now))))
	}
	if quiet, end := models.InQuietHours(now); quiet && !n.Urgent && n.Status == models.NoticeScheduled {
		if err := h.Store.DeferNotice(ctx, n.ID, end); err != nil {
			return err
		}
		task, opts := NewNoticeFanoutTask(n, fmt.Sprintf(":q%d", end.Unix()))
		h.Log.Info("notice deferred for quiet hours", "notice", n.ID, "until", end)
		return h.enqueue(ctx, task, append(opts, asynq.ProcessIn(end.Sub(now))))
	}
	if ok, err := h.Store.StartNotice(ctx, n.ID); err != nil || !ok {
		return err
	}
	if err := h.queueRobots(ctx, n); err != nil {
		return err
	}
	if store.Streamable(n) {
		return h.streamFanout(ctx, n)
	}
	cursor, batch := n.FanoutCursor, n.FanoutBatches
	for {
		members, next, done, err := h.Store.AudienceBatch(ctx, n, cursor, h.fanoutBatch())
		if err != nil {
			return err
		}
		if err := h.fanOutBatch(ctx, n, batch, members, nil, next, done); err != nil {
			return err
		}
		if done {
			h.Log.Info("notice fanned out", "notice", n.ID, "batches", batch+1)
			return nil
		}
		cursor, batch = next, batch+1
		if err := ctx.Err(); err != nil {
			return err
		}
	}
}

// streamFanout fans out a notice to pupils' guardians in one pass over the audience
// (store.StreamAudience). A run cut short starts the pass again: what the first run created
// exists already and is not created twice; batch numbers continue from the checkpoint, so the
// second run's batches are new ones and carry only recipients that are new (the others stay
// in, or are put back into, the batch their receipt names).
func (h *Handlers) streamFanout(ctx context.Context, n models.Notice) error {
	batch := n.FanoutBatches
	err := h.Store.StreamAudience(ctx, n, h.fanoutBatch(), func(members []string, phones map[string][]byte) error {
		if err := h.fanOutBatch(ctx, n, batch, members, phones, "stream", false); err != nil {
			return err
		}
		batch++
		return ctx.Err()
	})
	if err != nil {
		return err
	}
	h.Log.Info("notice fanned out", "notice", n.ID, "batches", batch)
	return h.Store.CheckpointFanout(ctx, n.ID, "stream", 0, true)
}

// fanOutBatch puts the notice in one batch of recipients' inboxes, queues their deliveries on
// the first channel in send batches, enqueues a task per send batch and checkpoints the
// notice (cursor: where the next batch starts).
func (h *Handlers) fanOutBatch(ctx context.Context, n models.Notice, batch int, members []string, phones map[string][]byte, cursor string, done bool) error {
	channel := ""
	if len(n.Channels) > 0 {
		channel = n.Channels[0]
	}
	parts := chunks(members, h.sendChunk())
	tags := make([]string, len(parts))
	for k := range parts {
		tags[k] = batchTag(fmt.Sprintf("b%d", batch), k)
	}
	added, batches, err := h.Store.QueueRecipients(ctx, n, channel, batchPrefix(n.ID, channel), tags, parts, phones)
	if err != nil {
		return err
	}
	if err := h.enqueueBatches(ctx, n.ID, channel, batches); err != nil {
		return err
	}
	return h.Store.CheckpointFanout(ctx, n.ID, cursor, added, done)
}

// batchKey names a send batch; it doubles as its send task's id, so a repeat enqueues nothing
// new. It is batchPrefix followed by batchTag.
func batchKey(noticeID, channel, tag string, k int) string {
	return batchPrefix(noticeID, channel) + batchTag(tag, k)
}

// batchPrefix is what the keys of a notice's batches on one channel share.
func batchPrefix(noticeID, channel string) string {
	return TypeNoticeSend + ":" + noticeID + ":" + channel + ":"
}

// batchTag is what tells a batch from the other batches of its notice and channel.
func batchTag(tag string, k int) string { return tag + ":" + strconv.Itoa(k) }

// queueBatch makes a send batch carry members on a channel (EnsureBatch: only those it never
// carried) and, if it took any, enqueues its task. Robots and fallbacks use it; the fan-out
// queues through the receipts (QueueRecipients).
func (h *Handlers) queueBatch(ctx context.Context, noticeID, channel, key string, members []string, phones map[string][]byte) error {
	grew, err := h.Store.EnsureBatch(ctx, noticeID, channel, key, members, phones)
	if err != nil || !grew {
		return err
	}
	return h.enqueueBatches(ctx, noticeID, channel, []string{key})
}

func (h *Handlers) enqueueBatches(ctx context.Context, noticeID, channel string, keys []string) error {
	for _, key := range keys {
		task, opts := newSendTask(sendPayload{noticeID, channel, key}, key, 0)
		if err := h.enqueue(ctx, task, opts); err != nil {
			return err
		}
	}
	return nil
}

// queueRobots gives each of the notice's group robots a delivery of its own (channel = the
// robot's kind), so robots share the ledger, retries and the report with families.
func (h *Handlers) queueRobots(ctx context.Context, n models.Notice) error {
	for _, id := range n.Robots {
		r, err := h.Store.Robot(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			continue // deleted since the notice was written
		}
		if err != nil {
			return err
		}
		key := batchKey(n.ID, r.Kind, "robot:"+r.ID, 0)
		if err := h.queueBatch(ctx, n.ID, r.Kind, key, []string{models.RobotMember(r.ID)}, nil); err != nil {
			return err
		}
	}
	return nil
}

func (h *Handlers) fanoutBatch() int {
	if h.FanoutBatch > 0 {
		return h.FanoutBatch
	}
	return DefaultSendChunk
}

func (h *Handlers) sendChunk() int {
	if h.SendChunk > 0 {
		return h.SendChunk
	}
	return DefaultSendChunk
}

func chunks(ids []string, size int) [][]string {
	var out [][]string
	for len(ids) > 0 {
		n := min(size, len(ids))
		out = append(out, ids[:n])
		ids = ids[n:]
	}
	return out
}
