// Package cache is the app's cache: one Cache type used for direct caching,
// memoization, views, fragments and sessions, kept either in memcached (as
// MemCachier provides it) or in memory when no servers are configured.
//
// A cache failure never fails a request. Get reports a miss, writes report
// an error that callers may ignore, and the Cache itself counts every
// failure and logs it, at most once per errorLogInterval, so an outage does
// not flood the logs. Callers should not log cache errors again.
package cache

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// MaxItemSize is the largest item the cache stores: MemCachier's limit, and
// memcached's default item size (-I 1m). An item is its key, its value and
// ItemOverhead bytes of memcached's own bookkeeping.
const MaxItemSize = 1 << 20

// ItemOverhead is what memcached adds to the key and value of each item.
// memcached 1.6 (64-bit, CAS on, flags 0) stores a value of at most
// 1048517 - len(key) bytes in a 1 MiB item, which is 59 bytes of overhead;
// a few more are kept in hand for other builds.
const ItemOverhead = 64

// MaxValueSize is the largest value that fits in an item under any key:
// the longest memcached key leaves this much room.
const MaxValueSize = MaxItemSize - MaxKeyLength - ItemOverhead

// ErrTooLarge is returned, before any network I/O, for a value that would
// make an item, with its key and overhead, larger than MaxItemSize. It is
// counted and logged as a cache error, since the value is then not cached.
var ErrTooLarge = errors.New("cache: item too large")

// ErrNotNumber is returned by Increment when the value under the key is
// not a decimal number.
var ErrNotNumber = errors.New("cache: value is not a decimal number")

// errMiss is what a backend returns for a key it does not hold.
var errMiss = errors.New("cache: miss")

// errNotStored is what a backend's add returns when the key exists.
var errNotStored = errors.New("cache: not stored")

// backend is the storage under a Cache: memcached, or memory. Keys are
// already valid memcached keys (see Key), values already fit an item, and
// expirations are memcached exptimes (see exptime): 0 never expires, up to
// 30 days is relative, above that a Unix time, and a negative one has
// already passed. The contract, method by method, which both backends
// meet and backendContract in backend_test.go checks:
type backend interface {
	// get returns the value under key, or errMiss when the key is not
	// held (never stored, deleted, expired or evicted). Any other error
	// means the backend could not answer.
	get(key string) ([]byte, error)
	// getMulti returns the values of the keys it holds; missing keys are
	// simply absent from the map, which is never nil. With a backend
	// error the map still holds what could be read (for memcached, the
	// servers that answered), so a partial answer is usable.
	getMulti(keys []string) (map[string][]byte, error)
	// set stores value under key, replacing any value, with exp.
	set(key string, value []byte, exp int32) error
	// add stores value under key only when the key is not held, and
	// returns errNotStored, storing nothing, when it is.
	add(key string, value []byte, exp int32) error
	// delete removes key; a key that is not held is not an error.
	delete(key string) error
	// incr adds delta to the decimal number under key and returns the
	// result, which wraps around at 2^64 as memcached's does; the key keeps
	// its expiry. A missing key is errMiss (incr never creates one: Cache
	// does, with add), and a value that is not a decimal number is
	// ErrNotNumber, leaving it unchanged.
	incr(key string, delta uint64) (uint64, error)
	// touch sets a new exp on key, keeping its value, or returns errMiss
	// when the key is not held. A negative exp expires the key at once.
	touch(key string, exp int32) error
	// ping reports whether the backend can be reached, checking every
	// server.
	ping() error
	// authenticated reports whether a server has asked for the
	// credentials and accepted them; the in-memory backend, which has no
	// servers, never has.
	authenticated() bool
	// servers returns the state of every server, in the configured order,
	// without I/O; the in-memory backend returns none.
	servers() []ServerState
	// close releases connections and background work; the backend is not
	// used afterwards.
	close() error
}

// Cache is a key-value cache with memcached semantics. It is safe for
// concurrent use. Build one with NewMemcached or NewMemory.
//
// Every key is stored under the cache's prefix (MemcachedOptions.KeyPrefix),
// then the tag of the layer that keeps it and the names of any namespaces
// (see InLayer and Namespace), so apps that share memcached never see
// each other's entries. Callers use keys without them: c.Get("greeting")
// reads "shop:greeting", and c.InLayer(LayerSessions).Get("session:x")
// reads "shop:s:session:x".
type Cache struct {
	*shared
	prefix    string
	layerTag  string
	namespace string
	start     string // prefix + layerTag + namespace, which every key starts with
}

// shared is what a Cache has in common with its namespaces: the storage,
// the counters and the near cache.
type shared struct {
	backend backend
	kind    string // "memcached" or "memory", for logs and stats
	now     func() time.Time
	log     *errorLog
	rescues *errorLog // stale entries served because a fresh one failed
	near    *near     // pages and fragments kept in this process in front of memcached; nil: none

	hits, misses, errors atomic.Uint64
	layers               [numLayers]layerCounters

	// fragmentWriters holds a token per goroutine storing the misses of
	// RenderAll, and fragmentsPending waits for them (Fragments.Wait).
	fragmentWriters  chan struct{}
	fragmentsPending sync.WaitGroup

	// refreshers holds a token per background refresh, refreshing the
	// keys being refreshed, and refreshesPending waits for them
	// (WaitRefreshes).
	refreshers       chan struct{}
	refreshing       sync.Map // of full key → struct{}
	refreshesPending sync.WaitGroup
}

func newCache(b backend, kind, prefix string, logger *slog.Logger) *Cache {
	return &Cache{
		shared: &shared{backend: b, kind: kind, now: time.Now,
			log:             newErrorLog(logger, kind, "cache error; serving as a miss"),
			rescues:         newErrorLog(logger, kind, "serving stale entries: making fresh ones failed"),
			fragmentWriters: make(chan struct{}, maxFragmentWriters),
			refreshers:      make(chan struct{}, maxRefreshers)},
		prefix: prefix,
		start:  prefix,
	}
}

// Get returns the value stored under key. A missing key, and any failure to
// reach the cache, is a miss.
func (c *Cache) Get(key string) ([]byte, bool) {
	v, err := c.backend.get(c.Key(key))
	if err != nil {
		c.miss("get", err)
		return nil, false
	}
	c.hits.Add(1)
	return v, true
}

// GetMulti returns the values of the keys that are present, in one round
// trip per server. Keys that are missing or cannot be reached are left out.
func (c *Cache) GetMulti(keys []string) map[string][]byte {
	got, _ := c.getMulti(keys)
	return got
}

// getFull is a multi-get of keys already mapped by Key, for a layer that
// reads its entries and their tags' versions, from caches in two layers,
// in one round trip. It returns the failure of any server, counted and
// logged, so that the caller can spare the request a second wait on the
// cache.
func (c *Cache) getFull(keys []string) (map[string][]byte, error) {
	got, err := c.backend.getMulti(keys)
	if err != nil {
		c.fail("get multi", err)
	}
	c.hits.Add(uint64(len(got)))
	c.misses.Add(uint64(len(keys) - len(got)))
	return got, err
}

// getMulti is GetMulti, also returning the failure of any server, which it
// has counted and logged, so that the caller can spare the request a
// second wait on the cache.
func (c *Cache) getMulti(keys []string) (map[string][]byte, error) {
	safe := make([]string, len(keys))
	byKey := make(map[string]string, len(keys))
	for i, k := range keys {
		safe[i] = c.Key(k)
		byKey[safe[i]] = k
	}
	got, err := c.backend.getMulti(safe)
	if err != nil {
		c.fail("get multi", err)
	}
	out := make(map[string][]byte, len(got))
	for k, v := range got {
		out[byKey[k]] = v
	}
	c.hits.Add(uint64(len(out)))
	c.misses.Add(uint64(len(keys) - len(out)))
	return out, err
}

// Set stores value under key for ttl; a ttl of 0 means no expiry.
func (c *Cache) Set(key string, value []byte, ttl time.Duration) error {
	k, err := c.item("set", key, value)
	if err != nil {
		return err
	}
	return c.check("set", c.backend.set(k, value, exptime(ttl, c.now())))
}

// Add stores value under key only if the key is not present, and reports
// whether it did.
func (c *Cache) Add(key string, value []byte, ttl time.Duration) (bool, error) {
	k, err := c.item("add", key, value)
	if err != nil {
		return false, err
	}
	switch err := c.backend.add(k, value, exptime(ttl, c.now())); {
	case err == nil:
		return true, nil
	case errors.Is(err, errNotStored):
		return false, nil
	default:
		return false, c.check("add", err)
	}
}

// Delete removes key. Deleting a missing key is not an error. It drops
// this process's near-cache copy of the key too. To retire pages,
// memoized results or fragments, invalidate their tags (InvalidateTags,
// DeleteView, Memo.ForgetAll).
func (c *Cache) Delete(key string) error {
	err := c.check("delete", c.backend.delete(c.Key(key)))
	c.near.deleted(c.Key(key)) // after memcached: a value read before is never kept
	return err
}

// Increment atomically adds delta to the decimal counter under key and
// returns the new value. A missing counter is created with the value delta
// and the given ttl; an existing one keeps its expiry.
func (c *Cache) Increment(key string, delta uint64, ttl time.Duration) (uint64, error) {
	k := c.Key(key)
	for {
		n, err := c.backend.incr(k, delta)
		switch {
		case errors.Is(err, ErrNotNumber):
			return 0, err // the caller's mistake, not a cache failure
		case !errors.Is(err, errMiss):
			return n, c.check("increment", err)
		}
		// Create it; if another client created it first, increment theirs.
		err = c.backend.add(k, []byte(strconv.FormatUint(delta, 10)), exptime(ttl, c.now()))
		if !errors.Is(err, errNotStored) {
			return delta, c.check("increment", err)
		}
	}
}

// Touch sets a new ttl on key and reports whether the key was present.
func (c *Cache) Touch(key string, ttl time.Duration) (bool, error) {
	switch err := c.backend.touch(c.Key(key), exptime(ttl, c.now())); {
	case err == nil:
		return true, nil
	case errors.Is(err, errMiss):
		return false, nil
	default:
		return false, c.check("touch", err)
	}
}

// Ping checks that every server answers, over a new connection to each,
// and authenticates where credentials are configured; a server that does
// not answer leaves rotation. It is for start-up: requests never need it,
// since the servers' state is kept by the operations themselves and by the
// background probes of servers that failed. The in-memory cache always
// answers.
func (c *Cache) Ping() error {
	return c.backend.ping()
}

// Close releases the cache's connections and background work.
func (c *Cache) Close() error {
	return c.backend.close()
}

// Authenticated reports whether a memcached server has asked for the
// credentials and accepted them. It is false when no credentials are set,
// and when the servers reached so far (by Ping, for one) do not ask for
// authentication: those never receive the credentials.
func (c *Cache) Authenticated() bool {
	return c.backend.authenticated()
}

// Servers returns the state of every memcached server, in the configured
// order, as the cache's operations and the ring's probes have found it. It
// does no I/O, so a page may call it on every request: a server that went
// away shows as down once an operation has failed on it. The in-memory
// cache has none.
func (c *Cache) Servers() []ServerState {
	return c.backend.servers()
}

// Kind names the backend: "memcached" or "memory".
func (c *Cache) Kind() string { return c.kind }

// Stats are a Cache's counters since it was built: for every key, and for
// each layer's lookups.
type Stats struct {
	Kind   string `json:"kind"`
	Hits   uint64 `json:"hits"`
	Misses uint64 `json:"misses"`
	Errors uint64 `json:"errors"`
	// Layers holds each layer's counters, indexed by Layer.
	Layers []LayerStats `json:"layers"`
}

// Stats returns the hit, miss and error counters.
func (c *Cache) Stats() Stats {
	return Stats{Kind: c.kind, Hits: c.hits.Load(), Misses: c.misses.Load(), Errors: c.errors.Load(), Layers: c.layerStats()}
}

// item maps key to a safe key and checks the item's size for op.
func (c *Cache) item(op, key string, value []byte) (string, error) {
	k := c.Key(key)
	if size := len(k) + len(value) + ItemOverhead; size > MaxItemSize {
		err := fmt.Errorf("%w: %d bytes with key and overhead, limit %d", ErrTooLarge, size, MaxItemSize)
		c.fail(op, err)
		return "", err
	}
	return k, nil
}

// miss counts a failed read: a plain miss, or an error that is also logged.
func (c *Cache) miss(op string, err error) {
	c.misses.Add(1)
	if !errors.Is(err, errMiss) {
		c.fail(op, err)
	}
}

// check counts and logs err, and returns it for the caller to ignore.
func (c *Cache) check(op string, err error) error {
	if err != nil {
		c.fail(op, err)
	}
	return err
}

func (c *Cache) fail(op string, err error) {
	c.errors.Add(1)
	c.log.record(op, err)
}

// exptime converts a ttl to memcached's exptime: seconds from now up to 30
// days, and above that an absolute Unix time, because memcached reads any
// larger number as a date. An exptime is 32 bits, so a time past January
// 2038 is clamped to the last one it can hold; wrapping around would make
// it a date in the past and the item would never be kept. Both backends
// use it, so they expire alike.
func exptime(ttl time.Duration, now time.Time) int32 {
	switch {
	case ttl == 0:
		return 0
	case ttl < 0:
		return -1 // already expired
	}
	secs := int64((ttl + time.Second - 1) / time.Second) // round up: 1ns must not mean "never"
	if secs <= maxRelativeExptime {
		return int32(secs)
	}
	return int32(min(now.Unix()+secs, math.MaxInt32))
}

// maxRelativeExptime is the largest exptime memcached reads as relative.
const maxRelativeExptime = 30 * 24 * 60 * 60

// expiresAt is the inverse of exptime, for the in-memory backend. The zero
// time means never.
func expiresAt(exp int32, now time.Time) time.Time {
	switch {
	case exp == 0:
		return time.Time{}
	case exp < 0:
		return now
	case exp <= maxRelativeExptime:
		return now.Add(time.Duration(exp) * time.Second)
	default:
		return time.Unix(int64(exp), 0)
	}
}

// errorLogInterval is the most often one kind of failure is logged.
const errorLogInterval = 10 * time.Second

// errorLog logs cache failures without flooding: the first failure is
// logged at once, later ones at most once per errorLogInterval with the
// number left out in between.
type errorLog struct {
	logger *slog.Logger
	kind   string
	msg    string

	mu         sync.Mutex
	last       time.Time
	suppressed int
}

func newErrorLog(logger *slog.Logger, kind, msg string) *errorLog {
	return &errorLog{logger: logger, kind: kind, msg: msg}
}

func (l *errorLog) record(op string, err error) {
	l.mu.Lock()
	now := time.Now()
	if now.Sub(l.last) < errorLogInterval {
		l.suppressed++
		l.mu.Unlock()
		return
	}
	suppressed := l.suppressed
	l.last, l.suppressed = now, 0
	l.mu.Unlock()
	l.logger.Warn(l.msg, "cache", l.kind, "op", op, "err", err, "suppressed", suppressed)
}
