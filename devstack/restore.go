//go:build !noembed

package devstack

import (
	"fmt"
	"strconv"
	"time"

	"github.com/alicebob/miniredis/v2"
)

// restoreSnapshot loads the snapshot at path into m, which must not be
// serving yet so that no client sees a half-restored keyspace. Keys whose
// expiry passed while the process was down are dropped; the others get the
// TTL they have left at now. It returns how many keys were restored.
func restoreSnapshot(m *miniredis.Miniredis, path string, now time.Time) (int, error) {
	snap, err := readSnapshot(path)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, k := range snap.Keys {
		var ttl time.Duration
		if k.ExpireAtMs != 0 {
			ttl = time.UnixMilli(k.ExpireAtMs).Sub(now)
			if ttl <= 0 {
				continue
			}
		}
		if k.DB < 0 || k.DB >= redisDBs {
			return n, fmt.Errorf("restore snapshot %s: key %q: db %d out of range", path, k.Key, k.DB)
		}
		if err := restoreKey(m.DB(k.DB), k); err != nil {
			return n, fmt.Errorf("restore snapshot %s: db%d key %q: %w", path, k.DB, k.Key, err)
		}
		if ttl > 0 {
			m.DB(k.DB).SetTTL(string(k.Key), ttl)
		}
		n++
	}
	return n, nil
}

// restoreKey writes one key through miniredis's direct-access API.
func restoreKey(db *miniredis.RedisDB, k snapshotKey) error {
	key := string(k.Key)
	vals := make([]string, len(k.Values))
	for i, v := range k.Values {
		vals[i] = string(v)
	}
	// Redis has no empty lists, sets or hashes; one in the file would
	// otherwise turn into a key with no value.
	if len(vals) == 0 {
		return fmt.Errorf("%s without values", k.Type)
	}
	switch k.Type {
	case "string":
		if len(vals) != 1 {
			return fmt.Errorf("string with %d values", len(vals))
		}
		return db.Set(key, vals[0])
	case "list":
		_, err := db.Push(key, vals...)
		return err
	case "set":
		_, err := db.SetAdd(key, vals...)
		return err
	case "hash":
		if len(vals)%2 != 0 {
			return fmt.Errorf("hash with odd field/value count %d", len(vals))
		}
		db.HSet(key, vals...)
		return nil
	case "zset":
		if len(k.Scores) != len(vals) {
			return fmt.Errorf("zset with %d members and %d scores", len(vals), len(k.Scores))
		}
		for i, member := range vals {
			score, err := strconv.ParseFloat(k.Scores[i], 64)
			if err != nil {
				return fmt.Errorf("zset score: %w", err)
			}
			if _, err := db.ZAdd(key, score, member); err != nil {
				return err
			}
		}
		return nil
	default:
		return fmt.Errorf("unsupported type %q", k.Type)
	}
}
