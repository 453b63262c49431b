package jobs

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"kehou/bots"
	"kehou/bots/sms"
	"kehou/bots/sms/smsfake"
	"kehou/bots/wxsubscribe"
	"kehou/config"
	"kehou/devstack/testenv"
	"kehou/models"
	"kehou/store"
	"kehou/wechat"
	"kehou/wechat/wxfake"
)

// bcEnv is a broadcast rig: the store, Redis, the fake WeChat and the fake SMS endpoint, the
// real channel clients, and one school whose n pupils each have one parent with a phone.
type bcEnv struct {
	t       *testing.T
	st      *store.Store
	obs     *store.Store // the same database over a second connection, for the test's polling
	rdb     *redis.Client
	queue   *asynq.Client
	wx      *wxfake.Server
	wxc     *wechat.Client
	sms     *smsfake.Server
	h       *Handlers
	srv     *asynq.Server
	school  models.School
	members []models.Member
	phones  []string
}

func newBC(t *testing.T, n int) *bcEnv {
	t.Helper()
	ctx := context.Background()
	e := &bcEnv{t: t, rdb: testenv.Redis(t, redisDB)}
	var err error
	db, key := testenv.Mongo(t), testenv.Key()
	if e.st, err = store.New(db, key); err != nil {
		t.Fatal(err)
	}
	// The embedded store gives the workers one connection; the test watches over its own, so
	// its polling neither waits behind a busy broadcast nor slows it down.
	obsClient, err := mongo.Connect(testenv.ClientOptions())
	must(t, err)
	t.Cleanup(func() { _ = obsClient.Disconnect(context.Background()) })
	if e.obs, err = store.New(obsClient.Database(db.Name()), key); err != nil {
		t.Fatal(err)
	}
	e.st.SetTuning(testenv.Tuning()) // the embedded tuning, or production (KEHOU_TEST_SWITCHES)
	if err := e.st.EnsureIndexes(ctx); err != nil {
		t.Fatal(err)
	}
	testenv.IndexIDs(t, db)
	e.queue = asynq.NewClientFromRedisClient(e.rdb)
	t.Cleanup(func() { e.queue.Close() })
	e.wx = wxfake.New()
	if _, err := e.wx.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.wx.Close() })
	if e.wxc, err = wechat.New(wechat.Config{AppID: "wxtest", Secret: "s", HTTPClient: e.wx.HTTPClient(), Cache: wechat.NewRedisCache(e.rdb, "t:wx:")}); err != nil {
		t.Fatal(err)
	}
	e.sms = smsfake.New("AKIDtest", "secret-key")
	smsURL, err := e.sms.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.sms.Close() })
	smsClient, err := sms.New(sms.Config{Endpoint: smsURL, Region: "ap-guangzhou", SecretID: "AKIDtest", SecretKey: "secret-key",
		SdkAppID: "1400000000", SignName: "课后服务", HTTPClient: &http.Client{Timeout: 5 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	e.h = &Handlers{Store: e.st, Log: testenv.Logger(), Queue: e.queue, Redis: e.rdb,
		Notifiers: map[string]bots.Notifier{models.ChannelSubscribe: wxsubscribe.New(e.wxc), models.ChannelSMS: smsClient},
		WxTemplates: map[string]config.WxTemplate{"general": {TemplateID: "tmpl-notice", Page: "pages/notice/detail",
			Fields: map[string]string{"thing1": "title", "thing2": "school", "time3": "date"}}},
		SMSTemplates: map[string]config.SMSTemplate{"general": {TemplateID: "100001", Params: []string{"school", "title"}}},
		SMSInterval:  30 * time.Second, SMSDaily: 10,
	}
	// The rig's clock runs at real speed from the next noon in Shanghai, so quiet hours never
	// interfere whenever the test runs; the store and the handlers share it.
	offset := noonAfter(time.Now()).Sub(time.Now())
	e.h.Now = func() time.Time { return time.Now().Add(offset).UTC() }
	e.st.SetClock(e.h.Now)
	e.obs.SetClock(e.h.Now)
	e.seed(n)
	return e
}

func (e *bcEnv) seed(n int) {
	ctx := context.Background()
	c := models.County{Name: "甲区"}
	must(e.t, e.st.CreateCounty(ctx, &c))
	e.school = models.School{CountyID: c.ID, Name: "甲一小学", Location: models.LocationUrban, Stage: models.StagePrimary}
	must(e.t, e.st.CreateSchool(ctx, &e.school))
	rows := make([]models.RosterRow, n)
	nms := make([]store.NewMember, n)
	e.phones = make([]string, n)
	for i := range rows {
		rows[i] = models.RosterRow{StudentNo: fmt.Sprintf("S%05d", i), Name: "学生" + fmt.Sprint(i), Grade: 3, Class: fmt.Sprintf("%d班", i%4+1)}
		e.phones[i] = fmt.Sprintf("+86138%08d", i)
		nms[i] = store.NewMember{OpenID: fmt.Sprintf("openid-%05d", i), Phone: e.phones[i]}
	}
	if _, err := e.st.ImportRoster(ctx, e.school, rows); err != nil {
		e.t.Fatal(err)
	}
	var err error
	if e.members, err = e.st.CreateMembers(ctx, nms); err != nil {
		e.t.Fatal(err)
	}
	kids := map[string]string{}
	p := store.Page{Limit: store.MaxPageSize}
	for {
		list, next, err := e.st.Children(ctx, e.school.ID, 0, "", p)
		must(e.t, err)
		for _, ch := range list {
			kids[ch.StudentNo] = ch.ID
		}
		if next == "" {
			break
		}
		p.Cursor = next
	}
	gs := make([]models.Guardianship, n)
	for i := range gs {
		gs[i] = models.Guardianship{ChildID: kids[fmt.Sprintf("S%05d", i)], MemberID: e.members[i].ID, SchoolID: e.school.ID, CountyID: c.ID}
	}
	must(e.t, e.st.AddGuardianships(ctx, gs))
}

func noonAfter(t time.Time) time.Time {
	l := t.In(models.Shanghai)
	return time.Date(l.Year(), l.Month(), l.Day()+1, 12, 0, 0, 0, models.Shanghai)
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// start runs a worker; stop it with the returned function.
func (e *bcEnv) start() func() {
	srv := asynq.NewServerFromRedisClient(e.rdb, WithAggregation(asynq.Config{Concurrency: 3, Queues: QueueWeights, LogLevel: asynq.FatalLevel,
		RetryDelayFunc: RetryDelay(20 * time.Millisecond), ShutdownTimeout: 500 * time.Millisecond}, e.rdb))
	e.srv = srv
	mux := asynq.NewServeMux()
	e.h.Register(mux)
	must(e.t, srv.Start(mux))
	var once sync.Once
	stop := func() { once.Do(srv.Shutdown) } // this worker's server, however many were started
	e.t.Cleanup(stop)
	return stop
}

// notice creates and publishes a notice to grade 3 of the school on the given channels.
func (e *bcEnv) notice(channels ...string) models.Notice {
	e.t.Helper()
	n := models.Notice{SchoolID: e.school.ID, CountyID: e.school.CountyID, Sender: e.school.Name, Kind: models.NoticeOpenDay,
		Title: "家长开放日通知", Body: "欢迎各位家长12月5日来校参加开放日。", Channels: channels,
		Audience: models.Audience{Kind: models.AudienceGrades, Grades: []int{3}}}
	ctx := context.Background()
	must(e.t, e.st.CreateNotice(ctx, &n))
	task, opts := NewNoticeFanoutTask(n, "")
	_, err := e.queue.EnqueueContext(ctx, task, append(opts, asynq.ProcessAt(time.Now()))...)
	must(e.t, err)
	return n
}

// settle waits until the notice is fanned out and no delivery is queued or sending.
func (e *bcEnv) settle(n models.Notice, timeout time.Duration) store.NoticeReport {
	e.t.Helper()
	deadline := time.Now().Add(timeout)
	// Poll gently: the embedded store has one connection, shared with the workers.
	for {
		got, err := e.obs.Notice(context.Background(), n.ID)
		must(e.t, err)
		open := -1
		if got.Status == models.NoticeSent {
			open, err = e.obs.OpenDeliveries(context.Background(), n.ID)
			must(e.t, err)
		}
		if open == 0 {
			r, err := e.obs.Report(context.Background(), n.ID)
			must(e.t, err)
			return r
		}
		if time.Now().After(deadline) {
			r, _ := e.obs.Report(context.Background(), n.ID)
			e.t.Fatalf("notice not settled: status=%s report=%+v", got.Status, r)
		}
		time.Sleep(300 * time.Millisecond)
	}
}

func storePage() store.Page { return store.Page{Limit: store.MaxPageSize} }

func asynqInspector(e *bcEnv) *asynq.Inspector { return asynq.NewInspectorFromRedisClient(e.rdb) }

// recipients is the 2,000, or 300 under the race detector.
func recipients() int {
	if raceScale {
		return 300
	}
	return 2000
}
