package server

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"time"

	"github.com/hashicorp/golang-lru/v2/expirable"
	"golang.org/x/sync/singleflight"

	"kehou/models"
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
	// loads makes the first parents after a notice share one database read (and one "answered"
	// mark) per survey instead of each making their own.
	loads singleflight.Group
}

const (
	sessionKeyPrefix = "kehou:sess:"
	pupilsKeyPrefix  = "kehou:pupils:"
	pupilsTTL        = 10 * time.Minute
	cacheTimeout     = 250 * time.Millisecond
)

func newHotCache() *hotCache {
	return &hotCache{surveys: expirable.NewLRU[string, models.Survey](1_000, nil, 5*time.Second)}
}

// cachedSession is what the session cache keeps: nothing secret, nothing personal.
type cachedSession struct {
	MemberID string    `json:"m"`
	Nickname string    `json:"n,omitempty"`
	Expires  time.Time `json:"e"`
}

func sessionKey(token string) string {
	h := sha256.Sum256([]byte(token))
	return sessionKeyPrefix + hex.EncodeToString(h[:])
}

func cacheCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), cacheTimeout)
}

// cachedMember returns the member of a session token from Redis.
func (s *Server) cachedMember(ctx context.Context, token string) (models.Member, bool) {
	ctx, cancel := cacheCtx(ctx)
	defer cancel()
	raw, err := s.rdb.Get(ctx, sessionKey(token)).Bytes()
	var cs cachedSession
	if err != nil || json.Unmarshal(raw, &cs) != nil || !s.now().Before(cs.Expires) {
		return models.Member{}, false
	}
	return models.Member{ID: cs.MemberID, Nickname: cs.Nickname}, true
}

// cacheSession remembers a live session for an hour at most (and never past its expiry).
func (s *Server) cacheSession(ctx context.Context, token string, m models.Member, expires time.Time) {
	ttl := min(time.Until(expires), time.Hour)
	if ttl <= 0 {
		return
	}
	raw, _ := json.Marshal(cachedSession{m.ID, m.Nickname, expires})
	ctx, cancel := cacheCtx(ctx)
	defer cancel()
	_ = s.rdb.Set(ctx, sessionKey(token), raw, ttl).Err()
}

// forgetSession drops a token from the cache; a failure is logged, since the token would stay
// usable until the entry expires.
func (s *Server) forgetSession(ctx context.Context, token string) error {
	ctx, cancel := cacheCtx(ctx)
	defer cancel()
	return s.rdb.Del(ctx, sessionKey(token)).Err()
}

// cachedPupils returns a member's bound children from Redis (without encrypted fields).
func (s *Server) cachedPupils(ctx context.Context, memberID string) ([]models.Child, bool) {
	ctx, cancel := cacheCtx(ctx)
	defer cancel()
	raw, err := s.rdb.Get(ctx, pupilsKeyPrefix+memberID).Bytes()
	var kids []models.Child
	if err != nil || json.Unmarshal(raw, &kids) != nil {
		return nil, false
	}
	return kids, true
}

// pupilCache is a child as the cache keeps it: where it is and its masked name.
type pupilCache struct {
	ID         string `json:"id"`
	SchoolID   string `json:"school_id"`
	CountyID   string `json:"county_id"`
	Grade      int    `json:"grade"`
	Class      string `json:"class"`
	NameMasked string `json:"name"`
}

func (s *Server) cachePupils(ctx context.Context, memberID string, kids []models.Child) {
	list := make([]pupilCache, len(kids))
	for i, k := range kids {
		list[i] = pupilCache{k.ID, k.SchoolID, k.CountyID, k.Grade, k.Class, k.NameMasked}
	}
	raw, _ := json.Marshal(list)
	ctx, cancel := cacheCtx(ctx)
	defer cancel()
	_ = s.rdb.Set(ctx, pupilsKeyPrefix+memberID, raw, pupilsTTL).Err()
}

// forgetPupils drops a member's cached children after a binding changes.
func (s *Server) forgetPupils(ctx context.Context, memberID string) {
	ctx, cancel := cacheCtx(ctx)
	defer cancel()
	if err := s.rdb.Del(ctx, pupilsKeyPrefix+memberID).Err(); err != nil {
		s.log.Warn("binding cache not cleared; it expires within 10 minutes", "member", memberID, "err", err)
	}
}
