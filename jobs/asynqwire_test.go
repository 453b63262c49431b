package jobs

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
)

// TestQueuedAnswerMatchesAsynq: what the API writes for an answer in its own script is what
// asynq's client writes for the same task, byte for byte, and a worker stores it like any other.
func TestQueuedAnswerMatchesAsynq(t *testing.T) {
	e := newBC(t, 6)
	ctx := context.Background()
	sv := e.survey(time.Time{})
	rs, receipts := e.answers(sv)

	// asynq's client writes the first answer.
	task, opts := NewSurveyAnswerTask(rs[0], receipts[0])
	info, err := e.queue.EnqueueContext(ctx, task, opts...)
	must(t, err)
	ours := NewQueuedAnswer(rs[0], receipts[0])
	keys := ours.Keys()
	if info.ID != ours.ID || info.Group != ours.Group || info.Queue != QueueCritical || info.State != asynq.TaskStateAggregating {
		t.Fatalf("asynq queued %s in %s/%s (%v); ours is %s in %s", info.ID, info.Queue, info.Group, info.State, ours.ID, ours.Group)
	}
	stored, err := e.rdb.HGetAll(ctx, keys[0]).Result()
	must(t, err)
	if !bytes.Equal([]byte(stored["msg"]), ours.Msg) || stored["state"] != ours.State() || stored["group"] != ours.Group {
		t.Fatalf("asynq stored state %q group %q msg %x\nours: msg %x", stored["state"], stored["group"], stored["msg"], ours.Msg)
	}
	for _, k := range []struct{ set, member string }{{keys[2], ours.Group}, {keys[3], QueueCritical}} {
		if ok, err := e.rdb.SIsMember(ctx, k.set, k.member).Result(); err != nil || !ok {
			t.Fatalf("%s lacks %s (%v)", k.set, k.member, err)
		}
	}
	if _, err := e.rdb.ZScore(ctx, keys[1], ours.ID).Result(); err != nil {
		t.Fatalf("group %s lacks the task: %v", keys[1], err)
	}

	// The rest are written as the API's script writes them.
	for i := 1; i < len(rs); i++ {
		q := NewQueuedAnswer(rs[i], receipts[i])
		k := q.Keys()
		_, err := e.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.HSet(ctx, k[0], "msg", q.Msg, "state", q.State(), "group", q.Group)
			p.ZAdd(ctx, k[1], redis.Z{Score: float64(time.Now().Unix()), Member: q.ID})
			p.SAdd(ctx, k[2], q.Group)
			p.SAdd(ctx, k[3], QueueCritical)
			return nil
		})
		must(t, err)
	}
	// asynq sees them as its own: a repeat through its client is refused by task id.
	task, opts = NewSurveyAnswerTask(rs[1], receipts[1])
	if _, err := e.queue.EnqueueContext(ctx, task, opts...); !errors.Is(err, asynq.ErrTaskIDConflict) {
		t.Fatalf("repeat of a script-written answer: %v", err)
	}
	e.start()
	e.waitAnswers(sv.ID, len(rs))
	for i, r := range rs {
		got, err := e.obs.ResponseOf(ctx, sv.ID, r.Respondent)
		must(t, err)
		if *got.Answers["q1"].Score != *r.Answers["q1"].Score {
			t.Fatalf("answer %d stored with score %d, want %d", i, *got.Answers["q1"].Score, *r.Answers["q1"].Score)
		}
	}
}
