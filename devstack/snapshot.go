//go:build !noembed

package devstack

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/redis/go-redis/v9"
)

// snapshotVersion is bumped whenever snapshotFile changes incompatibly, so
// that an old binary refuses a new file instead of misreading it.
const snapshotVersion = 1

// redisDBs is how many numbered databases a snapshot covers (Redis's
// default of 16; asynq and the app use 0 unless configured otherwise).
const redisDBs = 16

// snapshotFile is the on-disk form of all Redis keys. Keys and values are
// []byte, which encoding/json writes as base64, because asynq stores
// protobuf-encoded tasks that are not valid UTF-8.
type snapshotFile struct {
	Version int           `json:"version"`
	TakenAt time.Time     `json:"taken_at"`
	Keys    []snapshotKey `json:"keys"`
}

// snapshotKey is one key with its value and expiry.
type snapshotKey struct {
	DB   int    `json:"db"`
	Key  []byte `json:"key"`
	Type string `json:"type"` // string, hash, list, set or zset
	// ExpireAtMs is the absolute expiry in Unix milliseconds, 0 for none.
	// Absolute, like Redis's own RDB files, so that downtime counts
	// against the TTL and a lock that should have expired does expire.
	ExpireAtMs int64 `json:"expire_at_ms,omitempty"`
	// Values holds the value: [value] for a string, items head to tail for
	// a list, members for a set or zset, field, value, field, value… for a
	// hash.
	Values [][]byte `json:"values"`
	// Scores holds zset scores, Scores[i] for Values[i], as Redis prints
	// them: text, because JSON numbers cannot say "inf".
	Scores []string `json:"scores,omitempty"`
}

// captureScript reads every key of every database inside one EVAL. Lua
// scripts run under miniredis's global lock, so the result is a single
// instant: asynq moves task ids between lists with scripts too, and reading
// key by key could catch an id in neither list and lose the task.
const captureScript = `
local out = {}
for db = 0, tonumber(ARGV[1]) - 1 do
  redis.call('SELECT', db)
  for _, key in ipairs(redis.call('KEYS', '*')) do
    local t = redis.call('TYPE', key)
    if type(t) == 'table' then t = t['ok'] end
    local v = {}
    if t == 'string' then v = {redis.call('GET', key)}
    elseif t == 'hash' then v = redis.call('HGETALL', key)
    elseif t == 'list' then v = redis.call('LRANGE', key, 0, -1)
    elseif t == 'set' then v = redis.call('SMEMBERS', key)
    elseif t == 'zset' then v = redis.call('ZRANGE', key, 0, -1, 'WITHSCORES')
    end
    out[#out + 1] = {db, key, t, redis.call('PTTL', key), v}
  end
end
return out`

// captureSnapshot reads all keys through client. Keys of types the format
// does not cover (streams, HyperLogLogs: unused by asynq and the app) are
// left out and named in skipped.
func captureSnapshot(ctx context.Context, client *redis.Client, now time.Time) (snap snapshotFile, skipped []string, err error) {
	rows, err := client.Eval(ctx, captureScript, nil, redisDBs).Slice()
	if err != nil {
		return snap, nil, fmt.Errorf("capture: %w", err)
	}
	snap = snapshotFile{Version: snapshotVersion, TakenAt: now.UTC(), Keys: make([]snapshotKey, 0, len(rows))}
	for _, row := range rows {
		k, ok := parseRow(row, now)
		if !ok {
			return snap, nil, fmt.Errorf("capture: unexpected reply row %#v", row)
		}
		switch k.Type {
		case "string", "hash", "list", "set", "zset":
			snap.Keys = append(snap.Keys, k)
		default:
			skipped = append(skipped, fmt.Sprintf("db%d:%q (%s)", k.DB, k.Key, k.Type))
		}
	}
	return snap, skipped, nil
}

// parseRow decodes one {db, key, type, pttl, values} row of captureScript.
func parseRow(row any, now time.Time) (snapshotKey, bool) {
	f, ok := row.([]any)
	if !ok || len(f) != 5 {
		return snapshotKey{}, false
	}
	db, ok1 := f[0].(int64)
	key, ok2 := f[1].(string)
	typ, ok3 := f[2].(string)
	pttl, ok4 := f[3].(int64)
	vals, ok5 := f[4].([]any)
	if !ok1 || !ok2 || !ok3 || !ok4 || (!ok5 && f[4] != nil) {
		return snapshotKey{}, false
	}
	k := snapshotKey{DB: int(db), Key: []byte(key), Type: typ}
	if pttl > 0 { // -1: no TTL; -2 cannot happen inside the script
		k.ExpireAtMs = now.Add(time.Duration(pttl) * time.Millisecond).UnixMilli()
	}
	for i, v := range vals {
		s, ok := v.(string)
		if !ok {
			return snapshotKey{}, false
		}
		if typ == "zset" && i%2 == 1 {
			k.Scores = append(k.Scores, s)
			continue
		}
		k.Values = append(k.Values, []byte(s))
	}
	return k, true
}

// writeSnapshot replaces path with snap atomically: a crash leaves either
// the previous file or the new one, never a torn mix.
func writeSnapshot(path string, snap snapshotFile) (err error) {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("write: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	w := bufio.NewWriter(tmp)
	if err := json.NewEncoder(w).Encode(snap); err != nil {
		return fmt.Errorf("write: %w", err)
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("write: %w", err)
	}
	// Sync before rename: otherwise a power loss can leave the new name
	// pointing at an empty file.
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("write: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write: %w", err)
	}
	// Make the rename itself durable; best effort, as not every
	// filesystem supports syncing a directory.
	if d, derr := os.Open(dir); derr == nil {
		_ = d.Sync()
		_ = d.Close()
	}
	return nil
}

// readSnapshot loads path; a missing file is an empty snapshot, since a
// fresh data directory has none.
func readSnapshot(path string) (snapshotFile, error) {
	var snap snapshotFile
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return snap, nil
	}
	if err != nil {
		return snap, fmt.Errorf("read snapshot: %w", err)
	}
	// A bad file fails Start loudly rather than starting empty, which
	// would silently drop every queued task.
	if err := json.Unmarshal(b, &snap); err != nil {
		return snap, fmt.Errorf("read snapshot %s: %w (move the file away to start with an empty Redis)", path, err)
	}
	if snap.Version != snapshotVersion {
		return snap, fmt.Errorf("read snapshot %s: version %d, want %d", path, snap.Version, snapshotVersion)
	}
	return snap, nil
}
