package jobs

import (
	"time"

	"google.golang.org/protobuf/encoding/protowire"

	"kehou/models"
)

// QueuedAnswer is a survey answer task as asynq stores it in Redis, so that the API can queue an
// answer inside the same Redis script as its session and rate-limit checks (one round trip per
// submission instead of two; see server.answerScript). It is exactly what asynq's client writes
// for NewSurveyAnswerTask: the same task id, group and encoded message, under asynq's own key
// layout. TestQueuedAnswerMatchesAsynq compares the bytes with asynq's client, so an asynq
// upgrade that changes its layout fails the tests instead of losing answers.
type QueuedAnswer struct {
	ID    string // the asynq task id (TypeSurveyAnswer:receipt)
	Group string
	Msg   []byte // asynq's TaskMessage, protobuf-encoded
}

// asynq's fixed parts for this task: NewSurveyAnswerTask sets no timeout or deadline, so asynq
// uses its default timeout of 30 minutes and no deadline.
const (
	answerMaxRetry   = 50
	asynqDefTimeout  = 30 * time.Minute
	asynqAllQueues   = "asynq:queues"
	asynqStateGroup  = "aggregating"
	asynqQueuePrefix = "asynq:{" + QueueCritical + "}:"
)

// NewQueuedAnswer builds the stored form of an answer task.
func NewQueuedAnswer(r models.Response, receipt string) QueuedAnswer {
	payload := answerPayloadOf(r)
	q := QueuedAnswer{ID: answerTaskID(receipt), Group: answerGroup(receipt)}
	// Field numbers of asynq's internal/proto TaskMessage, in the order proto.Marshal writes
	// them; fields left at zero are not written.
	b := make([]byte, 0, len(payload)+len(q.ID)+len(q.Group)+48)
	b = protowire.AppendTag(b, 1, protowire.BytesType)
	b = protowire.AppendString(b, TypeSurveyAnswer)
	b = protowire.AppendTag(b, 2, protowire.BytesType)
	b = protowire.AppendBytes(b, payload)
	b = protowire.AppendTag(b, 3, protowire.BytesType)
	b = protowire.AppendString(b, q.ID)
	b = protowire.AppendTag(b, 4, protowire.BytesType)
	b = protowire.AppendString(b, QueueCritical)
	b = protowire.AppendTag(b, 5, protowire.VarintType)
	b = protowire.AppendVarint(b, answerMaxRetry)
	b = protowire.AppendTag(b, 8, protowire.VarintType)
	b = protowire.AppendVarint(b, uint64(asynqDefTimeout/time.Second))
	b = protowire.AppendTag(b, 14, protowire.BytesType)
	b = protowire.AppendString(b, q.Group)
	q.Msg = b
	return q
}

// Keys are the Redis keys asynq's add-to-group script writes, in the order answerScript takes
// them: the task hash, the group's sorted set, the queue's set of groups, and the set of all
// queues (asynq's client adds the queue there once per process; the script does it each time).
func (q QueuedAnswer) Keys() []string {
	return []string{asynqQueuePrefix + "t:" + q.ID, asynqQueuePrefix + "g:" + q.Group, asynqQueuePrefix + "groups", asynqAllQueues}
}

// State is the task hash's state field for a task waiting in its group.
func (QueuedAnswer) State() string { return asynqStateGroup }
