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
// entry (the entry, its list element, map slot and a page's header map).
const nearEntryOverhead = 256

// near is the near cache: pages that Views read from or stored in
// memcached, and fragments that RenderAll read or stored, kept in this
// process's memory and served from there for at most ttl, with no round
// trip at all. A page served from memcached costs a round trip that takes
// longer than everything else the request does; the near cache answers
// the same page from memory, at the price of serving it for up to ttl
// after another instance has invalidated it.
//
// It keeps the view cache's rules because it only ever holds what Views
// stored in memcached or read back and validated from there, and Views
// consults it after deciding that the request may share a page. The
// instance that deletes a page or a fragment drops its own copies at once
// (see deleted), so a visitor always sees their own change on their next
// page.
//
// Entries belong to a group, which a delete drops as a whole: a page's
// group is its path (all its variants), and every fragment is in the group
// fragmentGroup.
//
// A nil *near is a near cache that is off: it holds nothing.
type near struct {
	ttl   time.Duration
	limit int
	now   func() time.Time

	mu    sync.Mutex
	items map[string]*list.Element // of *nearEntry, by key
	lru   *list.List               // front is the most recently used
	size  int
	gens  map[string]uint64 // by group: how many times it was dropped
}

// fragmentGroup is the group of every fragment: fragment keys name one
// version of their content, so deleting one is rare, and drops them all.
const fragmentGroup = "_template_fragment_cache_"

type nearEntry struct {
	key, group string
	gen        uint64    // the group's generation when the value was read
	value      any       // *page or []byte, shared by the requests it answers: never changed
	read       time.Time // when the value was read or rendered: it is served until read+ttl
	cost       int
}

// newNear returns a near cache serving values for ttl and holding at most
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

// gen returns group's generation. Take it before reading what will be
// put: a value read before a delete of its group is then never kept
// after it.
func (n *near) gen(group string) uint64 {
	if n == nil {
		return 0
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.gens[group]
}

// get returns the fresh value under key, or nil.
func (n *near) get(key string) any {
	if n == nil {
		return nil
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.lookup(key, n.now())
}

// fragments sets got[i] to the fresh fragment under keys[i], for those it
// holds, and returns fragmentGroup's generation, all under one lock. A page
// with a row per fragment takes the lock once, not once a row: under load
// on a few cores, a goroutine descheduled while holding the lock keeps
// every other request waiting, and twenty lookups a page made that the
// near cache's main cost.
func (n *near) fragments(keys []string, got [][]byte) uint64 {
	n.mu.Lock()
	defer n.mu.Unlock()
	now := n.now()
	for i, key := range keys {
		if data, ok := n.lookup(key, now).([]byte); ok {
			got[i] = data
		}
	}
	return n.gens[fragmentGroup]
}

// lookup returns the value under key if it is fresh at now, marking it
// used, or nil. The caller holds n.mu.
func (n *near) lookup(key string, now time.Time) any {
	el, ok := n.items[key]
	if !ok {
		return nil
	}
	e := el.Value.(*nearEntry)
	if e.gen != n.gens[e.group] || now.Sub(e.read) >= n.ttl {
		n.remove(el)
		return nil
	}
	n.lru.MoveToFront(el)
	return e.value
}

// page returns the fresh page under key, or nil.
func (n *near) page(key string) *page {
	p, _ := n.get(key).(*page)
	return p
}

// putPage keeps p, read or rendered at the time read under path's
// generation gen.
func (n *near) putPage(key, path string, gen uint64, read time.Time, p *page) {
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
	n.put(key, path, gen, read, shared, cost)
}

// put keeps value, read at the time read under group's generation gen,
// unless group was dropped since then.
func (n *near) put(key, group string, gen uint64, read time.Time, value any, cost int) {
	if n == nil || cost > n.limit {
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if gen != n.gens[group] || n.now().Sub(read) >= n.ttl {
		return
	}
	if el, ok := n.items[key]; ok {
		n.remove(el)
	}
	n.items[key] = n.lru.PushFront(&nearEntry{key: key, group: group, gen: gen, value: value, read: read, cost: cost})
	n.size += cost
	for n.size > n.limit {
		n.remove(n.lru.Back())
	}
}

// deleted is told of every key deleted from the cache. Deleting a page's
// key drops every page of its path at once (the one without a query
// string and all those with one); deleting a fragment drops every
// fragment.
func (n *near) deleted(key string) {
	group, ok := "", false
	if path, isView := strings.CutPrefix(key, "view/"); isView {
		group, _, _ = strings.Cut(path, "?")
		ok = true
	} else if strings.HasPrefix(key, fragmentGroup) {
		group, ok = fragmentGroup, true
	}
	if n == nil || !ok {
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	n.gens[group]++
}

// remove deletes an entry. The caller holds n.mu.
func (n *near) remove(el *list.Element) {
	e := n.lru.Remove(el).(*nearEntry)
	delete(n.items, e.key)
	n.size -= e.cost
}
