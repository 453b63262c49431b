package jobs

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"strconv"
	"time"

	"github.com/hibiken/asynq"

	"kehou/models"
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

// answerGroup spreads answers over AnswerGroups groups by their receipt.
func answerGroup(receipt string) string {
	h := fnv.New32a()
	h.Write([]byte(receipt))
	return "survey-answers-" + strconv.FormatUint(uint64(h.Sum32()%AnswerGroups), 10)
}

// WithAggregation sets up answer batching on a worker's asynq configuration. Every worker must
// use it: grouped tasks wait in Redis until an aggregator collects them.
func WithAggregation(c asynq.Config) asynq.Config {
	c.GroupAggregator = asynq.GroupAggregatorFunc(aggregateAnswers)
	c.GroupGracePeriod = time.Second // the minimum: an answer waits 1–2 s for company
	c.GroupMaxDelay = 2 * time.Second
	c.GroupMaxSize = AnswerBatch
	return c
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
