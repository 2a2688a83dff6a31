package cache

import (
	"container/list"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// Defaults of the near cache (MemcachedOptions.NearCacheTTL and
// NearCacheBytes).
const (
	DefaultNearCacheTTL   = time.Second
	DefaultNearCacheBytes = 16 << 20
)

// nearEntryOverhead approximates the bookkeeping bytes of one near-cache
// entry (the entry, its list element, map slot and header map).
const nearEntryOverhead = 256

// near is the near cache: pages that Views read from or stored in
// memcached, kept in this process's memory and served from there for at
// most ttl, with no round trip at all. A page served from memcached costs
// a round trip that takes longer than everything else the request does;
// the near cache answers the same page from memory, at the price of
// serving it for up to ttl after another instance has invalidated it.
//
// It keeps the view cache's rules because it only ever holds what Views
// stored in memcached or read back and validated from there, and Views
// consults it after deciding that the request may share a page. The
// instance that invalidates a path drops its own copies at once (see
// deleted), so a visitor always sees their own change on their next page.
//
// A nil *near is a near cache that is off: it holds nothing.
type near struct {
	ttl   time.Duration
	limit int
	now   func() time.Time

	mu    sync.Mutex
	items map[string]*list.Element // of *nearEntry, by view key
	lru   *list.List               // front is the most recently used
	size  int
	gens  map[string]uint64 // by path: how many times its pages were deleted
}

type nearEntry struct {
	key, path string
	gen       uint64    // the path's generation when the page was read
	page      *page     // shared by the requests it answers: never changed
	read      time.Time // when the page was read or rendered: it is served until read+ttl
	cost      int
}

// newNear returns a near cache serving pages for ttl and holding at most
// limit bytes, or nil (off) when ttl ≤ 0.
func newNear(ttl time.Duration, limit int, now func() time.Time) *near {
	if ttl <= 0 {
		return nil
	}
	if limit <= 0 {
		limit = DefaultNearCacheBytes
	}
	return &near{ttl: ttl, limit: limit, now: now, items: make(map[string]*list.Element), lru: list.New(), gens: make(map[string]uint64)}
}

// get returns the page under key if it is fresh, or nil and path's
// generation, which the caller passes to put when it stores a page it is
// about to read or render: a page read before DeleteView(path) is then
// never stored after it.
func (n *near) get(key, path string) (*page, uint64) {
	if n == nil {
		return nil, 0
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	el, ok := n.items[key]
	if !ok {
		return nil, n.gens[path]
	}
	e := el.Value.(*nearEntry)
	if e.gen != n.gens[e.path] || n.now().Sub(e.read) >= n.ttl {
		n.remove(el)
		return nil, n.gens[path]
	}
	n.lru.MoveToFront(el)
	return e.page, 0
}

// put keeps p, read or rendered at the time read under path's generation
// gen, unless DeleteView(path) ran since then.
func (n *near) put(key, path string, gen uint64, read time.Time, p *page) {
	if n == nil {
		return
	}
	// Requests share the page: clip its header values, so that a
	// middleware appending to one gets a copy instead of writing into
	// the shared array.
	shared := &page{version: p.version, status: p.status, header: make(http.Header, len(p.header)), body: p.body}
	cost := len(key) + len(path) + len(p.body) + nearEntryOverhead
	for k, v := range p.header {
		shared.header[k] = slices.Clip(v)
		for _, s := range v {
			cost += len(k) + len(s)
		}
	}
	if cost > n.limit {
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if gen != n.gens[path] || n.now().Sub(read) >= n.ttl {
		return
	}
	if el, ok := n.items[key]; ok {
		n.remove(el)
	}
	n.items[key] = n.lru.PushFront(&nearEntry{key: key, path: path, gen: gen, page: shared, read: read, cost: cost})
	n.size += cost
	for n.size > n.limit {
		n.remove(n.lru.Back())
	}
}

// deleted is told of every key deleted from the cache. For a page's key,
// it makes every page of the path a miss at once: the one without a query
// string and all those with one.
func (n *near) deleted(key string) {
	path, ok := strings.CutPrefix(key, "view/")
	if n == nil || !ok {
		return
	}
	path, _, _ = strings.Cut(path, "?")
	n.mu.Lock()
	defer n.mu.Unlock()
	n.gens[path]++
}

// remove deletes an entry. The caller holds n.mu.
func (n *near) remove(el *list.Element) {
	e := n.lru.Remove(el).(*nearEntry)
	delete(n.items, e.key)
	n.size -= e.cost
}
