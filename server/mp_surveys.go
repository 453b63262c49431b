package server

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/hibiken/asynq"
	"github.com/labstack/echo/v4"
	"github.com/redis/go-redis/v9"

	"kehou/jobs"
	"kehou/models"
	"kehou/rediskeys"
	"kehou/store"
)

// Survey statuses as a parent sees them, per child.
const (
	statusNotStarted = models.MemberSurveyNotStarted
	statusDraft      = models.MemberSurveyDraft
	statusSubmitted  = models.MemberSurveySubmitted
)

// mpSurveyItem is one survey a parent may answer for one child.
type mpSurveyItem struct {
	ID        string    `json:"id"`
	Kind      string    `json:"kind"`
	Title     string    `json:"title"`
	Sender    string    `json:"sender"`
	Anonymous bool      `json:"anonymous"`
	ClosesAt  time.Time `json:"closes_at,omitzero"`
	ChildID   string    `json:"child_id"`
	ChildName string    `json:"child_name"` // masked
	Status    string    `json:"status"`
	Receipt   string    `json:"receipt,omitempty"`
}

// myPupils returns the caller's bound children (the roster is the truth for school and class):
// as the admission read them from the cache (see admitMember), else from the cache, else MongoDB.
func (s *Server) myPupils(c echo.Context) ([]models.Child, error) {
	if kids, ok := c.Get(ctxPupils).([]models.Child); ok {
		return kids, nil
	}
	ctx, memberID := c.Request().Context(), memberOf(c).ID
	if kids, ok := s.cachedPupils(ctx, memberID); ok {
		return kids, nil
	}
	return s.readPupils(ctx, memberID)
}

// readPupils reads a member's bound children from MongoDB and caches them.
func (s *Server) readPupils(ctx context.Context, memberID string) ([]models.Child, error) {
	gs, err := s.store.GuardianshipsOfMember(ctx, memberID)
	if err != nil {
		return nil, err
	}
	out := make([]models.Child, 0, len(gs))
	for _, g := range gs {
		ch, err := s.store.Child(ctx, g.ChildID)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, ch)
	}
	s.cachePupils(ctx, memberID, out)
	return out, nil
}

// myPupilsAndPlaces returns the caller's children with the schools and counties they are in,
// which the open surveys and events are looked up by.
func (s *Server) myPupilsAndPlaces(c echo.Context) (kids []models.Child, schools, counties []string, err error) {
	kids, err = s.myPupils(c)
	for _, k := range kids {
		schools, counties = append(schools, k.SchoolID), append(counties, k.CountyID)
	}
	return kids, schools, counties, err
}

// openSurvey reads a survey for parents, from the hot cache when it has it.
func (s *Server) openSurvey(ctx context.Context, id string) (models.Survey, error) {
	if sv, ok := s.cache.surveys.Get(id); ok {
		return sv, nil
	}
	v, err, _ := s.cache.loads.Do("survey:"+id, func() (any, error) {
		sv, err := s.store.Survey(context.WithoutCancel(ctx), id)
		if err == nil {
			s.cache.surveys.Add(id, sv)
		}
		return sv, err
	})
	return v.(models.Survey), err
}

// mpSurveys lists the open surveys that reach the caller's children, one item per child, with
// whether it is answered, drafted or not started.
func (s *Server) mpSurveys(c echo.Context) error {
	ctx := c.Request().Context()
	kids, schools, counties, err := s.myPupilsAndPlaces(c)
	if err != nil {
		return err
	}
	out := []mpSurveyItem{}
	if len(kids) == 0 { // a parent with no child bound yet (and nothing to look surveys up by)
		return c.JSON(http.StatusOK, listBody[mpSurveyItem]{Items: out})
	}
	open, err := s.store.OpenSurveys(ctx, s.now(), schools, counties)
	if err != nil {
		return err
	}
	for _, sv := range open {
		var reached []models.Child
		var keys, ids []string
		for _, k := range kids {
			if sv.Reaches(k.SchoolID, k.CountyID, k.Grade, k.Class) {
				reached = append(reached, k)
				keys = append(keys, s.store.RespondentKey(sv, k.ID))
				ids = append(ids, k.ID)
			}
		}
		if len(reached) == 0 {
			continue
		}
		done, err := s.answered(ctx, sv, ids, keys)
		if err != nil {
			return err
		}
		drafts, err := s.store.DraftsExist(ctx, sv, ids)
		if err != nil {
			return err
		}
		for i, k := range reached {
			it := mpSurveyItem{ID: sv.ID, Kind: sv.Kind, Title: sv.Title, Sender: sv.Sender, Anonymous: sv.Anonymous,
				ClosesAt: sv.ClosesAt, ChildID: k.ID, ChildName: k.NameMasked, Status: statusNotStarted}
			switch {
			case done[keys[i]]:
				it.Status, it.Receipt = statusSubmitted, s.store.ReceiptID(sv, k.ID)
			case drafts[k.ID]:
				it.Status = statusDraft
			}
			out = append(out, it)
		}
	}
	return c.JSON(http.StatusOK, listBody[mpSurveyItem]{Items: out})
}

// answered tells which of the given children's answers (by respondent key, keys[i] being
// children[i]'s) are in: stored in MongoDB, or accepted with a 202 and on their way there. The
// answer route spends only its two Redis commands (the admission and the enqueue), so the way
// is read here, at the listing's cost, in the order an answer moves along it: its own asynq task
// (its id is the receipt) until the worker's aggregator takes it into a batch, then the mark the
// aggregator sets before asynq deletes the task (rediskeys.AnswerInBatch), until the batch is
// stored. Reading the task before the mark leaves no gap between them. An answer whose task was
// archived (it failed every retry) is not in. Should Redis fail, MongoDB's answer stands.
func (s *Server) answered(ctx context.Context, sv models.Survey, children, keys []string) (map[string]bool, error) {
	done, err := s.store.Answered(ctx, sv.ID, keys)
	if err != nil || s.queued == nil {
		return done, err
	}
	var rest []string
	for i, k := range keys {
		if done[k] {
			continue
		}
		info, err := s.queued.GetTaskInfo(jobs.QueueCritical, jobs.AnswerTaskID(s.store.ReceiptID(sv, children[i])))
		switch {
		case errors.Is(err, asynq.ErrTaskNotFound) || errors.Is(err, asynq.ErrQueueNotFound):
			rest = append(rest, k)
		case err != nil:
			s.log.Warn("looking up queued survey answers failed", "survey", sv.ID, "err", err)
			return done, nil
		case info.State != asynq.TaskStateArchived:
			done[k] = true
		}
	}
	if len(rest) == 0 {
		return done, nil
	}
	pipe := s.rdb.Pipeline()
	marks := make([]*redis.IntCmd, len(rest))
	for i, k := range rest {
		marks[i] = pipe.Exists(ctx, rediskeys.AnswerInBatch(sv.ID, k))
	}
	if _, err := pipe.Exec(ctx); err != nil {
		s.log.Warn("looking up batched survey answers failed", "survey", sv.ID, "err", err)
		return done, nil
	}
	for i, k := range rest {
		if marks[i].Val() == 1 {
			done[k] = true
		}
	}
	return done, nil
}

// surveyForChild finds the survey and the caller's child it is answered for. A survey that is
// not published, or does not reach any of the caller's children, does not exist for them.
// child may be empty when exactly one of the caller's children is reached.
func (s *Server) surveyForChild(c echo.Context, childID string) (models.Survey, models.Child, error) {
	sv, err := s.openSurvey(c.Request().Context(), c.Param("id"))
	if err != nil {
		return sv, models.Child{}, err
	}
	return s.childFor(c, sv, childID)
}

// childFor is surveyForChild for a survey already read.
func (s *Server) childFor(c echo.Context, sv models.Survey, childID string) (models.Survey, models.Child, error) {
	if sv.Status == models.SurveyDraft {
		return sv, models.Child{}, errNotFound
	}
	kids, err := s.myPupils(c)
	if err != nil {
		return sv, models.Child{}, err
	}
	var reached []models.Child
	reachesMine := false
	for _, k := range kids {
		if sv.Reaches(k.SchoolID, k.CountyID, k.Grade, k.Class) {
			reachesMine = true
			if childID == "" || k.ID == childID {
				reached = append(reached, k)
			}
		}
	}
	switch {
	case !reachesMine:
		// A survey that reaches none of the caller's children is not found, whatever child the
		// request names: a 422 here would tell a parent that a survey id exists elsewhere.
		return sv, models.Child{}, errNotFound
	case len(reached) == 0:
		return sv, models.Child{}, models.FieldErrors{"child_id": "该问卷不面向这名孩子"}
	case len(reached) > 1:
		return sv, models.Child{}, models.FieldErrors{"child_id": "请选择为哪个孩子填写"}
	}
	return sv, reached[0], nil
}

// surveyState tells a parent whether they can still answer.
func (s *Server) surveyState(sv models.Survey) error {
	now := s.now()
	switch {
	case sv.Status == models.SurveyPublished && now.Before(sv.OpensAt):
		return newAPIError(http.StatusConflict, "survey_not_open", "问卷尚未开始，开始时间："+sv.OpensAt.In(models.Shanghai).Format("1月2日 15:04"))
	case !sv.Open(now):
		return newAPIError(http.StatusConflict, "survey_closed", "问卷已截止，不能再提交")
	}
	return nil
}

// mpSurveyBody is a survey as a parent opens it: what to answer, for which child, and how far
// they are, without the staff's details (author, audience, invitation, reminders).
type mpSurveyBody struct {
	ID          string            `json:"id"`
	Sender      string            `json:"sender"`
	Kind        string            `json:"kind"`
	Title       string            `json:"title"`
	Description string            `json:"description"`
	OpensAt     time.Time         `json:"opens_at,omitzero"`
	ClosesAt    time.Time         `json:"closes_at,omitzero"`
	Anonymous   bool              `json:"anonymous"`
	Questions   []models.Question `json:"questions"`
	Status      string            `json:"status"`
	ChildID     string            `json:"child_id"`
	ChildName   string            `json:"child_name"`
	MyStatus    string            `json:"my_status"`
	Receipt     string            `json:"receipt,omitempty"`
	Draft       models.Answers    `json:"draft,omitempty"`
}

// mpSurvey opens a survey for one child, with the saved draft to continue from.
func (s *Server) mpSurvey(c echo.Context) error {
	sv, child, err := s.surveyForChild(c, c.QueryParam("child_id"))
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	body := mpSurveyBody{ID: sv.ID, Sender: sv.Sender, Kind: sv.Kind, Title: sv.Title, Description: sv.Description,
		OpensAt: sv.OpensAt, ClosesAt: sv.ClosesAt, Anonymous: sv.Anonymous, Questions: sv.Questions, Status: sv.Status,
		ChildID: child.ID, ChildName: child.NameMasked, MyStatus: statusNotStarted}
	key := s.store.RespondentKey(sv, child.ID)
	done, err := s.answered(ctx, sv, []string{child.ID}, []string{key})
	if err != nil {
		return err
	}
	draft, err := s.store.Draft(ctx, sv, child.ID)
	switch {
	case done[key]:
		body.MyStatus, body.Receipt = statusSubmitted, s.store.ReceiptID(sv, child.ID)
	case err == nil:
		body.MyStatus, body.Draft = statusDraft, draft
	case !errors.Is(err, store.ErrNotFound):
		return err
	}
	return c.JSON(http.StatusOK, body)
}

type answerForm struct {
	ChildID string         `json:"child_id"`
	Answers models.Answers `json:"answers"`
}

func (f *answerForm) validate() error {
	if f.Answers == nil {
		return models.FieldErrors{"answers": models.MsgRequired}
	}
	return nil
}

// answerRequest decodes a draft and finds the survey and child it is for, while the survey
// takes answers.
func (s *Server) answerRequest(c echo.Context) (answerForm, models.Survey, models.Child, error) {
	var f answerForm
	if err := bind(c, &f); err != nil {
		return f, models.Survey{}, models.Child{}, err
	}
	sv, child, err := s.surveyForChild(c, f.ChildID)
	if err != nil {
		return f, sv, child, err
	}
	return f, sv, child, s.surveyState(sv)
}

// saveSurveyDraft keeps unfinished answers; they are checked for form, not completeness.
func (s *Server) saveSurveyDraft(c echo.Context) error {
	f, sv, child, err := s.answerRequest(c)
	if err != nil {
		return err
	}
	answers, err := sv.CheckAnswers(f.Answers, true)
	if err != nil {
		return err
	}
	if err := s.store.SaveDraft(c.Request().Context(), sv, child.ID, answers); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"survey_id": sv.ID, "child_id": child.ID, "saved_at": s.now().UTC()})
}

// receiptBody answers a submission. status is "queued" for a new answer, "submitted" for a
// repeat (the first answer stands), "stored" when it was written straight to the database.
type receiptBody struct {
	Receipt  string `json:"receipt"`
	SurveyID string `json:"survey_id"`
	ChildID  string `json:"child_id"`
	Status   string `json:"status"`
	Message  string `json:"message"`
}

// submitSurvey validates an answer and queues it with asynq: the answer is in Redis before the
// 202, and a worker stores it in batches. The task id is the family's receipt (survey + child),
// so a repeat while the first is queued is refused by asynq (ErrTaskIDConflict) and answered
// with the first receipt; a repeat after the first was stored is queued and dropped by the
// unique index, so the first answer stands either way. With requireMember's admission this is
// two Redis commands per answer: the admission script and asynq's enqueue (the survey is in this
// replica's memory). Should Redis be unavailable, the answer is written to MongoDB directly;
// only when both fail is it refused, with 503 and Retry-After.
func (s *Server) submitSurvey(c echo.Context) error {
	f, sv, child, err := s.answerRequest(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	sv, answers, err := s.fixAndCheck(ctx, sv, f.Answers)
	if err != nil {
		return err
	}
	receipt := s.store.ReceiptID(sv, child.ID)
	r := s.newResponse(c, sv, child, s.store.RespondentKey(sv, child.ID), answers)
	body := receiptBody{Receipt: receipt, SurveyID: sv.ID, ChildID: child.ID, Status: models.ReceiptQueued, Message: msgQueued}
	task, opts, err := jobs.NewSurveyAnswerTask(r, receipt)
	if err != nil {
		return err
	}
	_, err = s.queue.EnqueueContext(ctx, task, opts...)
	switch {
	case err == nil:
	case errors.Is(err, asynq.ErrTaskIDConflict):
		body.Status, body.Message = models.ReceiptSubmitted, msgSubmitted
	default:
		s.log.Warn("enqueue survey answer failed; storing it directly", "request_id", requestID(c), "survey", sv.ID, "err", err)
		if n, err := s.storeAnswer(ctx, r); err == nil && n == 0 {
			body.Status, body.Message = models.ReceiptSubmitted, msgSubmitted
		} else if err != nil {
			s.log.Error("survey answer not stored", "request_id", requestID(c), "survey", sv.ID, "err", err)
			e := newAPIError(http.StatusServiceUnavailable, "unavailable", "服务繁忙，您的答卷未能提交，请稍后重试")
			e.RetryAfter = 30
			return e
		} else {
			body.Status = models.ReceiptStored
		}
	}
	return c.JSON(http.StatusAccepted, body)
}

// storeAnswer writes one answer directly (the queue refused it), trying up to three times with
// the same document: an attempt may store the answer and fail to move the report counters, and
// only a repeat of the same answer (same id, so the same batch key) counts it then; a parent's
// retry would carry a new id and leave it uncounted until a recount.
func (s *Server) storeAnswer(ctx context.Context, r models.Response) (int, error) {
	var err error
	stored := 0 // 1 once an attempt inserted it, even if that attempt failed to count it
	for attempt := range 3 {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return stored, err
			case <-time.After(time.Duration(attempt) * 200 * time.Millisecond):
			}
		}
		var n int
		n, err = s.store.InsertResponses(ctx, []models.Response{r})
		stored = max(stored, n)
		if err == nil {
			return stored, nil
		}
	}
	return stored, err
}

const (
	msgQueued    = "提交成功，感谢您的参与"
	msgSubmitted = "您已提交过该问卷，以第一次提交为准"
)

// newResponse is the answer as it will be stored. An anonymous answer keeps the day it was
// given and where the child is, no more: a time or a class could single a family out.
func (s *Server) newResponse(c echo.Context, sv models.Survey, child models.Child, key string, answers models.Answers) models.Response {
	now := s.now().UTC()
	r := models.Response{ID: store.NewResponseID(), SurveyID: sv.ID, Respondent: key,
		CountyID: child.CountyID, SchoolID: child.SchoolID, Grade: child.Grade, Answers: answers, SubmittedAt: now}
	if sv.Anonymous {
		r.SubmittedAt = models.StartOfDay(now)
	} else {
		r.MemberID, r.ChildID, r.Class = memberOf(c).ID, child.ID, child.Class
	}
	return r
}

// fixAndCheck checks answers against the survey and, before the first answer is accepted, fixes
// the questions (answered = true) on condition that the survey is still the version the answers
// were checked against. If staff edited it meanwhile (or this replica's cached copy is old), the
// current version is read and the answers are checked again.
func (s *Server) fixAndCheck(ctx context.Context, sv models.Survey, in models.Answers) (models.Survey, models.Answers, error) {
	for range 3 {
		answers, err := sv.CheckAnswers(in, false)
		if err != nil || sv.Answered {
			return sv, answers, err
		}
		v, err, _ := s.cache.loads.Do("mark:"+sv.ID+":"+sv.UpdatedAt.String(), func() (any, error) {
			return s.store.MarkSurveyAnswered(context.WithoutCancel(ctx), sv.ID, sv.UpdatedAt)
		})
		if err != nil {
			return sv, nil, err
		}
		ok := v.(bool)
		if ok {
			sv.Answered = true
			s.cache.surveys.Add(sv.ID, sv)
			return sv, answers, nil
		}
		if sv, err = s.store.Survey(ctx, sv.ID); err != nil {
			return sv, nil, err
		}
		s.cache.surveys.Add(sv.ID, sv)
		if err := s.surveyState(sv); err != nil {
			return sv, nil, err
		}
	}
	return sv, nil, newAPIError(http.StatusConflict, "survey_changing", "问卷正在修改，请稍后再提交")
}
