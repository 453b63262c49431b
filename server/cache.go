package server

import (
	"crypto/sha256"
	"time"

	"github.com/hashicorp/golang-lru/v2/expirable"

	"kehou/models"
)

// hotCache keeps, for a few seconds, what every mini-program request reads: the session's
// member, the member's bound children, and open surveys. A notice sends thousands of parents to
// the same screen in the same minute, and with the cache their answers cost Redis round trips
// rather than database queries.
//
// What this costs, by design: this replica drops an entry as soon as it changes it (logout,
// binding, editing or closing a survey), but another API replica may serve the old value until
// the entry expires: a logged-out token for up to 30 s, a new binding for up to 30 s, a survey
// closed early for up to 5 s (answers it accepts in that window are kept, as if they had come
// a moment earlier). Expiry times of sessions and surveys are always checked against the clock.
type hotCache struct {
	sessions *expirable.LRU[[32]byte, cachedSession]
	pupils   *expirable.LRU[string, []models.Child]
	surveys  *expirable.LRU[string, models.Survey]
}

type cachedSession struct {
	member  models.Member
	expires time.Time
}

func newHotCache() *hotCache {
	return &hotCache{
		sessions: expirable.NewLRU[[32]byte, cachedSession](100_000, nil, 30*time.Second),
		pupils:   expirable.NewLRU[string, []models.Child](100_000, nil, 30*time.Second),
		surveys:  expirable.NewLRU[string, models.Survey](1_000, nil, 5*time.Second),
	}
}

func tokenKey(token string) [32]byte { return sha256.Sum256([]byte(token)) }
