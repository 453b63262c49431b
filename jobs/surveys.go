package jobs

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"strconv"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"kehou/models"
	"kehou/rediskeys"
)

// Survey task types. An answer is enqueued as survey:answer into one of AnswerGroups asynq
// groups; the worker's aggregator turns up to AnswerBatch of them into one survey:answers task,
// which is stored with one unordered insert. A unique index on (survey, respondent) keeps one
// answer per family whatever is retried.
const (
	TypeSurveyAnswer  = "survey:answer"
	TypeSurveyAnswers = "survey:answers"
	TypeSurveyRemind  = "survey:remind"

	AnswerGroups = 8    // groups aggregate in parallel: each check takes up to AnswerBatch per group
	AnswerBatch  = 1000 // answers per insert
)

// answerPayload carries an answer through Redis. It holds no name or number: a named survey's
// answer carries ids, an anonymous one only the keyed respondent hash.
type answerPayload struct {
	ID          string         `json:"id"`
	SurveyID    string         `json:"survey_id"`
	Respondent  string         `json:"respondent"`
	CountyID    string         `json:"county_id"`
	SchoolID    string         `json:"school_id"`
	Grade       int            `json:"grade"`
	MemberID    string         `json:"member_id,omitempty"`
	ChildID     string         `json:"child_id,omitempty"`
	Class       string         `json:"class,omitempty"`
	Answers     models.Answers `json:"answers"`
	SubmittedAt time.Time      `json:"submitted_at,omitzero"`
}

// answerMaxRetry gives a single answer that reached a worker unaggregated as many tries as a
// batch gets (aggregateAnswers).
const answerMaxRetry = 50

// NewSurveyAnswerTask queues one answer. Its task id is the family's receipt (survey + child),
// so a repeat while the first is queued is refused by asynq with ErrTaskIDConflict.
func NewSurveyAnswerTask(r models.Response, receipt string) (*asynq.Task, []asynq.Option, error) {
	payload, err := json.Marshal(answerPayload(r))
	if err != nil {
		return nil, nil, fmt.Errorf("survey answer task: %w", err)
	}
	return asynq.NewTask(TypeSurveyAnswer, payload), []asynq.Option{
		asynq.Queue(QueueCritical), asynq.TaskID(answerTaskID(receipt)), asynq.Group(answerGroup(receipt)), asynq.MaxRetry(answerMaxRetry),
	}, nil
}

func answerTaskID(receipt string) string { return TypeSurveyAnswer + ":" + receipt }

// AnswerTaskID is the asynq task id of the answer with this receipt, while it waits in
// QueueCritical to be batched (the API looks it up to tell a parent their answer is in).
func AnswerTaskID(receipt string) string { return answerTaskID(receipt) }

// answerGroup spreads answers over AnswerGroups groups by their receipt.
func answerGroup(receipt string) string {
	h := fnv.New32a()
	h.Write([]byte(receipt))
	return "survey-answers-" + strconv.FormatUint(uint64(h.Sum32()%AnswerGroups), 10)
}

// WithAggregation sets up answer batching on a worker's asynq configuration. Every worker must
// use it: grouped tasks wait in Redis until an aggregator collects them. rdb is where the
// aggregator marks the answers it batches (rediskeys.AnswerInBatch): asynq deletes their own
// tasks once the batch is queued, and until the batch is stored the mark is what tells the
// API that the answers are in.
func WithAggregation(c asynq.Config, rdb redis.UniversalClient) asynq.Config {
	c.GroupAggregator = asynq.GroupAggregatorFunc(func(group string, tasks []*asynq.Task) *asynq.Task {
		markBatched(rdb, tasks)
		return aggregateAnswers(group, tasks)
	})
	c.GroupGracePeriod = time.Second // the minimum: an answer waits 1–2 s for company
	c.GroupMaxDelay = 2 * time.Second
	c.GroupMaxSize = AnswerBatch
	return c
}

// markBatched marks the answers of a batch about to be formed (see WithAggregation) with one
// pipelined round trip. A failure leaves them unmarked: their parents may read "not started"
// until the batch is stored, a few seconds, and the answers themselves are not affected.
func markBatched(rdb redis.UniversalClient, tasks []*asynq.Task) {
	if rdb == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	pipe := rdb.Pipeline()
	for _, t := range tasks {
		var p struct {
			SurveyID   string `json:"survey_id"`
			Respondent string `json:"respondent"`
		}
		if json.Unmarshal(t.Payload(), &p) != nil || p.SurveyID == "" {
			continue
		}
		pipe.Set(ctx, rediskeys.AnswerInBatch(p.SurveyID, p.Respondent), 1, rediskeys.AnswerInBatchTTL)
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		slog.Warn("marking batched survey answers failed", "answers", len(tasks), "err", err)
	}
}

// aggregateAnswers joins answer payloads into one JSON array without decoding them.
func aggregateAnswers(_ string, tasks []*asynq.Task) *asynq.Task {
	var b bytes.Buffer
	b.WriteByte('[')
	for i, t := range tasks {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(t.Payload())
	}
	b.WriteByte(']')
	return asynq.NewTask(TypeSurveyAnswers, b.Bytes(), asynq.MaxRetry(answerMaxRetry), asynq.Timeout(answerBatchTimeout))
}

// answerBatchTimeout bounds one run of an answer batch (about a quarter of a second on the
// embedded store): well under the store's countGrace, the time a counted batch's key stays in
// its counter documents for a run that read "not counted" before the batch was marked.
const answerBatchTimeout = time.Minute

// HandleSurveyAnswers stores a batch of answers and counts them for the monthly report. Answers
// already stored (a retried batch, or a repeat that was queued again after the first left the
// queue) are skipped by the unique index. An error storing or counting makes asynq retry the
// batch, and the retry counts what an earlier run stored and did not count, nothing twice
// (store.InsertResponses).
func (h *Handlers) HandleSurveyAnswers(ctx context.Context, t *asynq.Task) error {
	var ps []answerPayload
	if err := json.Unmarshal(t.Payload(), &ps); err != nil {
		return badPayload(err)
	}
	return h.storeAnswers(ctx, ps)
}

// HandleSurveyAnswer stores one answer that reached a worker without aggregation.
func (h *Handlers) HandleSurveyAnswer(ctx context.Context, t *asynq.Task) error {
	var p answerPayload
	if err := json.Unmarshal(t.Payload(), &p); err != nil {
		return badPayload(err)
	}
	return h.storeAnswers(ctx, []answerPayload{p})
}

func (h *Handlers) storeAnswers(ctx context.Context, ps []answerPayload) error {
	rs := make([]models.Response, len(ps))
	for i, p := range ps {
		rs[i] = models.Response(p)
	}
	n, err := h.Store.InsertResponses(ctx, rs)
	if err != nil {
		return fmt.Errorf("store answers: %w", err)
	}
	h.Log.Debug("answers stored", "batch", len(rs), "new", n)
	return nil
}
