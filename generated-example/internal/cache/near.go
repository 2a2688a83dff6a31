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
// consults it after deciding that the request may share a page. It serves
// an entry only while the entry is fresh: a stale one goes back to
// memcached, where its refresh is decided. The instance that invalidates a
// tag drops its own copies of what carries it at once (see invalidated),
// so a visitor always sees their own change on their next page.
//
// Tags are counted by generation: an invalidation moves its tag to the
// next one, and an entry read under an earlier generation of any of its
// tags is never served again. The counters are a fixed array that tags
// share by hash, so a million invalidated tags cost no more memory than
// one: an invalidation also drops the entries of the few tags that share
// its counter, which costs them a round trip, never a stale answer.
//
// Keys and tags are full memcached keys (Cache.Key), so the prefixes,
// layers and namespaces of one process keep apart here as in memcached.
//
// A nil *near is a near cache that is off: it holds nothing.
type near struct {
	ttl   time.Duration
	limit int
	now   func() time.Time
	seed  maphash.Seed

	mu    sync.Mutex
	items map[string]*list.Element // of *nearEntry
	lru   *list.List               // front is the most recently used
	size  int
	gens  [nearGenerations]uint64 // by tag's hash: how many times its tags were invalidated
}

// nearGenerations is the number of generation counters the tags share.
const nearGenerations = 4096

// nearMark is the generation of one of an entry's tags when it was read.
type nearMark struct {
	slot int
	gen  uint64
}

type nearEntry struct {
	key   string
	marks []nearMark
	value any       // *page or []byte, shared by the requests it answers: never changed
	read  time.Time // when the value was read or rendered: it is served until read+ttl
	fresh int64     // the entry's fresh lifetime's end, Unix milliseconds
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
	return &near{ttl: ttl, limit: limit, now: now, seed: maphash.MakeSeed(), items: make(map[string]*list.Element), lru: list.New()}
}

// slot returns the generation counter of the tag with the full key tag.
func (n *near) slot(tag string) int {
	return int(maphash.String(n.seed, tag) % nearGenerations)
}

// marks returns the generations of key and of its tags (all full keys).
// Take them before reading what will be put: a value read before its key
// was deleted or one of its tags invalidated is then never kept after it.
func (n *near) marks(key string, tags []string) []nearMark {
	if n == nil {
		return nil
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.marksLocked(key, tags)
}

// marksLocked is marks for a caller that holds n.mu.
func (n *near) marksLocked(key string, tags []string) []nearMark {
	marks := make([]nearMark, 0, 1+len(tags))
	for _, k := range append([]string{key}, tags...) {
		slot := n.slot(k)
		marks = append(marks, nearMark{slot, n.gens[slot]})
	}
	return marks
}

// get returns the value under key if it is fresh, or nil.
func (n *near) get(key string) any {
	if n == nil {
		return nil
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.lookup(key, n.now())
}

// fragments sets got[i] to the fresh fragment under keys[i], for those it
// holds, and returns the marks of each it does not, all under one lock. A
// page with a row per fragment takes the lock once, not once a row: under
// load on a few cores, a goroutine descheduled while holding the lock
// keeps every other request waiting, and twenty lookups a page made that
// the near cache's main cost.
func (n *near) fragments(keys, tags []string, got [][]byte) [][]nearMark {
	marks := make([][]nearMark, len(keys))
	n.mu.Lock()
	defer n.mu.Unlock()
	now := n.now()
	for i, key := range keys {
		if data, ok := n.lookup(key, now).([]byte); ok {
			got[i] = data
		} else {
			marks[i] = n.marksLocked(key, tags)
		}
	}
	return marks
}

// lookup returns the value under key if it is fresh at now, marking it
// used, or nil. The caller holds n.mu.
func (n *near) lookup(key string, now time.Time) any {
	el, ok := n.items[key]
	if !ok {
		return nil
	}
	e := el.Value.(*nearEntry)
	if !n.current(e.marks) || now.Sub(e.read) >= n.ttl || now.UnixMilli() >= e.fresh {
		n.remove(el)
		return nil
	}
	n.lru.MoveToFront(el)
	return e.value
}

// current reports whether no tag of marks was invalidated since they were
// taken. The caller holds n.mu.
func (n *near) current(marks []nearMark) bool {
	for _, m := range marks {
		if n.gens[m.slot] != m.gen {
			return false
		}
	}
	return true
}

// page returns the fresh page under key, or nil.
func (n *near) page(key string) *page {
	p, _ := n.get(key).(*page)
	return p
}

// putPage keeps p, an entry fresh until fresh (Unix milliseconds), read
// or rendered at the time read under the tag generations marks.
func (n *near) putPage(key string, marks []nearMark, read time.Time, fresh int64, p *page) {
	if n == nil {
		return
	}
	// Requests share the page: clip its header values, so that a
	// middleware appending to one gets a copy instead of writing into
	// the shared array.
	shared := &page{status: p.status, header: make(http.Header, len(p.header)), body: p.body, holes: p.holes}
	cost := len(key) + len(p.body) + nearEntryOverhead
	if len(p.holes) > 0 {
		// Its holes filled for visitors who carry nothing of their own,
		// which it keeps once one is answered (see Cache.answer).
		cost += len(p.body)
	}
	for k, v := range p.header {
		shared.header[k] = slices.Clip(v)
		for _, s := range v {
			cost += len(k) + len(s)
		}
	}
	n.put(key, marks, read, fresh, shared, cost)
}

// put keeps value, read at the time read under the tag generations marks
// and fresh until fresh (Unix milliseconds), unless a tag was invalidated
// since.
func (n *near) put(key string, marks []nearMark, read time.Time, fresh int64, value any, cost int) {
	if n == nil || cost > n.limit {
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if !n.current(marks) || n.now().Sub(read) >= n.ttl {
		return
	}
	if el, ok := n.items[key]; ok {
		n.remove(el)
	}
	// The key may share its memory with other keys (see Cache.keys):
	// keep a copy of its own.
	key = strings.Clone(key)
	n.items[key] = n.lru.PushFront(&nearEntry{key: key, marks: marks, value: value, read: read, fresh: fresh, cost: cost})
	n.size += cost
	for n.size > n.limit {
		n.remove(n.lru.Back())
	}
}

// invalidated is told of every tag (its full key) invalidated in this
// process: every entry that carries it is dropped at once.
func (n *near) invalidated(tag string) {
	if n == nil {
		return
	}
	slot := n.slot(tag)
	n.mu.Lock()
	defer n.mu.Unlock()
	n.gens[slot]++
}

// deleted is told of every key (a full key) deleted in this process: its
// entry is dropped, and one read before the delete is never kept.
func (n *near) deleted(key string) {
	n.invalidated(key)
}

// remove deletes an entry. The caller holds n.mu.
func (n *near) remove(el *list.Element) {
	e := n.lru.Remove(el).(*nearEntry)
	delete(n.items, e.key)
	n.size -= e.cost
}

// usage returns how many entries the near cache holds, and their cost in
// bytes.
func (n *near) usage() (entries, bytes int) {
	if n == nil {
		return 0, 0
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	return len(n.items), n.size
}
