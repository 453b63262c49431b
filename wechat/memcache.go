package wechat

import (
	"context"
	"sync"
	"time"
)

// memoryCache is the in-process access-token cache used when Config.Cache is nil. silenceper's
// own cache.Memory reads its map without a lock, so it is not safe for concurrent use.
type memoryCache struct {
	mu    sync.Mutex
	items map[string]memoryItem
}

type memoryItem struct {
	val     any
	expires time.Time // zero: never
}

func newMemoryCache() *memoryCache {
	return &memoryCache{items: make(map[string]memoryItem)}
}

// getLocked returns the live item for key; expired items are removed. mu must be held.
func (m *memoryCache) getLocked(key string) (memoryItem, bool) {
	it, ok := m.items[key]
	if ok && !it.expires.IsZero() && !time.Now().Before(it.expires) {
		delete(m.items, key)
		return memoryItem{}, false
	}
	return it, ok
}

// Get returns the value stored under key, or nil.
func (m *memoryCache) Get(key string) any {
	m.mu.Lock()
	defer m.mu.Unlock()
	it, _ := m.getLocked(key)
	return it.val
}

// Set stores val under key for timeout (forever when timeout <= 0).
func (m *memoryCache) Set(key string, val any, timeout time.Duration) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	it := memoryItem{val: val}
	if timeout > 0 {
		it.expires = time.Now().Add(timeout)
	}
	m.items[key] = it
	return nil
}

// IsExist reports whether key holds a live value.
func (m *memoryCache) IsExist(key string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	_, ok := m.getLocked(key)
	return ok
}

// Delete removes key.
func (m *memoryCache) Delete(key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.items, key)
	return nil
}

// CompareAndDelete removes key only while it holds the string val.
func (m *memoryCache) CompareAndDelete(_ context.Context, key, val string) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if it, ok := m.getLocked(key); !ok || it.val != any(val) {
		return false, nil
	}
	delete(m.items, key)
	return true, nil
}
