package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"net/http"
	"slices"
	"time"

	"github.com/hibiken/asynq"
	"github.com/labstack/echo/v4"

	"kehou/bench/internal/loadrig"
	"kehou/jobs"
	"kehou/models"
	"kehou/server"
	"kehou/store"
)

type httpResult struct {
	Seed       time.Duration
	Open       loadrig.Load
	Base, Go   loadrig.Load   // the median rounds
	Bases, Gos []loadrig.Load // every round, in order
	// BaseCosts and GoCosts are each round's costs per accepted answer.
	BaseCosts, GoCosts []unitCosts
}

// median is the load of the round with the median throughput.
func median(ls []loadrig.Load) loadrig.Load {
	s := slices.Clone(ls)
	slices.SortFunc(s, func(a, b loadrig.Load) int { return cmp.Compare(a.PerSecond, b.PerSecond) })
	return s[len(s)/2]
}

// answerBody is what every parent submits (the satisfaction template, fully answered).
func answerBody(childID string, i int) []byte {
	b, _ := json.Marshal(map[string]any{"child_id": childID, "answers": map[string]any{
		"aware": map[string]any{"choice": "A"}, "joined": map[string]any{"choice": "A"},
		"services": map[string]any{"rows": []int{5, 4, 4 + i%2, 3 + i%3, 5}},
		"overall":  map[string]any{"score": 1 + i%5},
		"suggest":  map[string]any{"text": "希望增加体育活动和阅读时间，谢谢老师们的辛苦付出"}}})
	return b
}

// baselineQueue keeps the baseline's tasks apart from the answers the persist phase drains.
const baselineQueue = "bench-baseline"

// baselineEndpoint is the essential work of accepting an answer: it decodes the same JSON as
// the real route (unknown fields refused) and calls asynq's Enqueue once, with the real task
// (jobs.NewSurveyAnswerTask: payload, task id from survey + child, group), on the same Redis
// client. No session, no limits, no checks; a repeated task id is answered 202 as the API does.
func baselineEndpoint(queue *asynq.Client) http.Handler {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.POST("/api/v1/mp/surveys/:id/answers", func(c echo.Context) error {
		var f struct {
			ChildID string         `json:"child_id"`
			Answers models.Answers `json:"answers"`
		}
		dec := json.NewDecoder(c.Request().Body)
		dec.DisallowUnknownFields()
		if err := dec.Decode(&f); err != nil {
			return c.JSON(http.StatusBadRequest, map[string]string{"error": "bad json"})
		}
		id, receipt := c.Param("id"), c.Param("id")+"-"+f.ChildID
		r := models.Response{ID: store.NewResponseID(), SurveyID: id, Respondent: "child:" + f.ChildID, Answers: f.Answers, SubmittedAt: time.Now().UTC()}
		task, opts, err := jobs.NewSurveyAnswerTask(r, receipt)
		if err != nil {
			return err
		}
		_, err = queue.EnqueueContext(c.Request().Context(), task, append(opts, asynq.Queue(baselineQueue))...)
		if err != nil && !errors.Is(err, asynq.ErrTaskIDConflict) {
			return c.JSON(http.StatusServiceUnavailable, map[string]string{"error": err.Error()})
		}
		return c.JSON(http.StatusAccepted, map[string]string{"receipt": receipt, "survey_id": id, "child_id": f.ChildID, "status": "queued"})
	})
	return e
}

func (b *bench) httpPhase(ctx context.Context) (httpResult, error) {
	var res httpResult
	n := b.opts.parents
	start := time.Now()
	parents, school, err := loadrig.SeedParents(ctx, b.st, b.mdb, n, func(i int) int { return i%6 + 1 })
	if err != nil {
		return res, err
	}
	now := time.Now().UTC()
	var surveys []models.Survey
	for range b.opts.surveys*b.opts.rounds + 1 { // the last one for the warm-up
		sv := models.Survey{CountyID: school.CountyID, SchoolID: school.ID, Sender: school.Name, AuthorID: "bench"}
		tpl := models.SurveyTemplates["after_school_satisfaction"]
		sv.Kind, sv.Title, sv.Questions, sv.Anonymous = tpl.Kind, tpl.Title, tpl.Copy(), true
		sv.Audience, sv.OpensAt, sv.ClosesAt = models.Audience{Kind: models.AudienceScope}, now.Add(-time.Minute), now.Add(24*time.Hour)
		sv.Normalize()
		if err := b.st.CreateSurvey(ctx, &sv); err != nil {
			return res, err
		}
		if err := b.st.PublishSurvey(ctx, sv.ID, time.Time{}, nil); err != nil {
			return res, err
		}
		surveys = append(surveys, sv)
	}
	res.Seed = time.Since(start)
	log.Printf("http: seeded %d parents in %s", n, loadrig.Round(res.Seed))

	// The baseline shares the API's Redis client (PipelinedRedis returns the client's one
	// autopipeliner), so both pay the same for a command.
	ap, err := server.PipelinedRedis(b.rdb)
	if err != nil {
		return res, err
	}
	baseQueue := asynq.NewClientFromRedisClient(ap)
	defer baseQueue.Close()
	urls, stop, err := loadrig.API(ctx, b.st, b.rdb, b.log, baselineEndpoint(baseQueue))
	if err != nil {
		return res, err
	}
	defer stop()
	realURL, baseURL := urls[0], urls[1]
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConns: 1000, MaxIdleConnsPerHost: 1000}}
	bodies := make([][]byte, n)
	for i, p := range parents {
		bodies[i] = answerBody(p.ChildID, i)
	}
	path := func(i int) string { return "/api/v1/mp/surveys/" + surveys[i/n].ID }
	k, c := b.opts.surveys, b.opts.concurrency
	// Every parent opens a survey first (the mini-program shows the questions before anyone can
	// answer them); then the submissions, each parent answering every survey, are measured on
	// their own.
	res.Open = loadrig.Drive(client, c, "GET  /api/v1/mp/surveys/{id}", n, func(i int) *http.Request {
		r, _ := http.NewRequest(http.MethodGet, realURL+path(i), nil)
		r.Header.Set("Authorization", "Bearer "+parents[i].Token)
		return r
	})
	// One answer to each endpoint first, alone, to the warm-up survey: each Redis script's first
	// run loads it (EVALSHA, refused, then EVAL) and asynq registers its queue once per client,
	// which 200 first requests at once would each do.
	warm := surveys[len(surveys)-1].ID
	for _, req := range []*http.Request{loadrig.Post(baseURL+"/api/v1/mp/surveys/"+warm+"/answers", "", bodies[0]),
		loadrig.Post(realURL+"/api/v1/mp/surveys/"+warm+"/answers", parents[0].Token, bodies[0])} {
		resp, err := client.Do(req)
		if err != nil {
			return res, err
		}
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusAccepted {
			return res, fmt.Errorf("warm-up answer: %s", resp.Status)
		}
	}
	// Rounds alternate the baseline and the real route, the same number of requests each, so
	// that both see the same machine (on a shared 2-core machine one run of either can be 20 %
	// off); each round answers surveys of its own (the baseline's go to a queue of their own).
	// The medians are the headline.
	for r := range b.opts.rounds {
		before := b.cost.Read()
		l := loadrig.Drive(client, c, "baseline: decode + asynq Enqueue", n*k, func(i int) *http.Request {
			return loadrig.Post(baseURL+path(r*k*n+i)+"/answers", "", bodies[i%n])
		})
		res.Bases, res.BaseCosts = append(res.Bases, l), append(res.BaseCosts, per(b.cost.Read().Since(before), l.Accepted))
		stopProfile := func() {}
		if r == 0 { // the first round's submissions
			stopProfile = loadrig.StartProfile(b.opts.cpuProfile)
		}
		before = b.cost.Read()
		l = loadrig.Drive(client, c, "POST /api/v1/mp/surveys/{id}/answers", n*k, func(i int) *http.Request {
			return loadrig.Post(realURL+path(r*k*n+i)+"/answers", parents[i%n].Token, bodies[i%n])
		})
		res.Gos, res.GoCosts = append(res.Gos, l), append(res.GoCosts, per(b.cost.Read().Since(before), l.Accepted))
		b.counted(&b.answers, before, l.Accepted)
		stopProfile()
	}
	res.Base, res.Go = median(res.Bases), median(res.Gos)
	// The baseline's tasks are not answers: drop them (asynq deletes a queue's groups with it).
	if err := asynq.NewInspectorFromRedisClient(b.rdb).DeleteQueue(baselineQueue, true); err != nil {
		log.Printf("http: baseline queue not deleted: %v", err)
	}
	return res, nil
}
