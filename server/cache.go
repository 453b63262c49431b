package server

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/golang-lru/v2/expirable"
	"github.com/labstack/echo/v4"
	"golang.org/x/sync/singleflight"

	"kehou/models"
	"kehou/rediskeys"
)

// The answer path's caches. A notice sends thousands of parents to the same survey in the same
// minute; with these, opening it reads the database once per parent and submitting reads it not
// at all.
//
//   - Sessions and a member's bound children live in Redis, shared by every API replica: login
//     writes the session there, logout and (un)binding delete the entries, so no replica serves
//     a revoked token or an old binding. They expire (10 minutes for bindings, so a roster that
//     moves a pupil to another class shows within that), and with Redis down every request
//     falls back to MongoDB.
//   - Surveys are kept in each replica's memory for 5 seconds. This replica drops its copy when
//     it changes a survey; another may serve the old copy for up to 5 s (a survey closed early
//     can take answers for that long; an edit is caught, see fixAndCheck). Close times are
//     always checked against the clock.
type hotCache struct {
	surveys *expirable.LRU[string, models.Survey]
	// gates remembers, by token, the session and children entries the gate last read from
	// Redis, for submitQuick. They are never trusted alone: answerScript checks that Redis
	// still holds exactly these entries before it counts or queues anything.
	gates *expirable.LRU[string, gateEntry]
	// loads makes the first parents after a notice share one database read (and one "answered"
	// mark) per survey instead of each making their own.
	loads singleflight.Group
}

const (
	pupilsTTL    = 10 * time.Minute
	cacheTimeout = 250 * time.Millisecond
)

func newHotCache() *hotCache {
	return &hotCache{surveys: expirable.NewLRU[string, models.Survey](1_000, nil, 5*time.Second),
		gates: expirable.NewLRU[string, gateEntry](gateEntries, nil, pupilsTTL)}
}

// gateEntries bounds the remembered sessions: about 40 MB at most, for the parents of a busy
// minute; a parent not among them takes the ordinary path.
const gateEntries = 100_000

// gateEntry is a member's session and children as Redis held them (raw) and as decoded.
type gateEntry struct {
	sess, kidsRaw string
	member        models.Member
	expires       time.Time
	kids          []models.Child
}

// rememberGate keeps what the gate read, unless it is already kept.
func (h *hotCache) rememberGate(token string, e gateEntry) {
	if old, ok := h.gates.Peek(token); ok && old.sess == e.sess && old.kidsRaw == e.kidsRaw {
		return
	}
	h.gates.Add(token, e)
}

// A cached session is "memberID<TAB>expiry in Unix milliseconds<TAB>nickname": nothing secret,
// nothing personal, and cheap to read on every request (the gate script reads the member id
// from it, see gateScript). Entries of another shape are treated as absent.
func encodeSession(m models.Member, expires time.Time) string {
	return m.ID + "\t" + strconv.FormatInt(expires.UnixMilli(), 10) + "\t" + m.Nickname
}

func decodeSession(raw string) (m models.Member, expires time.Time, ok bool) {
	id, rest, ok1 := strings.Cut(raw, "\t")
	ms, nick, ok2 := strings.Cut(rest, "\t")
	exp, err := strconv.ParseInt(ms, 10, 64)
	if !ok1 || !ok2 || id == "" || err != nil {
		return models.Member{}, time.Time{}, false
	}
	return models.Member{ID: id, Nickname: nick}, time.UnixMilli(exp), true
}

func sessionKey(token string) string {
	h := sha256.Sum256([]byte(token))
	return rediskeys.SessionPrefix + hex.EncodeToString(h[:])
}

func cacheCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), cacheTimeout)
}

// cacheSession remembers a live session for an hour at most (and never past its expiry), and
// returns the entry it wrote (none when it did not).
func (s *Server) cacheSession(ctx context.Context, token string, m models.Member, expires time.Time) cachedSession {
	ttl := min(time.Until(expires), time.Hour)
	if ttl <= 0 || strings.Contains(m.ID, "\t") {
		return cachedSession{}
	}
	ctx, cancel := cacheCtx(ctx)
	defer cancel()
	raw := encodeSession(m, expires)
	if s.rdb.Set(ctx, sessionKey(token), raw, ttl).Err() != nil {
		return cachedSession{}
	}
	return cachedSession{raw: raw, expires: expires}
}

// forgetSession drops a token from the cache; a failure is logged, since the token would stay
// usable until the entry expires.
func (s *Server) forgetSession(ctx context.Context, token string) error {
	ctx, cancel := cacheCtx(ctx)
	defer cancel()
	return s.rdb.Del(ctx, sessionKey(token)).Err()
}

// A member's bound children are cached as one line per child, "id, school, county, grade,
// class, masked name" separated by tabs: where each child is, and nothing else. A list with a
// tab or a line break in a field is not cached (such a member is read from MongoDB each time).
const pupilFields = 6

func encodePupils(kids []models.Child) (string, bool) {
	var b strings.Builder
	for _, k := range kids {
		fields := [pupilFields]string{k.ID, k.SchoolID, k.CountyID, strconv.Itoa(k.Grade), k.Class, k.NameMasked}
		for i, f := range fields {
			if strings.ContainsAny(f, "\t\n") {
				return "", false
			}
			if i > 0 {
				b.WriteByte('\t')
			}
			b.WriteString(f)
		}
		b.WriteByte('\n')
	}
	return b.String(), true
}

func decodePupils(raw string) ([]models.Child, bool) {
	kids := make([]models.Child, 0, strings.Count(raw, "\n"))
	for line := range strings.Lines(raw) {
		f := strings.Split(strings.TrimSuffix(line, "\n"), "\t")
		if len(f) != pupilFields {
			return nil, false
		}
		grade, err := strconv.Atoi(f[3])
		if err != nil {
			return nil, false
		}
		kids = append(kids, models.Child{ID: f[0], SchoolID: f[1], CountyID: f[2], Grade: grade, Class: f[4], NameMasked: f[5]})
	}
	return kids, true
}

// pupilsKey is where a member's bound children are cached.
func pupilsKey(memberID string) string { return rediskeys.PupilsPrefix + memberID }

// cachedPupils returns a member's bound children from Redis (without encrypted fields), and
// the entry they were read from.
func (s *Server) cachedPupils(ctx context.Context, memberID string) ([]models.Child, string, bool) {
	ctx, cancel := cacheCtx(ctx)
	defer cancel()
	raw, err := s.rdb.Get(ctx, pupilsKey(memberID)).Result()
	if err != nil {
		return nil, "", false
	}
	kids, ok := decodePupils(raw)
	return kids, raw, ok
}

// cachePupils caches a member's bound children and returns the entry it wrote ("" when none).
func (s *Server) cachePupils(ctx context.Context, memberID string, kids []models.Child) string {
	raw, ok := encodePupils(kids)
	if !ok {
		return ""
	}
	ctx, cancel := cacheCtx(ctx)
	defer cancel()
	if s.rdb.Set(ctx, pupilsKey(memberID), raw, pupilsTTL).Err() != nil {
		return ""
	}
	return raw
}

// rememberEntries keeps, for the quick answer path, the session and children entries this
// request found in Redis or wrote there. The quick path checks them against Redis before it
// relies on them, so an entry changed meanwhile only sends it the ordinary way.
func (s *Server) rememberEntries(c echo.Context, kidsRaw string) {
	sess, ok := c.Get(ctxSession).(cachedSession)
	token, _ := c.Get(ctxToken).(string)
	if !s.queueOnRedis || !ok || kidsRaw == "" || token == "" {
		return
	}
	kids, ok := decodePupils(kidsRaw)
	m, _, ok2 := decodeSession(sess.raw) // what the gate would have read: the id and nickname only
	if !ok || !ok2 {
		return
	}
	s.cache.rememberGate(token, gateEntry{sess: sess.raw, kidsRaw: kidsRaw, member: m, expires: sess.expires, kids: kids})
}

// forgetPupils drops a member's cached children after a binding changes.
func (s *Server) forgetPupils(ctx context.Context, memberID string) {
	ctx, cancel := cacheCtx(ctx)
	defer cancel()
	if err := s.rdb.Del(ctx, pupilsKey(memberID)).Err(); err != nil {
		s.log.Warn("binding cache not cleared; it expires within 10 minutes", "member", memberID, "err", err)
	}
}
