package cache

import (
	"math"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/echocache/scaffold/generated-example/internal/memcachedtest"
)

// nearPair returns two Caches on one memcached server, as two instances
// of the app: the first with a near cache of ttl on a clock the test
// moves, the second without one.
func nearPair(t *testing.T, ttl time.Duration) (c, other *Cache, clock *time.Time) {
	t.Helper()
	srv := memcachedtest.Start(t)
	opts := fastOptions(srv.Addr)
	opts.NearCacheTTL = ttl
	c = newMemcachedCache(t, opts, discard())
	now := time.Now()
	c.now = func() time.Time { return now }
	return c, newMemcachedCache(t, fastOptions(srv.Addr), discard()), &now
}

// counter is a page that says how many times it was rendered.
func counter(n *atomic.Int64) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		html("<p>render "+strconv.FormatInt(n.Add(1), 10)+"</p>")(w, r)
	}
}

func TestNearCache(t *testing.T) {
	c, other, clock := nearPair(t, time.Second)
	trips := countTrips(c)
	var renders atomic.Int64
	a := newViewApp(c, ViewOptions{Query: []string{"q"}}, counter(&renders))

	first := a.do("GET", "/near")
	trips.gets.Store(0)
	for i := 0; i < 5; i++ {
		hit := a.do("GET", "/near")
		if hit.Header().Get("X-Cache") != "HIT" || hit.Body.String() != first.Body.String() || hit.Header().Get("Content-Type") != first.Header().Get("Content-Type") {
			t.Fatalf("hit %d: %q %q %q, want HIT with the first page %q", i, hit.Header().Get("X-Cache"), hit.Header().Get("Content-Type"), hit.Body, first.Body)
		}
	}
	if n := trips.gets.Load(); n != 0 {
		t.Errorf("5 hits read memcached %d times, want 0", n)
	}
	if head := a.do("HEAD", "/near"); head.Header().Get("X-Cache") != "HIT" || head.Body.Len() != 0 {
		t.Errorf("HEAD: %q with %d bytes, want HIT without a body", head.Header().Get("X-Cache"), head.Body.Len())
	}

	// Another instance invalidates the page: this one serves its copy
	// until the near-cache TTL ends, then renders the page again.
	if err := other.DeleteView("/near"); err != nil {
		t.Fatal(err)
	}
	*clock = clock.Add(999 * time.Millisecond)
	if got := a.do("GET", "/near").Body.String(); got != first.Body.String() {
		t.Errorf("within the TTL: %q, want the near copy %q", got, first.Body)
	}
	*clock = clock.Add(time.Millisecond)
	if got := a.do("GET", "/near"); got.Header().Get("X-Cache") != "MISS" || got.Body.String() != "<p>render 2</p>" {
		t.Errorf("after the TTL: %q %q, want a MISS rendering it again", got.Header().Get("X-Cache"), got.Body)
	}

	// Read back from memcached after the TTL: kept near again.
	*clock = clock.Add(time.Second)
	a.do("GET", "/near")
	trips.gets.Store(0)
	if got := a.do("GET", "/near"); got.Header().Get("X-Cache") != "HIT" || trips.gets.Load() != 0 {
		t.Errorf("after a memcached hit: %q with %d reads, want a near HIT", got.Header().Get("X-Cache"), trips.gets.Load())
	}

	// This instance's own invalidation shows at once, for every variant.
	a.do("GET", "/near?q=1")
	a.do("GET", "/near?q=1")
	before := renders.Load()
	if err := c.DeleteView("/near"); err != nil {
		t.Fatal(err)
	}
	for _, target := range []string{"/near", "/near?q=1"} {
		if got := a.do("GET", target).Header().Get("X-Cache"); got != "MISS" {
			t.Errorf("GET %s right after this instance's DeleteView: %q, want MISS", target, got)
		}
	}
	if n := renders.Load() - before; n != 2 {
		t.Errorf("%d renders after DeleteView, want 2", n)
	}

	// So does a delete of the page's key in the view layer.
	a.do("GET", "/near")
	if err := c.InLayer(LayerViews).Delete("view//near"); err != nil {
		t.Fatal(err)
	}
	if got := a.do("GET", "/near").Header().Get("X-Cache"); got != "MISS" {
		t.Errorf("right after deleting view//near: %q, want MISS", got)
	}
}

// TestNearCacheKeepsTheViewRules: what the shared cache would not store or
// serve, the near cache does not either.
func TestNearCacheKeepsTheViewRules(t *testing.T) {
	c, _, _ := nearPair(t, time.Minute)
	var renders atomic.Int64
	a := newViewApp(c, ViewOptions{}, counter(&renders))
	a.do("GET", "/rules")

	personal := httptest.NewRequest("GET", "/rules", nil)
	MarkPersonal(personal)
	rec := httptest.NewRecorder()
	a.h.ServeHTTP(rec, personal)
	if got := rec; got.Header().Get("X-Cache") != "BYPASS" || got.Body.String() == "<p>render 1</p>" {
		t.Errorf("personal request: %q %q, want BYPASS and a page of its own", got.Header().Get("X-Cache"), got.Body)
	}

	cookie := newViewApp(c, ViewOptions{}, func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "c", Value: "v"})
		html("mine")(w, r)
	})
	cookie.do("GET", "/cookie")
	cookie.do("GET", "/cookie")
	if n := cookie.calls.Load(); n != 2 {
		t.Errorf("a page that sets a cookie was served %d times from a cache, want 0", 2-n)
	}

	unless := newViewApp(c, ViewOptions{Unless: func(*http.Request) bool { return true }}, html("own"))
	unless.do("GET", "/rules")
	if unless.calls.Load() != 1 {
		t.Error("Unless did not bypass the near cache")
	}
}

func TestNearCacheOff(t *testing.T) {
	c, _, _ := nearPair(t, 0)
	if c.near != nil {
		t.Fatal("NearCacheTTL 0: the near cache is on")
	}
	trips := countTrips(c)
	a := newViewApp(c, ViewOptions{}, html("x"))
	a.do("GET", "/off")
	trips.gets.Store(0)
	if got := a.do("GET", "/off").Header().Get("X-Cache"); got != "HIT" || trips.gets.Load() != 1 {
		t.Errorf("without a near cache: %q with %d reads, want a HIT from memcached", got, trips.gets.Load())
	}
}

// TestNearCacheKeepsNoPageReadBeforeADelete: a page read from memcached
// just before this instance invalidated its tag, or deleted its key, is
// not kept afterwards.
func TestNearCacheKeepsNoPageReadBeforeADelete(t *testing.T) {
	now := time.Now()
	n := newNear(time.Second, 0, func() time.Time { return now })
	p := &page{status: http.StatusOK, header: http.Header{}, body: []byte("old")}
	for _, drop := range []string{"t:path:/x", "v:view//x"} {
		marks := n.marks("v:view//x", []string{"t:path:/x"})
		n.invalidated(drop)
		n.putPage("v:view//x", marks, now, math.MaxInt64, p)
		if got := n.page("v:view//x"); got != nil {
			t.Errorf("kept a page read before %s was dropped: %q", drop, got.body)
		}
		n.putPage("v:view//x", n.marks("v:view//x", []string{"t:path:/x"}), now, math.MaxInt64, p)
		if got := n.page("v:view//x"); got == nil {
			t.Errorf("a page read after %s was dropped was not kept", drop)
		}
		n.invalidated(drop)
		if got := n.page("v:view//x"); got != nil {
			t.Errorf("served after %s was dropped", drop)
		}
	}
	n.putPage("v:view//x", n.marks("v:view//x", nil), now, now.UnixMilli(), p)
	if got := n.page("v:view//x"); got != nil {
		t.Error("served a page past its fresh lifetime")
	}
}

// TestNearCacheGenerationsAreBounded: invalidating a million different
// tags leaves the near cache's bookkeeping the size it was (it grew by an
// entry a path, 16 MB to 92 MB of heap), and a page read before its tag
// was invalidated is still never kept or served after, whatever was
// invalidated between.
func TestNearCacheGenerationsAreBounded(t *testing.T) {
	now := time.Now()
	n := newNear(time.Minute, 0, func() time.Time { return now })
	p := &page{status: http.StatusOK, header: http.Header{}, body: []byte("old")}
	const paths = 1_000_000
	for i := 0; i < paths; i++ {
		n.invalidated("t:path:/gone/" + strconv.Itoa(i))
	}
	if got := len(n.gens); got > nearGenerations {
		t.Errorf("after invalidating %d tags the near cache tracks %d generations, want at most %d", paths, got, nearGenerations)
	}

	// Keep a page for each of many paths, invalidate each path's tag, and
	// check that none of them is served; and that a page read before an
	// invalidation, and offered after it, is not kept.
	const kept = 5000
	for i := 0; i < kept; i++ {
		path := "/kept/" + strconv.Itoa(i)
		key, tags := "v:view/"+path, []string{"t:" + PathTag(path)}
		n.putPage(key, n.marks(key, tags), now, math.MaxInt64, p)
	}
	for i := 0; i < kept; i++ {
		path := "/kept/" + strconv.Itoa(i)
		key, tags := "v:view/"+path, []string{"t:" + PathTag(path)}
		marks := n.marks(key, tags)
		n.invalidated(tags[0])
		if got := n.page(key); got != nil {
			t.Fatalf("%s: served after its invalidation", path)
		}
		n.putPage(key, marks, now, math.MaxInt64, p)
		if got := n.page(key); got != nil {
			t.Fatalf("%s: kept a page read before its invalidation", path)
		}
	}
}

// TestNearCacheKeepsPrefixesApart: two Caches with different prefixes in
// one process (an app's Cache and a namespace of it) never answer each
// other's keys from the near cache, and a delete drops only its own.
func TestNearCacheKeepsPrefixesApart(t *testing.T) {
	now := time.Now()
	n := newNear(time.Minute, 0, func() time.Time { return now })
	mine := &page{status: http.StatusOK, header: http.Header{}, body: []byte("mine")}
	theirs := &page{status: http.StatusOK, header: http.Header{}, body: []byte("theirs")}
	n.putPage("a:v:view//", n.marks("a:v:view//", nil), now, math.MaxInt64, mine)
	if got := n.page("b:v:view//"); got != nil {
		t.Fatalf("prefix b: got prefix a:'s page %q", got.body)
	}
	n.putPage("b:v:view//", n.marks("b:v:view//", nil), now, math.MaxInt64, theirs)
	if got := n.page("a:v:view//"); got == nil || string(got.body) != "mine" {
		t.Fatalf("prefix a: got %v, want its own page", got)
	}
}

func TestNearCacheIsBounded(t *testing.T) {
	now := time.Now()
	limit := 10 * (1000 + nearEntryOverhead + 20)
	n := newNear(time.Minute, limit, func() time.Time { return now })
	body := []byte(strings.Repeat("b", 1000))
	for i := 0; i < 100; i++ {
		path := "/p" + strconv.Itoa(i)
		n.putPage("view/"+path, n.marks("view/"+path, nil), now, math.MaxInt64, &page{status: http.StatusOK, header: http.Header{}, body: body})
		if n.size > limit {
			t.Fatalf("after %d pages: %d bytes, limit %d", i+1, n.size, limit)
		}
	}
	if n.page("view//p99") == nil {
		t.Error("the newest page was evicted")
	}
	if n.page("view//p0") != nil {
		t.Error("the oldest page was kept past the limit")
	}
	n.putPage("view//huge", n.marks("view//huge", nil), now, math.MaxInt64, &page{status: http.StatusOK, header: http.Header{}, body: make([]byte, limit)})
	if n.page("view//huge") != nil {
		t.Error("a page larger than the whole near cache was kept")
	}
}

// TestNearCacheFragments: with a near cache, RenderAll reads memcached
// only for rows it does not hold, another instance's delete shows within
// the TTL, and this instance's own at once.
func TestNearCacheFragments(t *testing.T) {
	c, other, clock := nearPair(t, time.Second)
	trips := countTrips(c)
	f := NewFragments(c, FragmentOptions{Lifetimes: Lifetimes{Fresh: time.Minute}})
	items := []item{{1, "one"}, {2, "two"}, {3, "three"}}
	var renders atomic.Int64
	renderRows(t, f, items, &renders)
	f.Wait()
	renderRows(t, f, items, &renders) // read from memcached, kept near
	trips.gets.Store(0)
	if got := renderRows(t, f, items, &renders); got != "<li>one</li><li>two</li><li>three</li>" || trips.gets.Load() != 0 || renders.Load() != 3 {
		t.Errorf("near hit: %q with %d reads, %d renders; want the rows with 0 reads, 3 renders", got, trips.gets.Load(), renders.Load())
	}

	other.InLayer(LayerFragments).Delete(f.Key("row", "2"))
	items[1].Name = "deux"
	if got := renderRows(t, f, items, &renders); !strings.Contains(got, "<li>two</li>") {
		t.Errorf("within the TTL of another instance's delete: %q, want the near copy", got)
	}
	*clock = clock.Add(time.Second)
	if got := renderRows(t, f, items, &renders); !strings.Contains(got, "<li>deux</li>") {
		t.Errorf("after the TTL: %q, want row 2 rendered again", got)
	}
	f.Wait()

	f.cache.Delete(f.Key("row", "3"))
	items[2].Name = "trois"
	if got := renderRows(t, f, items, &renders); !strings.Contains(got, "<li>trois</li>") {
		t.Errorf("right after this instance's delete: %q, want row 3 rendered again", got)
	}
}
