// Package loadrig is what the HTTP load generators under bench/ share: seeding signed-in
// parents through the store, starting the real API in-process, driving concurrent requests and
// summarising their latencies.
package loadrig

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime/pprof"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"kehou/config"
	"kehou/models"
	"kehou/report"
	"kehou/server"
	"kehou/store"
	"kehou/wechat"
	"kehou/wechat/wxfake"
)

// Load is one endpoint's figures.
type Load struct {
	Name      string
	Requests  int
	Accepted  int // 202s
	Other     map[int]int
	Errors    int
	Took      time.Duration
	P50, P99  time.Duration
	PerSecond float64
}

// Parent is a seeded parent: a session token and the bound child.
type Parent struct {
	Token, ChildID string
}

// Post makes a JSON POST request, with a bearer token unless token is "".
func Post(url, token string, body []byte) *http.Request {
	r, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	return r
}

// Drive sends n requests, c at a time, and measures them.
func Drive(client *http.Client, c int, name string, n int, req func(i int) *http.Request) Load {
	lat := make([]time.Duration, n)
	codes := make([]int, n)
	var next atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range c {
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
					log.Printf("http: %s: request %d: %v", name, i, err) // a transport error: say which
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				lat[i], codes[i] = time.Since(t), resp.StatusCode
			}
		}()
	}
	wg.Wait()
	return Summarize(name, lat, codes, time.Since(start))
}

// Summarize counts answers by status and takes latency percentiles of the 2xx ones.
func Summarize(name string, lat []time.Duration, codes []int, took time.Duration) Load {
	n := len(codes)
	l := Load{Name: name, Requests: n, Other: map[int]int{}, Took: took}
	var ok []time.Duration
	for i, c := range codes {
		switch {
		case c == -1:
			l.Errors++
		case c >= 200 && c < 300:
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
		name, l.Accepted, n, Round(l.Took), l.PerSecond, Round(l.P50), Round(l.P99), l.Other, l.Errors)
	return l
}

// API starts the real API in-process (rate limits raised: one machine is one IP), plus extra
// handlers on ports of their own, and returns their base URLs.
func API(ctx context.Context, st *store.Store, rdb *redis.Client, logger *slog.Logger, extra ...http.Handler) (urls []string, stop func(), err error) {
	cfg, err := config.Load(func(k string) string {
		return map[string]string{"KEHOU_RATE_IP_PER_MINUTE": "100000000", "KEHOU_RATE_MEMBER_PER_MINUTE": "100000000"}[k]
	})
	if err != nil {
		return nil, nil, err
	}
	fake := wxfake.New()
	if _, err := fake.Start(); err != nil {
		return nil, nil, err
	}
	wx, err := wechat.New(wechat.Config{AppID: "wxbench", Secret: "s", HTTPClient: fake.HTTPClient(), Cache: wechat.NewRedisCache(rdb, "bench:wx:")})
	if err != nil {
		return nil, nil, err
	}
	ap, err := server.PipelinedRedis(rdb) // as kehou api does
	if err != nil {
		return nil, nil, err
	}
	queue := asynq.NewClientFromRedisClient(ap)
	api := server.New(server.Deps{Config: cfg, Store: st, Reports: report.New(st), Redis: ap, Wechat: wx, Queue: queue, Logger: logger, Version: "bench",
		Channels: []string{"wxsubscribe", "sms"}})

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
	for _, h := range append([]http.Handler{api.Handler()}, extra...) {
		u, err := listen(h)
		if err != nil {
			return nil, nil, err
		}
		urls = append(urls, u)
	}
	return urls, func() {
		for _, s := range servers {
			_ = s.Shutdown(ctx)
		}
		_ = queue.Close()
		_ = fake.Close()
	}, nil
}

// SeedParents creates a county and a school with n pupils (grade(i) for pupil i), one signed-in
// parent each, through the store's bulk paths.
func SeedParents(ctx context.Context, st *store.Store, db *mongo.Database, n int, grade func(i int) int) ([]Parent, models.School, error) {
	c := models.County{Name: "基准区"}
	if err := st.CreateCounty(ctx, &c); err != nil {
		return nil, models.School{}, err
	}
	school := models.School{CountyID: c.ID, Name: "基准实验小学", Location: models.LocationUrban, Stage: models.StagePrimary}
	if err := st.CreateSchool(ctx, &school); err != nil {
		return nil, school, err
	}
	rows := make([]models.RosterRow, n)
	nms := make([]store.NewMember, n)
	for i := range rows {
		rows[i] = models.RosterRow{Line: i + 2, StudentNo: fmt.Sprintf("B%07d", i), Name: fmt.Sprintf("学生%d", i), Grade: grade(i), Class: fmt.Sprintf("%d班", i%8+1)}
		nms[i] = store.NewMember{OpenID: fmt.Sprintf("bench-%07d", i)}
	}
	for i := 0; i < n; i += 5000 {
		if _, err := st.ImportRoster(ctx, school, rows[i:min(i+5000, n)]); err != nil {
			return nil, school, err
		}
	}
	var members []models.Member
	for i := 0; i < n; i += 1000 {
		ms, err := st.CreateMembers(ctx, nms[i:min(i+1000, n)])
		if err != nil {
			return nil, school, err
		}
		members = append(members, ms...)
	}
	cur, err := db.Collection("children").Find(ctx, bson.M{"school_id": school.ID}, options.Find().SetProjection(bson.M{"student_no": 1}))
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
	parents := make([]Parent, n)
	var gs []models.Guardianship
	for i, m := range members {
		parents[i].ChildID = byNo[fmt.Sprintf("B%07d", i)]
		gs = append(gs, models.Guardianship{ChildID: parents[i].ChildID, MemberID: m.ID, SchoolID: school.ID, CountyID: c.ID, GuardianPhoneEnc: m.PhoneEnc})
		if len(gs) == 1000 || i == n-1 {
			if err := st.AddGuardianships(ctx, gs); err != nil {
				return nil, school, err
			}
			gs = gs[:0]
		}
		// Signed in as the mini-program's login would leave them (the login itself is measured by
		// bench/loadgen -scenario login).
		if parents[i].Token, _, err = st.CreateSession(ctx, models.SessionMember, m.ID, time.Hour); err != nil {
			return nil, school, err
		}
	}
	return parents, school, nil
}

// StartProfile writes a CPU profile to path until the returned function is called ("" does nothing).
func StartProfile(path string) func() {
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
	// The allocations too, before and after, for go tool pprof -diff_base path.allocs0 path.allocs.
	writeAllocs := func(name string) {
		if a, err := os.Create(name); err == nil {
			_ = pprof.Lookup("allocs").WriteTo(a, 0)
			a.Close()
		}
	}
	writeAllocs(path + ".allocs0")
	return func() { pprof.StopCPUProfile(); f.Close(); writeAllocs(path + ".allocs") }
}

// Round shortens a duration for reports.
func Round(d time.Duration) time.Duration {
	switch {
	case d > 10*time.Second:
		return d.Round(100 * time.Millisecond)
	case d > time.Second:
		return d.Round(10 * time.Millisecond)
	}
	return d.Round(100 * time.Microsecond)
}
