package server

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"io/fs"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/labstack/echo/v4"
	"github.com/redis/go-redis/v9"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"kehou/config"
	"kehou/devstack/testenv"
	"kehou/models"
	"kehou/report"
	"kehou/store"
	"kehou/wechat"
	"kehou/wechat/wxfake"
)

func TestMain(m *testing.M) {
	code := testenv.Run(m)
	reportContractCoverage()
	os.Exit(code)
}

// redisDB is this package's Redis database when tests run against a real server.
const redisDB = 1

// env is one API over a fresh database with a small organisation:
// county A (schools A1, A2) and county B (school B1), and a session for an admin of each level.
type env struct {
	t     *testing.T
	cfg   *config.Config
	st    *store.Store
	db    *mongo.Database
	rdb   *redis.Client
	fake  *wxfake.Server
	wx    *wechat.Client
	srv   *Server
	now   time.Time
	ip    string
	extra func(e *echo.Echo, staff echo.MiddlewareFunc)

	countyA, countyB      models.County
	schoolA1, schoolA2    models.School
	schoolB1              models.School
	console               fs.FS  // Deps.Console
	city, cntyA, schA1    string // session tokens
	cityID, cntyAID, a1ID string // staff ids
}

func newEnv(t *testing.T, opts ...func(*env)) *env {
	t.Helper()
	cfg, err := config.Load(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, cfg: cfg, now: time.Date(2026, 11, 29, 9, 0, 0, 0, time.UTC), ip: "192.0.2.1"}
	for _, o := range opts {
		o(e)
	}
	e.db = testenv.Mongo(t)
	e.st, err = store.New(e.db, testenv.Key())
	if err != nil {
		t.Fatal(err)
	}
	e.st.SetClock(func() time.Time { return e.now })
	ctx := context.Background()
	e.st.SetTuning(testenv.Tuning()) // the embedded tuning, or production (KEHOU_TEST_SWITCHES)
	if err := e.st.EnsureIndexes(ctx); err != nil {
		t.Fatal(err)
	}
	testenv.IndexIDs(t, e.db)
	e.rdb = testenv.Redis(t, redisDB)
	e.fake = wxfake.New()
	if _, err := e.fake.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.fake.Close() })
	wx, err := wechat.New(wechat.Config{AppID: "wxtest", Secret: "secret", HTTPClient: e.fake.HTTPClient(),
		Cache: wechat.NewRedisCache(e.rdb, "test:wx:")})
	if err != nil {
		t.Fatal(err)
	}
	e.wx = wx
	e.rebuild()
	e.seedOrg()
	return e
}

// rebuild makes a new server after a test changed e.cfg (limits are read when routes are built).
func (e *env) rebuild() {
	tmpl, _ := e.cfg.Templates()
	pipe, err := PipelinedRedis(e.rdb) // as kehou api does
	if err != nil {
		e.t.Fatal(err)
	}
	e.srv = New(Deps{Config: e.cfg, Store: e.st, Reports: report.New(e.st), Redis: pipe, Wechat: e.wx, Logger: testenv.Logger(), Version: "test", Extra: e.extra, Console: e.console,
		Queue: asynq.NewClientFromRedisClient(pipe), Channels: []string{"wxsubscribe", "sms"}, WxTemplates: tmpl})
	e.srv.now = func() time.Time { return e.now }
}

func (e *env) seedOrg() {
	ctx := context.Background()
	must := func(err error) {
		e.t.Helper()
		if err != nil {
			e.t.Fatal(err)
		}
	}
	e.countyA, e.countyB = models.County{Name: "甲区"}, models.County{Name: "乙县"}
	must(e.st.CreateCounty(ctx, &e.countyA))
	must(e.st.CreateCounty(ctx, &e.countyB))
	mk := func(name, county string) models.School {
		s := models.School{CountyID: county, Name: name, Location: models.LocationUrban, Stage: models.StagePrimary}
		must(e.st.CreateSchool(ctx, &s))
		return s
	}
	e.schoolA1, e.schoolA2, e.schoolB1 = mk("甲一小学", e.countyA.ID), mk("甲二小学", e.countyA.ID), mk("乙一小学", e.countyB.ID)
	e.city, e.cityID = e.staffSession("city", models.Scope{Role: models.RoleCity})
	e.cntyA, e.cntyAID = e.staffSession("county-a", models.Scope{Role: models.RoleCounty, CountyID: e.countyA.ID})
	e.schA1, e.a1ID = e.staffSession("school-a1", models.Scope{Role: models.RoleSchool, CountyID: e.countyA.ID, SchoolID: e.schoolA1.ID})
}

// staffSession creates an account (with a cheap unusable hash: these fixtures never log in by
// password) and a session for it.
func (e *env) staffSession(username string, sc models.Scope) (token, id string) {
	e.t.Helper()
	ctx := context.Background()
	st := models.Staff{Username: username, Name: username, PasswordHash: "x", Role: sc.Role, CountyID: sc.CountyID, SchoolID: sc.SchoolID}
	if err := e.st.CreateStaff(ctx, &st); err != nil {
		e.t.Fatal(err)
	}
	token, _, err := e.st.CreateSession(ctx, models.SessionStaff, st.ID, time.Hour)
	if err != nil {
		e.t.Fatal(err)
	}
	return token, st.ID
}

type resp struct {
	Code   int
	Header http.Header
	Body   []byte
}

func (r resp) json(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode %s: %v", r.Body, err)
	}
}

// errorCode returns the envelope's error code ("" when the body is not an error).
func (r resp) errorCode() string {
	var b errorBody
	_ = json.Unmarshal(r.Body, &b)
	return b.Error.Code
}

func (r resp) envelope(t *testing.T) errorDetail {
	t.Helper()
	var b errorBody
	r.json(t, &b)
	return b.Error
}

// req sends a request; body may be nil, a string/[]byte (sent as is) or a value (JSON).
func (e *env) req(method, path, token string, body any, headers ...string) resp {
	e.t.Helper()
	var rd io.Reader
	ctype := echo.MIMEApplicationJSON
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	r := httptest.NewRequest(method, path, rd)
	r.RemoteAddr = e.ip + ":1234"
	if rd != nil {
		r.Header.Set(echo.HeaderContentType, ctype)
	}
	if token != "" {
		r.Header.Set(echo.HeaderAuthorization, "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		r.Header.Set(headers[i], headers[i+1])
	}
	w := httptest.NewRecorder()
	validated(e.t, e.srv.Handler(), e.extra).ServeHTTP(w, r)
	return resp{Code: w.Code, Header: w.Header(), Body: w.Body.Bytes()}
}

func (e *env) expect(r resp, code int, wantErr string) {
	e.t.Helper()
	if r.Code != code || (wantErr != "" && r.errorCode() != wantErr) {
		e.t.Fatalf("got %d %s, want %d %s", r.Code, r.Body, code, wantErr)
	}
}

// parent logs in through the fake WeChat as dev:<name> and returns the session token.
func (e *env) parent(name string) string {
	e.t.Helper()
	r := e.req(http.MethodPost, "/api/v1/mp/login", "", map[string]string{"code": "dev:" + name})
	e.expect(r, http.StatusOK, "")
	var b mpLoginBody
	r.json(e.t, &b)
	return b.Token
}

// importRoster uploads CSV text for a school as the city admin.
func (e *env) importRoster(schoolID, csv string) resp {
	e.t.Helper()
	return e.req(http.MethodPost, "/api/v1/admin/schools/"+schoolID+"/roster", e.city, csv, "Content-Type", "text/csv")
}

func multipartFile(t *testing.T, field, name string, content []byte) ([]byte, string) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	fw, err := w.CreateFormFile(field, name)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = fw.Write(content)
	_ = w.Close()
	return buf.Bytes(), w.FormDataContentType()
}

func scopeB1(e *env) models.Scope {
	return models.Scope{Role: models.RoleSchool, CountyID: e.countyB.ID, SchoolID: e.schoolB1.ID}
}

func (e *env) memberID(token string) string {
	e.t.Helper()
	var me mpMeBody
	e.req(http.MethodGet, "/api/v1/mp/me", token, nil).json(e.t, &me)
	return me.ID
}
