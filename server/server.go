// Package server is kehou's HTTP API on echo: routes.go lists every route, each resource has
// its own file, errors.go alone turns errors into responses, and openapi.yaml documents it all.
// Handlers read like a paragraph: decode, validate, call the store or enqueue, respond.
package server

import (
	"context"
	"io/fs"
	"log/slog"
	"net/http"
	"time"

	"github.com/hibiken/asynq"
	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"kehou/config"
	"kehou/models"
	"kehou/store"
	"kehou/wechat"
)

// WechatLogin exchanges a wx.login code for the user's identity, and a getPhoneNumber code for
// the user's number.
type WechatLogin interface {
	Code2Session(ctx context.Context, code string) (wechat.Session, error)
	PhoneNumber(ctx context.Context, code string) (string, error)
}

// Enqueuer puts tasks on the asynq queues (an *asynq.Client).
type Enqueuer interface {
	EnqueueContext(ctx context.Context, task *asynq.Task, opts ...asynq.Option) (*asynq.TaskInfo, error)
}

// Reports gives the monthly reports (report.Builder): the server shows them but does not know
// how they are computed.
type Reports interface {
	Ensure(ctx context.Context, month string) (models.MonthlyReport, bool, error)
}

// Deps is what the server needs from main.
type Deps struct {
	Config *config.Config
	Store  *store.Store
	// Reports builds a month's report the first time it is asked for.
	Reports Reports
	// Redis should be PipelinedRedis of a client (and Queue an asynq client on it).
	Redis    redis.UniversalClient
	Wechat   WechatLogin
	Queue    Enqueuer
	Logger   *slog.Logger
	Registry *prometheus.Registry // metrics are registered here and served on /metrics
	Version  string
	// Channels are the sending channels staff may choose, in the order offered.
	Channels []string
	// WxTemplates and SMSTemplates are the configured templates by notice kind.
	WxTemplates map[string]config.WxTemplate
	// Extra mounts optional routes (the sandbox outbox, asynqmon) after the core routes.
	Extra func(e *echo.Echo, staff echo.MiddlewareFunc)
	// Console is the staff console's built files (console.Files()), served at /console/; nil
	// when the binary was built without them.
	Console fs.FS
}

// PipelinedRedis is how the API should talk to Redis: every request makes a command or two
// (its admission script; the answer route its enqueue too), and with go-redis autopipelining the
// commands of concurrent requests share round trips, one write and one read for a batch
// instead of a pair of system calls each. A caller still waits for its own command, and each
// command still runs in Redis, so replicas stay consistent. Commands that cannot share a
// connection (MULTI, blocking pops, pub/sub) run on their own as before. bench/surveys counts
// both: an answer's 2 commands travel in about 0.03 round trips at 200 concurrent parents.
func PipelinedRedis(c *redis.Client) (*redis.AutoPipeliner, error) { return c.AutoPipeline() }

// Server is the HTTP API.
type Server struct {
	consoleFiles fs.FS // see Deps.Console
	cfg          *config.Config
	store        *store.Store
	// reports: see Deps.Reports.
	reports   Reports
	rdb       redis.UniversalClient
	wx        WechatLogin
	queue     Enqueuer
	log       *slog.Logger
	reg       *prometheus.Registry
	metrics   *httpMetrics
	version   string
	channels  []string
	templates map[string]config.WxTemplate
	now       func() time.Time
	echo      *echo.Echo
	cache     *hotCache
	// queued looks up answers still waiting in asynq (answersInFlight); nil without Redis.
	queued *asynq.Inspector
}

// New builds the server and its routes.
func New(d Deps) *Server {
	s := &Server{consoleFiles: d.Console, cfg: d.Config, store: d.Store, reports: d.Reports, rdb: d.Redis, wx: d.Wechat, queue: d.Queue,
		log: d.Logger, reg: d.Registry, version: d.Version, channels: d.Channels, templates: d.WxTemplates, now: time.Now, cache: newHotCache()}
	if s.reg == nil {
		s.reg = prometheus.NewRegistry()
	}
	if d.Redis != nil {
		s.queued = asynq.NewInspectorFromRedisClient(d.Redis) // shares the client: never closed
	}
	s.metrics = newHTTPMetrics(s.reg)
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	e.HTTPErrorHandler = s.handleError
	e.JSONSerializer = renderJSON{}
	e.IPExtractor = echo.ExtractIPDirect()
	if d.Config.TrustProxy {
		e.IPExtractor = echo.ExtractIPFromXFFHeader()
	}
	s.echo = e
	s.routes(e)
	if d.Extra != nil {
		d.Extra(e, s.requireStaff)
	}
	return s
}

// Handler returns the root handler (tests serve it with httptest).
func (s *Server) Handler() http.Handler { return s.echo }

// Echo exposes the router (the OpenAPI test walks its routes).
func (s *Server) Echo() *echo.Echo { return s.echo }
