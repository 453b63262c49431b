package main

import (
	"cmp"
	"context"
	"encoding/json"
	"log"
	"net/http"
	"slices"
	"time"

	"github.com/hibiken/asynq"
	"github.com/labstack/echo/v4"

	"kehou/bench/internal/loadrig"
	"kehou/models"
)

type httpResult struct {
	Seed       time.Duration
	Open       loadrig.Load
	Bare, Go   loadrig.Load   // the median rounds
	Bares, Gos []loadrig.Load // every round, in order
	Queued     int            // answer tasks in Redis after the phase
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

// bareEndpoint decodes the same JSON as the real one and answers 202, and nothing else.
func bareEndpoint() http.Handler {
	bare := echo.New()
	bare.HideBanner, bare.HidePort = true, true
	bare.POST("/api/v1/mp/surveys/:id/answers", func(c echo.Context) error {
		var f struct {
			ChildID string         `json:"child_id"`
			Answers models.Answers `json:"answers"`
		}
		dec := json.NewDecoder(c.Request().Body)
		dec.DisallowUnknownFields()
		if err := dec.Decode(&f); err != nil {
			return c.JSON(http.StatusBadRequest, map[string]string{"error": "bad json"})
		}
		return c.JSON(http.StatusAccepted, map[string]string{"receipt": "x", "survey_id": c.Param("id"), "child_id": f.ChildID, "status": "queued"})
	})
	return bare
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
	for range b.opts.surveys * b.opts.rounds {
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

	urls, stop, err := loadrig.API(ctx, b.st, b.rdb, b.log, bareEndpoint())
	if err != nil {
		return res, err
	}
	defer stop()
	realURL, bareURL := urls[0], urls[1]
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
	// Rounds alternate the bare endpoint and the real one, the same number of requests each,
	// so that both see the same machine (on a shared 2-core machine one run of either can be
	// 20 % off); each round answers surveys of its own. The medians are the headline.
	for r := range b.opts.rounds {
		res.Bares = append(res.Bares, loadrig.Drive(client, c, "bare echo: decode + 202", n*k, func(i int) *http.Request {
			return loadrig.Post(bareURL+path(i)+"/answers", "", bodies[i%n])
		}))
		stopProfile := func() {}
		if r == 0 { // the first round's submissions
			stopProfile = loadrig.StartProfile(b.opts.cpuProfile)
		}
		before := b.cost.Read()
		res.Gos = append(res.Gos, loadrig.Drive(client, c, "POST /api/v1/mp/surveys/{id}/answers", n*k, func(i int) *http.Request {
			return loadrig.Post(realURL+path(r*k*n+i)+"/answers", parents[i%n].Token, bodies[i%n])
		}))
		b.counted(&b.answers, before, res.Gos[r].Accepted)
		stopProfile()
	}
	res.Bare, res.Go = median(res.Bares), median(res.Gos)
	inspector := asynq.NewInspectorFromRedisClient(b.rdb)
	if groups, err := inspector.Groups("critical"); err == nil {
		for _, g := range groups {
			res.Queued += g.Size
		}
	}
	return res, nil
}
