package jobs

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"kehou/devstack/testenv"
	"kehou/models"
	"kehou/store"
)

// survey publishes an anonymous one-question survey to the rig's school.
func (e *bcEnv) survey(remindAt time.Time) models.Survey { return e.surveyOf(remindAt, true) }

func (e *bcEnv) surveyOf(remindAt time.Time, anonymous bool) models.Survey {
	e.t.Helper()
	ctx := context.Background()
	now := e.h.now()
	sv := models.Survey{SchoolID: e.school.ID, CountyID: e.school.CountyID, Sender: e.school.Name, Kind: models.SurveySatisfaction,
		Title: "课后服务满意度", Audience: models.Audience{Kind: models.AudienceGrades, Grades: []int{3}},
		OpensAt: now.Add(-time.Hour), ClosesAt: now.Add(72 * time.Hour), Anonymous: anonymous,
		Questions: []models.Question{{ID: "q1", Type: models.QRating, Title: "满意程度", Required: true}}}
	sv.Normalize()
	must(e.t, sv.Validate())
	must(e.t, e.st.CreateSurvey(ctx, &sv))
	must(e.t, e.st.PublishSurvey(ctx, sv.ID, remindAt, nil))
	sv, err := e.st.Survey(ctx, sv.ID)
	must(e.t, err)
	return sv
}

// answers builds one answer per pupil of the rig's school, and its receipt, as the API would.
func (e *bcEnv) answers(sv models.Survey) ([]models.Response, []string) {
	e.t.Helper()
	kids, _, err := e.st.Children(context.Background(), e.school.ID, 0, "", store.Page{Limit: store.MaxPageSize})
	must(e.t, err)
	out := make([]models.Response, len(kids))
	receipts := make([]string, len(kids))
	for i, k := range kids {
		score := 1 + i%5
		receipts[i] = e.st.ReceiptID(sv, k.ID)
		out[i] = models.Response{ID: store.NewResponseID(), SurveyID: sv.ID, Respondent: e.st.RespondentKey(sv, k.ID),
			CountyID: k.CountyID, SchoolID: k.SchoolID, Grade: k.Grade, Answers: models.Answers{"q1": {Score: &score}},
			SubmittedAt: models.StartOfDay(e.h.now())}
	}
	return out, receipts
}

func (e *bcEnv) waitAnswers(surveyID string, n int) {
	e.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		got, err := e.obs.CountResponses(context.Background(), surveyID, models.Scope{Role: models.RoleCity})
		must(e.t, err)
		if got == n {
			return
		}
		if got > n || time.Now().After(deadline) {
			e.t.Fatalf("stored answers: %d, want %d", got, n)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestAnswersSurviveAKilledWorker: answers are in Redis when the API says 202. A worker that
// dies holding a batch, before storing it or after storing it and before acknowledging it,
// gives the batch back; the next worker stores it, and each answer lands exactly once.
func TestAnswersSurviveAKilledWorker(t *testing.T) {
	for _, when := range []string{"before storing", "after storing"} {
		t.Run(when, func(t *testing.T) {
			e := newBC(t, 120)
			sv := e.survey(time.Time{})
			rs, receipts := e.answers(sv)
			ctx := context.Background()
			for i, r := range rs {
				task, opts, err := NewSurveyAnswerTask(r, receipts[i])
				must(t, err)
				_, err = e.queue.EnqueueContext(ctx, task, opts...)
				must(t, err)
			}
			// A repeat while the first is queued is recognised by its task id.
			task, opts, err := NewSurveyAnswerTask(rs[0], receipts[0])
			must(t, err)
			if _, err := e.queue.EnqueueContext(ctx, task, opts...); !errors.Is(err, asynq.ErrTaskIDConflict) {
				t.Fatalf("repeat enqueued: %v", err)
			}

			var calls atomic.Int32
			held := make(chan struct{})
			dying := asynq.NewServerFromRedisClient(e.rdb, WithAggregation(asynq.Config{Concurrency: 1, Queues: QueueWeights,
				LogLevel: asynq.FatalLevel, ShutdownTimeout: 300 * time.Millisecond}, e.rdb))
			mux := asynq.NewServeMux()
			mux.HandleFunc(TypeSurveyAnswers, func(ctx context.Context, task *asynq.Task) error {
				if calls.Add(1) == 1 {
					if when == "after storing" {
						must(t, e.h.HandleSurveyAnswers(ctx, task))
					}
					close(held)
				}
				<-ctx.Done() // the worker hangs until it is killed
				return ctx.Err()
			})
			must(t, dying.Start(mux))
			select {
			case <-held:
			case <-time.After(30 * time.Second):
				t.Fatal("the dying worker never took a batch")
			}
			dying.Shutdown()
			stored, err := e.obs.CountResponses(ctx, sv.ID, models.Scope{Role: models.RoleCity})
			must(t, err)
			if when == "before storing" && stored != 0 || when == "after storing" && stored == 0 {
				t.Fatalf("%s: %d stored before the next worker", when, stored)
			}

			e.start()
			e.waitAnswers(sv.ID, len(rs))
			testenv.WaitQueuesIdle(t, e.rdb, 30*time.Second) // a duplicate batch has landed by then
			e.waitAnswers(sv.ID, len(rs))
			var sum int
			must(t, e.obs.EachResponse(ctx, sv.ID, models.Scope{Role: models.RoleCity}, func(r models.Response) error {
				sum += *r.Answers["q1"].Score
				return nil
			}))
			want := 0
			for i := range rs {
				want += 1 + i%5
			}
			if sum != want {
				t.Fatalf("scores add up to %d, want %d", sum, want)
			}
		})
	}
}

// TestSurveyReminderReachesOnlyThoseWhoHaveNotAnswered: the reminder of a named survey goes
// once, to the families of the audience without an answer; an anonymous survey's reminder goes
// to everyone it reached, so that its deliveries do not tell who answered.
func TestSurveyReminderReachesOnlyThoseWhoHaveNotAnswered(t *testing.T) {
	e := newBC(t, 20)
	ctx := context.Background()
	sv := e.surveyOf(e.h.now().Add(-time.Minute), false)
	later := e.survey(e.h.now().Add(time.Hour)) // not due yet
	rs, _ := e.answers(sv)
	_, err := e.st.InsertResponses(ctx, rs[:5])
	must(t, err)
	e.start()
	must(t, e.h.HandleSurveyRemind(ctx, nil))
	must(t, e.h.HandleSurveyRemind(ctx, nil)) // a second run sends nothing more

	ns, _, err := e.obs.Notices(ctx, models.Scope{Role: models.RoleCity}, store.Page{})
	must(t, err)
	if len(ns) != 1 || ns[0].Audience.SurveyID != sv.ID || ns[0].Kind != models.NoticeSurvey {
		t.Fatalf("reminders: %+v", ns)
	}
	// Its fan-out task waits for the send time on the rig's clock (tomorrow); run it now.
	task, _ := NewNoticeFanoutTask(ns[0], "")
	must(t, e.h.HandleNoticeFanout(ctx, task))
	deadline := time.Now().Add(30 * time.Second)
	for {
		n, err := e.obs.Notice(ctx, ns[0].ID)
		must(t, err)
		if n.Status == models.NoticeSent {
			if n.Targeted != 15 {
				t.Fatalf("reminder reached %d families, want the 15 who have not answered", n.Targeted)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("reminder not sent: %+v", n)
		}
		time.Sleep(100 * time.Millisecond)
	}
	// Those who answered have no reminder in their inbox.
	answered := map[string]bool{}
	kids, _, err := e.st.Children(ctx, e.school.ID, 0, "", store.Page{Limit: store.MaxPageSize})
	must(t, err)
	for _, k := range kids[:5] {
		answered[k.ID] = true
	}
	for _, m := range e.members {
		items, _, err := e.obs.Inbox(ctx, m.ID, store.Page{})
		must(t, err)
		for _, it := range items {
			if it.Notice.ID == ns[0].ID && answeredBy(e, answered, m.ID) {
				t.Fatalf("member %s answered and was reminded", m.ID)
			}
		}
	}
	if got, _ := e.obs.Survey(ctx, later.ID); got.Reminded {
		t.Fatal("a survey not yet due was reminded")
	}
	anon := e.survey(e.h.now().Add(-time.Minute))
	arsp, _ := e.answers(anon)
	_, err = e.st.InsertResponses(ctx, arsp[:5])
	must(t, err)
	must(t, e.h.HandleSurveyRemind(ctx, nil))
	ns, _, err = e.obs.Notices(ctx, models.Scope{Role: models.RoleCity}, store.Page{})
	must(t, err)
	if last := ns[0]; len(ns) != 2 || last.Audience.Kind != models.AudienceGrades || !strings.Contains(last.Body, "已填写的请忽略") {
		t.Fatalf("anonymous reminder: %+v", ns)
	}
}

// answeredBy reports whether member is the parent of one of the answered pupils.
func answeredBy(e *bcEnv, answered map[string]bool, member string) bool {
	gs, err := e.obs.GuardianshipsOfMember(context.Background(), member)
	must(e.t, err)
	for _, g := range gs {
		if answered[g.ChildID] {
			return true
		}
	}
	return false
}
