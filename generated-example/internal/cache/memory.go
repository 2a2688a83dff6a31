package cache

import (
	"container/list"
	"log/slog"
	"strconv"
	"sync"
	"time"
)

// DefaultMemoryLimit bounds the in-memory cache when no limit is given.
const DefaultMemoryLimit = 64 << 20

// entryOverhead approximates the bookkeeping bytes of one entry, so that a
// flood of tiny items is bounded too.
const entryOverhead = 64

// NewMemory returns a Cache kept in this process's memory, holding at most
// limit bytes of keys and values (DefaultMemoryLimit if limit ≤ 0) and
// evicting the least recently used items beyond that. It has memcached's
// semantics, and it copies values in and out, so callers cannot change
// what is cached by changing a slice.
func NewMemory(limit int, logger *slog.Logger) *Cache {
	if limit <= 0 {
		limit = DefaultMemoryLimit
	}
	m := &memory{limit: limit, items: make(map[string]*list.Element), lru: list.New()}
	c := newCache(m, "memory", "", logger)
	m.now = func() time.Time { return c.now() } // one clock for ttl and expiry
	return c
}

// memory is the in-memory backend: a map plus a least-recently-used list.
type memory struct {
	limit int
	now   func() time.Time

	mu    sync.Mutex
	items map[string]*list.Element // of *entry
	lru   *list.List               // front is the most recently used
	size  int
}

type entry struct {
	key     string
	value   []byte
	expires time.Time // zero: never
}

func (e *entry) cost() int { return len(e.key) + len(e.value) + entryOverhead }

// lookup returns the live entry for key, dropping it if it has expired.
// The caller holds m.mu.
func (m *memory) lookup(key string) *entry {
	el, ok := m.items[key]
	if !ok {
		return nil
	}
	e := el.Value.(*entry)
	if !e.expires.IsZero() && !m.now().Before(e.expires) {
		m.remove(el)
		return nil
	}
	m.lru.MoveToFront(el)
	return e
}

func (m *memory) remove(el *list.Element) {
	e := m.lru.Remove(el).(*entry)
	delete(m.items, e.key)
	m.size -= e.cost()
}

// store puts a copy of value under key and evicts as needed. The caller
// holds m.mu.
func (m *memory) store(key string, value []byte, exp int32) {
	if el, ok := m.items[key]; ok {
		m.remove(el)
	}
	if exp < 0 {
		return // memcached stores it already expired: the same as not at all
	}
	e := &entry{key: key, value: append([]byte(nil), value...), expires: expiresAt(exp, m.now())}
	m.items[key] = m.lru.PushFront(e)
	m.size += e.cost()
	for m.size > m.limit && m.lru.Len() > 1 {
		m.remove(m.lru.Back())
	}
}

func (m *memory) get(key string) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e := m.lookup(key)
	if e == nil {
		return nil, errMiss
	}
	return append([]byte(nil), e.value...), nil
}

func (m *memory) getMulti(keys []string) (map[string][]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make(map[string][]byte)
	for _, k := range keys {
		if e := m.lookup(k); e != nil {
			out[k] = append([]byte(nil), e.value...)
		}
	}
	return out, nil
}

func (m *memory) set(key string, value []byte, exp int32) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.store(key, value, exp)
	return nil
}

func (m *memory) add(key string, value []byte, exp int32) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.lookup(key) != nil {
		return errNotStored
	}
	m.store(key, value, exp)
	return nil
}

func (m *memory) delete(key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if el, ok := m.items[key]; ok {
		m.remove(el)
	}
	return nil
}

// incr follows memcached: the value must be a decimal number, and the
// result wraps around at 2^64.
func (m *memory) incr(key string, delta uint64) (uint64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e := m.lookup(key)
	if e == nil {
		return 0, errMiss
	}
	n, err := strconv.ParseUint(string(e.value), 10, 64)
	if err != nil {
		return 0, ErrNotNumber
	}
	n += delta
	m.size -= len(e.value)
	e.value = strconv.AppendUint(e.value[:0], n, 10)
	m.size += len(e.value)
	return n, nil
}

func (m *memory) touch(key string, exp int32) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	e := m.lookup(key)
	if e == nil {
		return errMiss
	}
	if exp < 0 {
		m.remove(m.items[key])
		return nil
	}
	e.expires = expiresAt(exp, m.now())
	return nil
}

func (m *memory) ping() error  { return nil }
func (m *memory) close() error { return nil }

// Memory has no servers: none to ask for credentials, none to list.
func (m *memory) authenticated() bool    { return false }
func (m *memory) servers() []ServerState { return nil }
