package cache

import (
	"container/list"
	"hash/maphash"
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
// fragmentGroup. Groups are counted by generation: a delete moves its
// group to the next one, and an entry read under an earlier generation is
// never served again. The counters are a fixed array that groups share by
// hash, so a million deleted paths cost no more memory than one: a delete
// also drops the entries of the few groups that share its counter, which
// costs them a round trip, never a stale answer.
//
// Keys and groups are the caller's, qualified by the Cache's prefix, so
// the namespaces of one process keep apart here as in memcached.
//
// A nil *near is a near cache that is off: it holds nothing.
type near struct {
	ttl   time.Duration
	limit int
	now   func() time.Time
	seed  maphash.Seed

	mu    sync.Mutex
	items map[nearKey]*list.Element // of *nearEntry
	lru   *list.List                // front is the most recently used
	size  int
	gens  [nearGenerations]uint64 // by group's hash: how many times its groups were dropped
}

// nearGenerations is the number of generation counters the groups share.
const nearGenerations = 4096

// fragmentGroup is the group of every fragment: fragment keys name one
// version of their content, so deleting one is rare, and drops them all.
const fragmentGroup = "_template_fragment_cache_"

// nearKey is a key of a Cache with the given prefix.
type nearKey struct{ prefix, key string }

type nearEntry struct {
	key   nearKey
	slot  int       // the generation counter of the entry's group
	gen   uint64    // that counter when the value was read
	value any       // *page or []byte, shared by the requests it answers: never changed
	read  time.Time // when the value was read or rendered: it is served until read+ttl
	cost  int
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
	return &near{ttl: ttl, limit: limit, now: now, seed: maphash.MakeSeed(), items: make(map[nearKey]*list.Element), lru: list.New()}
}

// slot returns the generation counter of the group of a Cache with the
// given prefix.
func (n *near) slot(prefix, group string) int {
	var h maphash.Hash
	h.SetSeed(n.seed)
	h.WriteString(prefix)
	h.WriteByte(0)
	h.WriteString(group)
	return int(h.Sum64() % nearGenerations)
}

// gen returns group's generation. Take it before reading what will be
// put: a value read before a delete of its group is then never kept
// after it.
func (n *near) gen(prefix, group string) uint64 {
	if n == nil {
		return 0
	}
	slot := n.slot(prefix, group)
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.gens[slot]
}

// get returns the fresh value under key, or nil.
func (n *near) get(prefix, key string) any {
	if n == nil {
		return nil
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.lookup(nearKey{prefix, key}, n.now())
}

// fragments sets got[i] to the fresh fragment under keys[i], for those it
// holds, and returns fragmentGroup's generation, all under one lock. A page
// with a row per fragment takes the lock once, not once a row: under load
// on a few cores, a goroutine descheduled while holding the lock keeps
// every other request waiting, and twenty lookups a page made that the
// near cache's main cost.
func (n *near) fragments(prefix string, keys []string, got [][]byte) uint64 {
	slot := n.slot(prefix, fragmentGroup)
	n.mu.Lock()
	defer n.mu.Unlock()
	now := n.now()
	for i, key := range keys {
		if data, ok := n.lookup(nearKey{prefix, key}, now).([]byte); ok {
			got[i] = data
		}
	}
	return n.gens[slot]
}

// lookup returns the value under key if it is fresh at now, marking it
// used, or nil. The caller holds n.mu.
func (n *near) lookup(key nearKey, now time.Time) any {
	el, ok := n.items[key]
	if !ok {
		return nil
	}
	e := el.Value.(*nearEntry)
	if e.gen != n.gens[e.slot] || now.Sub(e.read) >= n.ttl {
		n.remove(el)
		return nil
	}
	n.lru.MoveToFront(el)
	return e.value
}

// page returns the fresh page under key, or nil.
func (n *near) page(prefix, key string) *page {
	p, _ := n.get(prefix, key).(*page)
	return p
}

// putPage keeps p, read or rendered at the time read under path's
// generation gen.
func (n *near) putPage(prefix, key, path string, gen uint64, read time.Time, p *page) {
	if n == nil {
		return
	}
	// Requests share the page: clip its header values, so that a
	// middleware appending to one gets a copy instead of writing into
	// the shared array.
	shared := &page{version: p.version, status: p.status, header: make(http.Header, len(p.header)), body: p.body}
	cost := len(prefix) + len(key) + len(p.body) + nearEntryOverhead
	for k, v := range p.header {
		shared.header[k] = slices.Clip(v)
		for _, s := range v {
			cost += len(k) + len(s)
		}
	}
	n.put(prefix, key, path, gen, read, shared, cost)
}

// put keeps value, read at the time read under group's generation gen,
// unless group was dropped since then.
func (n *near) put(prefix, key, group string, gen uint64, read time.Time, value any, cost int) {
	if n == nil || cost > n.limit {
		return
	}
	slot := n.slot(prefix, group)
	n.mu.Lock()
	defer n.mu.Unlock()
	if gen != n.gens[slot] || n.now().Sub(read) >= n.ttl {
		return
	}
	k := nearKey{prefix, key}
	if el, ok := n.items[k]; ok {
		n.remove(el)
	}
	n.items[k] = n.lru.PushFront(&nearEntry{key: k, slot: slot, gen: gen, value: value, read: read, cost: cost})
	n.size += cost
	for n.size > n.limit {
		n.remove(n.lru.Back())
	}
}

// deleted is told of every key deleted from a Cache with the given
// prefix. Deleting a page's key drops every page of its path at once (the
// one without a query string and all those with one); deleting a fragment
// drops every fragment.
func (n *near) deleted(prefix, key string) {
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
	slot := n.slot(prefix, group)
	n.mu.Lock()
	defer n.mu.Unlock()
	n.gens[slot]++
}

// remove deletes an entry. The caller holds n.mu.
func (n *near) remove(el *list.Element) {
	e := n.lru.Remove(el).(*nearEntry)
	delete(n.items, e.key)
	n.size -= e.cost
}
