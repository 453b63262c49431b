package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"runtime/pprof"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hibiken/asynq"
	"github.com/labstack/echo/v4"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"kehou/config"
	"kehou/models"
	"kehou/server"
	"kehou/store"
	"kehou/wechat"
	"kehou/wechat/wxfake"
)

// load is one endpoint's figures.
type load struct {
	Name      string
	Requests  int
	Accepted  int // 202s
	Other     map[int]int
	Errors    int
	Took      time.Duration
	P50, P99  time.Duration
	PerSecond float64
}

type httpResult struct {
	Seed           time.Duration
	Bare, Open, Go load
	Queued         int // answer tasks in Redis after the phase
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

type parent struct {
	token, childID string
}

func (b *bench) httpPhase(ctx context.Context) (httpResult, error) {
	var res httpResult
	n := b.opts.parents
	start := time.Now()
	parents, school, err := b.seedParents(ctx, n)
	if err != nil {
		return res, err
	}
	now := time.Now().UTC()
	var surveys []models.Survey
	for range b.opts.surveys {
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
	log.Printf("http: seeded %d parents in %s", n, round(res.Seed))

	realURL, bareURL, stop, err := b.servers(ctx)
	if err != nil {
		return res, err
	}
	defer stop()
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConns: 1000, MaxIdleConnsPerHost: 1000}}
	bodies := make([][]byte, n)
	for i, p := range parents {
		bodies[i] = answerBody(p.childID, i)
	}
	path := func(i int) string { return "/api/v1/mp/surveys/" + surveys[i/n].ID }
	k := len(surveys)
	res.Bare = b.drive(client, "bare echo: decode + 202", n*k, func(i int) *http.Request {
		return post(bareURL+path(i)+"/answers", "", bodies[i%n])
	})
	// Every parent opens a survey first (the mini-program shows the questions before anyone can
	// answer them); then the submissions, each parent answering every survey, are measured on
	// their own.
	res.Open = b.drive(client, "GET  /api/v1/mp/surveys/{id}", n, func(i int) *http.Request {
		r, _ := http.NewRequest(http.MethodGet, realURL+path(i), nil)
		r.Header.Set("Authorization", "Bearer "+parents[i].token)
		return r
	})
	stopProfile := startProfile(b.opts.cpuProfile)
	res.Go = b.drive(client, "POST /api/v1/mp/surveys/{id}/answers", n*k, func(i int) *http.Request {
		return post(realURL+path(i)+"/answers", parents[i%n].token, bodies[i%n])
	})
	stopProfile()
	inspector := asynq.NewInspectorFromRedisClient(b.rdb)
	if groups, err := inspector.Groups("critical"); err == nil {
		for _, g := range groups {
			res.Queued += g.Size
		}
	}
	return res, nil
}

func post(url, token string, body []byte) *http.Request {
	r, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	return r
}

// drive sends n requests, c at a time, and measures them.
func (b *bench) drive(client *http.Client, name string, n int, req func(i int) *http.Request) load {
	lat := make([]time.Duration, n)
	codes := make([]int, n)
	var next atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range b.opts.concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				t := time.Now()
				resp, err := client.Do(req(i))
				if err != nil {
					codes[i] = -1
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				lat[i], codes[i] = time.Since(t), resp.StatusCode
			}
		}()
	}
	wg.Wait()
	return summarize(name, lat, codes, time.Since(start))
}

func summarize(name string, lat []time.Duration, codes []int, took time.Duration) load {
	n := len(codes)
	l := load{Name: name, Requests: n, Other: map[int]int{}, Took: took}
	var ok []time.Duration
	for i, c := range codes {
		switch {
		case c == -1:
			l.Errors++
		case c == http.StatusAccepted || c == http.StatusOK:
			l.Accepted++
			ok = append(ok, lat[i])
		default:
			l.Other[c]++
		}
	}
	sort.Slice(ok, func(i, j int) bool { return ok[i] < ok[j] })
	if len(ok) > 0 {
		l.P50, l.P99 = ok[len(ok)*50/100], ok[min(len(ok)-1, len(ok)*99/100)]
	}
	l.PerSecond = float64(l.Accepted) / l.Took.Seconds()
	log.Printf("http: %s: %d ok of %d in %s (%.0f/s), p50 %s p99 %s, other %v, errors %d",
		name, l.Accepted, n, round(l.Took), l.PerSecond, round(l.P50), round(l.P99), l.Other, l.Errors)
	return l
}

// servers starts the real API (rate limits raised: one machine is one IP) and the bare
// endpoint, each on its own port.
func (b *bench) servers(ctx context.Context) (realURL, bareURL string, stop func(), err error) {
	cfg, err := config.Load(func(k string) string {
		return map[string]string{"KEHOU_RATE_IP_PER_MINUTE": "100000000", "KEHOU_RATE_MEMBER_PER_MINUTE": "100000000"}[k]
	})
	if err != nil {
		return "", "", nil, err
	}
	fake := wxfake.New()
	if _, err := fake.Start(); err != nil {
		return "", "", nil, err
	}
	wx, err := wechat.New(wechat.Config{AppID: "wxbench", Secret: "s", HTTPClient: fake.HTTPClient(), Cache: wechat.NewRedisCache(b.rdb, "bench:wx:")})
	if err != nil {
		return "", "", nil, err
	}
	queue := asynq.NewClientFromRedisClient(b.rdb)
	api := server.New(server.Deps{Config: cfg, Store: b.st, Redis: b.rdb, Wechat: wx, Queue: queue, Logger: b.log, Version: "bench"})

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
	var servers []*http.Server
	listen := func(h http.Handler) (string, error) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return "", err
		}
		s := &http.Server{Handler: h}
		servers = append(servers, s)
		go func() { _ = s.Serve(ln) }()
		return "http://" + ln.Addr().String(), nil
	}
	if realURL, err = listen(api.Handler()); err != nil {
		return "", "", nil, err
	}
	if bareURL, err = listen(bare); err != nil {
		return "", "", nil, err
	}
	return realURL, bareURL, func() {
		for _, s := range servers {
			_ = s.Shutdown(ctx)
		}
		_ = queue.Close()
		_ = fake.Close()
	}, nil
}

// seedParents creates a school with n pupils, one signed-in parent each.
func (b *bench) seedParents(ctx context.Context, n int) ([]parent, models.School, error) {
	c := models.County{Name: "基准区"}
	if err := b.st.CreateCounty(ctx, &c); err != nil {
		return nil, models.School{}, err
	}
	school := models.School{CountyID: c.ID, Name: "基准实验小学", Location: models.LocationUrban, Stage: models.StagePrimary}
	if err := b.st.CreateSchool(ctx, &school); err != nil {
		return nil, school, err
	}
	rows := make([]models.RosterRow, n)
	nms := make([]store.NewMember, n)
	for i := range rows {
		rows[i] = models.RosterRow{Line: i + 2, StudentNo: fmt.Sprintf("B%07d", i), Name: fmt.Sprintf("学生%d", i), Grade: i%6 + 1, Class: fmt.Sprintf("%d班", i%8+1)}
		nms[i] = store.NewMember{OpenID: fmt.Sprintf("bench-%07d", i)}
	}
	for i := 0; i < n; i += 5000 {
		if _, err := b.st.ImportRoster(ctx, school, rows[i:min(i+5000, n)]); err != nil {
			return nil, school, err
		}
	}
	var members []models.Member
	for i := 0; i < n; i += 1000 {
		ms, err := b.st.CreateMembers(ctx, nms[i:min(i+1000, n)])
		if err != nil {
			return nil, school, err
		}
		members = append(members, ms...)
	}
	cur, err := b.mdb.Collection("children").Find(ctx, bson.M{"school_id": school.ID}, options.Find().SetProjection(bson.M{"student_no": 1}))
	if err != nil {
		return nil, school, err
	}
	var kids []struct {
		ID        string `bson:"_id"`
		StudentNo string `bson:"student_no"`
	}
	if err := cur.All(ctx, &kids); err != nil {
		return nil, school, err
	}
	byNo := map[string]string{}
	for _, k := range kids {
		byNo[k.StudentNo] = k.ID
	}
	parents := make([]parent, n)
	var gs []models.Guardianship
	for i, m := range members {
		parents[i].childID = byNo[fmt.Sprintf("B%07d", i)]
		gs = append(gs, models.Guardianship{ChildID: parents[i].childID, MemberID: m.ID, SchoolID: school.ID, CountyID: c.ID})
		if len(gs) == 1000 || i == n-1 {
			if err := b.st.AddGuardianships(ctx, gs); err != nil {
				return nil, school, err
			}
			gs = gs[:0]
		}
		// Signed in as the mini-program's login would leave them (the login itself is measured by
		// bench/loadgen -scenario login).
		if parents[i].token, _, err = b.st.CreateSession(ctx, models.SessionMember, m.ID, time.Hour); err != nil {
			return nil, school, err
		}
	}
	return parents, school, nil
}

// startProfile writes a CPU profile of the submissions to path ("" does nothing).
func startProfile(path string) func() {
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err != nil {
		log.Printf("cpu profile: %v", err)
		return func() {}
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		log.Printf("cpu profile: %v", err)
		f.Close()
		return func() {}
	}
	return func() { pprof.StopCPUProfile(); f.Close() }
}
