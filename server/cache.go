package server

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/golang-lru/v2/expirable"
	"golang.org/x/sync/singleflight"

	"kehou/models"
	"kehou/rediskeys"
)

// The caches of the parents' routes. A notice sends thousands of parents to the same survey
// in the same minute; with these, opening it reads the database once per parent and submitting
// reads it not at all.
//
//   - Sessions and a member's bound children live in Redis, shared by every API replica: login
//     writes the session there, logout and (un)binding delete the entries, so no replica serves
//     a revoked token or an old binding. A session entry is keyed by the token's keyed hash
//     (store.SessionKey), never by the token: nothing in Redis, MongoDB or this process's
//     memory holds a bearer token past its request. Entries expire (10 minutes for bindings,
//     so a roster that moves a pupil to another class shows within that), and with Redis down
//     every request falls back to MongoDB.
//   - Surveys are kept in each replica's memory for 5 seconds. This replica drops its copy when
//     it changes a survey; another may serve the old copy for up to 5 s (a survey closed early
//     can take answers for that long; an edit is caught, see fixAndCheck). Close times are
//     always checked against the clock.
type hotCache struct {
	surveys *expirable.LRU[string, models.Survey]
	// loads makes the first parents after a notice share one database read (and one fixing of
	// the questions, see fixAndCheck) per survey instead of each making their own.
	loads singleflight.Group
}

const (
	pupilsTTL    = 10 * time.Minute
	cacheTimeout = 250 * time.Millisecond
)

func newHotCache() *hotCache {
	return &hotCache{surveys: expirable.NewLRU[string, models.Survey](1_000, nil, 5*time.Second)}
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

// sessionKey is where a token's session entry is cached: under the token's keyed hash, the
// same one MongoDB stores the session by.
func (s *Server) sessionKey(token string) string {
	return rediskeys.SessionPrefix + s.store.SessionKey(token)
}

func cacheCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), cacheTimeout)
}

// cacheSession remembers a live session for an hour at most (and never past its expiry). A
// failure only costs the next request a MongoDB read.
func (s *Server) cacheSession(ctx context.Context, token string, m models.Member, expires time.Time) {
	ttl := min(time.Until(expires), time.Hour)
	if ttl <= 0 || strings.Contains(m.ID, "\t") {
		return
	}
	ctx, cancel := cacheCtx(ctx)
	defer cancel()
	_ = s.rdb.Set(ctx, s.sessionKey(token), encodeSession(m, expires), ttl).Err()
}

// forgetSession drops a token from the cache; a failure is logged, since the token would stay
// usable until the entry expires.
func (s *Server) forgetSession(ctx context.Context, token string) error {
	ctx, cancel := cacheCtx(ctx)
	defer cancel()
	return s.rdb.Del(ctx, s.sessionKey(token)).Err()
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

// cachedPupils returns a member's bound children from Redis (without encrypted fields).
func (s *Server) cachedPupils(ctx context.Context, memberID string) ([]models.Child, bool) {
	ctx, cancel := cacheCtx(ctx)
	defer cancel()
	raw, err := s.rdb.Get(ctx, pupilsKey(memberID)).Result()
	if err != nil {
		return nil, false
	}
	return decodePupils(raw)
}

// cachePupils caches a member's bound children; a failure only costs a later MongoDB read.
func (s *Server) cachePupils(ctx context.Context, memberID string, kids []models.Child) {
	raw, ok := encodePupils(kids)
	if !ok {
		return
	}
	ctx, cancel := cacheCtx(ctx)
	defer cancel()
	_ = s.rdb.Set(ctx, pupilsKey(memberID), raw, pupilsTTL).Err()
}

// forgetPupils drops a member's cached children after a binding changes.
func (s *Server) forgetPupils(ctx context.Context, memberID string) {
	ctx, cancel := cacheCtx(ctx)
	defer cancel()
	if err := s.rdb.Del(ctx, pupilsKey(memberID)).Err(); err != nil {
		s.log.Warn("binding cache not cleared; it expires within 10 minutes", "member", memberID, "err", err)
	}
}
