package server

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/redis/go-redis/v9"

	"kehou/models"
	"kehou/rediskeys"
	"kehou/store"
)

// The queue monitor (asynqmon) is a web page of its own at QueuesPath, opened by a browser
// navigation, which cannot carry the console's bearer token. So the console asks for a ticket
// (openQueues, city staff only): a random value in an HttpOnly, SameSite=Strict cookie scoped to
// QueuesPath. Redis keeps only the ticket's hash, with the staff member and the key of the
// session it was issued under, for at most queueTicketTTL and never past that session's end;
// every request to the monitor checks that the session is still live and the account still an
// enabled city account, so signing out or disabling the account shuts the monitor too.

// QueuesPath is where the queue monitor is mounted (MountQueues).
const QueuesPath = "/admin/queues"

const (
	queuesCookie   = "kehou_queues"
	queueTicketTTL = 30 * time.Minute
	// queuesCSP lets asynqmon's page run (it has inline scripts and styles) while nothing leaves
	// the host: its links to web fonts elsewhere are refused by the browser at once.
	queuesCSP = "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
		"font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'"
)

// queueTicket is what Redis keeps for a ticket.
type queueTicket struct {
	StaffID string `json:"staff"`
	Session string `json:"session"` // store.SessionKey of the bearer token: a keyed hash
}

type queuesSessionBody struct {
	URL       string    `json:"url"`
	ExpiresAt time.Time `json:"expires_at"`
	ReadOnly  bool      `json:"read_only"`
}

func ticketKey(ticket string) string {
	sum := sha256.Sum256([]byte(ticket))
	return rediskeys.QueueTicket(hex.EncodeToString(sum[:]))
}

// openQueues issues a city administrator a ticket to the queue monitor, as a cookie.
func (s *Server) openQueues(c echo.Context) error {
	if scopeOf(c).Role != models.RoleCity {
		return newAPIError(http.StatusForbidden, "forbidden", "任务队列仅供市级管理员查看")
	}
	ctx := c.Request().Context()
	key := s.store.SessionKey(bearer(c))
	sess, err := s.store.SessionByKey(ctx, models.SessionStaff, key)
	if errors.Is(err, store.ErrNotFound) {
		return errUnauthenticated
	} else if err != nil {
		return err
	}
	ttl := min(queueTicketTTL, sess.ExpiresAt.Sub(s.now()))
	if ttl < time.Second {
		return errUnauthenticated
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return err
	}
	ticket := base64.RawURLEncoding.EncodeToString(b)
	val, _ := json.Marshal(queueTicket{StaffID: staffOf(c).ID, Session: key})
	if err := s.rdb.Set(ctx, ticketKey(ticket), val, ttl).Err(); err != nil {
		return err
	}
	c.SetCookie(&http.Cookie{Name: queuesCookie, Value: ticket, Path: QueuesPath, MaxAge: int(ttl.Seconds()),
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: c.Request().TLS != nil || (s.cfg.TrustProxy && c.Scheme() == "https")})
	s.audit(c, "queues.open", "asynqmon", "", "", "")
	return c.JSON(http.StatusOK, queuesSessionBody{URL: QueuesPath + "/", ExpiresAt: s.now().Add(ttl), ReadOnly: s.cfg.QueuesReadOnly})
}

// queuesGate admits a request to the queue monitor with a live ticket.
type queuesGate struct {
	store *store.Store
	rdb   redis.UniversalClient
}

// admit reports whether the request's ticket is live, for an enabled city account whose session
// it was issued under has not ended.
func (g queuesGate) admit(ctx context.Context, r *http.Request) (bool, error) {
	ck, err := r.Cookie(queuesCookie)
	if err != nil || ck.Value == "" || len(ck.Value) > 100 {
		return false, nil
	}
	raw, err := g.rdb.Get(ctx, ticketKey(ck.Value)).Bytes()
	if errors.Is(err, redis.Nil) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	var t queueTicket
	if json.Unmarshal(raw, &t) != nil {
		return false, nil
	}
	sess, err := g.store.SessionByKey(ctx, models.SessionStaff, t.Session)
	if errors.Is(err, store.ErrNotFound) || (err == nil && sess.SubjectID != t.StaffID) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	st, err := g.store.Staff(ctx, t.StaffID)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	return !st.Disabled && st.Role == models.RoleCity, nil
}

func (g queuesGate) middleware(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("Content-Security-Policy", queuesCSP)
		h.Set("Referrer-Policy", "no-referrer")
		h.Set(echo.HeaderCacheControl, "no-store")
		ok, err := g.admit(c.Request().Context(), c.Request())
		if err != nil {
			return err
		}
		if ok {
			return next(c)
		}
		// A person who followed a link or a bookmark gets a page that says where to go; the
		// monitor's own calls get the API's error.
		if c.Request().Method == http.MethodGet && strings.Contains(c.Request().Header.Get(echo.HeaderAccept), "text/html") {
			return c.HTML(http.StatusUnauthorized, queuesRefused)
		}
		return errUnauthenticated
	}
}

// queuesRefused is what a browser is shown at /admin/queues without a ticket.
const queuesRefused = `<!doctype html><html lang="zh-CN"><meta charset="utf-8"><title>任务队列 · 需要授权</title>
<meta name="viewport" content="width=device-width,initial-scale=1">
<body style="font-family:sans-serif;max-width:40em;margin:4em auto;padding:0 1em">
<h1>需要市级管理员授权</h1>
<p>任务队列只对市级管理员开放，且须从管理后台打开：请以市级管理员身份登录管理后台，在“系统 › 任务队列”中点击“打开任务队列”。授权半小时内有效，退出登录即失效。</p>
<p><a href="/console/system/queues">前往管理后台</a></p>
</body></html>`

// MountQueues mounts the queue monitor (an asynqmon handler rooted at QueuesPath) behind the
// ticket check; main calls it from Deps.Extra.
func MountQueues(e *echo.Echo, st *store.Store, rdb redis.UniversalClient, monitor http.Handler) {
	g := queuesGate{store: st, rdb: rdb}
	h := echo.WrapHandler(monitor)
	e.Any(QueuesPath, h, g.middleware)
	e.Any(QueuesPath+"/*", h, g.middleware)
}
