package cache

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/echocache/scaffold/generated-example/internal/memcachedtest"
)

// clock is a time that tests move by hand, shared by the caches that read
// it.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Now()} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// instances returns n Caches on one new memcached server, as n instances
// of the app, each with a near cache of nearTTL (0: none), on clk.
func instances(t *testing.T, n int, nearTTL time.Duration, clk *clock) []*Cache {
	t.Helper()
	srv := memcachedtest.Start(t)
	var out []*Cache
	for range n {
		opts := fastOptions(srv.Addr)
		opts.NearCacheTTL = nearTTL
		c := newMemcachedCache(t, opts, discard())
		c.now = clk.Now
		out = append(out, c)
	}
	return out
}

// rows is a list of items rendered as fragments, counting the renders.
func rows(t *testing.T, f *Fragments, renders *atomic.Int64) string {
	t.Helper()
	return renderRows(t, f, []item{{1, "one"}, {2, "two"}}, renders)
}

// TestTagsRetireEveryLayer: one invalidation retires the pages, memoized
// results and fragments that carry the tag, and nothing else.
func TestTagsRetireEveryLayer(t *testing.T) {
	ctx := context.Background()
	for name, c := range backends(t) {
		t.Run(name, func(t *testing.T) {
			tagged := newViewApp(c, ViewOptions{Tags: []string{"products"}}, html("list"))
			other := newViewApp(c, ViewOptions{Tags: []string{"orders"}}, html("orders"))
			fn, calls := counted(func(n int) (int, error) { return n, nil })
			memo := Memoize(c, "products.all", time.Minute, fn).Tagged("products")
			f := NewFragments(c, FragmentOptions{Lifetimes: Lifetimes{Fresh: time.Minute}}).Tagged("products")
			var renders atomic.Int64

			prime := func() {
				tagged.do("GET", "/products")
				other.do("GET", "/orders")
				memo.Call(ctx, 1)
				rows(t, f, &renders)
				f.Wait()
			}
			prime()
			prime()
			if tagged.calls.Load() != 1 || other.calls.Load() != 1 || calls.Load() != 1 || renders.Load() != 2 {
				t.Fatalf("warm: %d, %d page renders, %d calls, %d rows; want everything once", tagged.calls.Load(), other.calls.Load(), calls.Load(), renders.Load())
			}

			if err := c.InvalidateTags(ctx, "products"); err != nil {
				t.Fatal(err)
			}
			prime()
			if tagged.calls.Load() != 2 || calls.Load() != 2 || renders.Load() != 4 {
				t.Errorf("after invalidating products: %d page renders, %d calls, %d rows; want 2, 2, 4", tagged.calls.Load(), calls.Load(), renders.Load())
			}
			if other.calls.Load() != 1 {
				t.Errorf("the orders page was rendered again (%d renders): another tag's invalidation retired it", other.calls.Load())
			}
		})
	}
}

// TestTagsAcrossInstances: an invalidation on one instance retires the
// tagged page on another: at once without a near cache, and within the
// near cache's TTL with one, while the instance that invalidated sees it
// at once.
func TestTagsAcrossInstances(t *testing.T) {
	for _, nearTTL := range []time.Duration{0, time.Second} {
		t.Run(fmt.Sprint("near cache ", nearTTL), func(t *testing.T) {
			clk := newClock()
			cs := instances(t, 2, nearTTL, clk)
			var renders atomic.Int64
			page := func(w http.ResponseWriter, r *http.Request) {
				html("render "+strconv.FormatInt(renders.Add(1), 10))(w, r)
			}
			var apps []*viewApp
			for _, c := range cs {
				apps = append(apps, newViewApp(c, ViewOptions{Tags: []string{"t"}}, page))
			}
			for _, a := range apps {
				a.do("GET", "/")
				a.do("GET", "/")
			}
			if err := cs[1].InvalidateTags(context.Background(), "t"); err != nil {
				t.Fatal(err)
			}
			if rec := apps[1].do("GET", "/"); rec.Header().Get("X-Cache") != "MISS" || rec.Body.String() != "render 2" {
				t.Errorf("the instance that invalidated: X-Cache %q, %q; want MISS, a new render", rec.Header().Get("X-Cache"), rec.Body)
			}
			want := "render 2"
			if nearTTL > 0 {
				want = "render 1"
			}
			if got := apps[0].do("GET", "/").Body.String(); got != want {
				t.Errorf("the other instance at once: %q, want %q", got, want)
			}
			clk.Add(nearTTL)
			if got := apps[0].do("GET", "/").Body.String(); got != "render 2" {
				t.Errorf("the other instance after the near-cache TTL: %q, want the new render", got)
			}
		})
	}
}

// TestLostTagVersionNeverRevives: when memcached loses a tag's version
// (an eviction), the entries made under it are never current again.
func TestLostTagVersionNeverRevives(t *testing.T) {
	for name, c := range backends(t) {
		t.Run(name, func(t *testing.T) {
			value := 1
			fn, calls := counted(func(int) (int, error) { return value, nil })
			m := Memoize(c, "lost", time.Minute, fn).Tagged("lost-tag")
			m.Call(context.Background(), 0)
			for _, key := range m.tagKeys {
				c.backend.delete(key)
			}
			value = 2
			if got, _ := m.Call(context.Background(), 0); got != 2 {
				t.Errorf("after the versions were lost: %d, want the new result 2", got)
			}
			if got, _ := m.Call(context.Background(), 0); got != 2 || calls.Load() != 2 {
				t.Errorf("then %d after %d calls, want 2 from the cache", got, calls.Load())
			}
		})
	}
}

// TestStaleWhileRevalidate: two instances find a page past its fresh
// lifetime, within its stale window, under a burst of requests: every
// request is answered at once with the stale page, and one refresh, on
// one instance, renders it again.
func TestStaleWhileRevalidate(t *testing.T) {
	clk := newClock()
	cs := instances(t, 2, 0, clk)
	release := make(chan struct{})
	var renders atomic.Int64
	handler := func(w http.ResponseWriter, r *http.Request) {
		n := renders.Add(1)
		if refreshing(r) {
			<-release // every request below is answered before the refresh ends
		}
		html("render "+strconv.FormatInt(n, 10))(w, r)
	}
	opts := ViewOptions{Lifetimes: Lifetimes{Fresh: time.Minute, Stale: time.Hour}}
	apps := []*viewApp{newViewApp(cs[0], opts, handler), newViewApp(cs[1], opts, handler)}
	apps[0].do("GET", "/")

	clk.Add(2 * time.Minute)
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			rec := apps[i%2].do("GET", "/")
			if rec.Code != http.StatusOK || rec.Header().Get("X-Cache") != "HIT" || rec.Body.String() != "render 1" {
				t.Errorf("a request for the stale page: %d, X-Cache %q, %q; want the stale page at once", rec.Code, rec.Header().Get("X-Cache"), rec.Body)
			}
		})
	}
	wg.Wait()
	close(release)
	for _, c := range cs {
		c.WaitRefreshes()
	}
	refreshes, stale := uint64(0), uint64(0)
	for _, c := range cs {
		st := c.Stats().Layers[LayerViews]
		refreshes += st.Refreshes
		stale += st.Stale
	}
	if renders.Load() != 2 || refreshes != 1 || stale != 20 {
		t.Errorf("%d renders, %d refreshes, %d stale answers; want 2 (one refresh), 1, 20", renders.Load(), refreshes, stale)
	}
	if rec := apps[1].do("GET", "/"); rec.Header().Get("X-Cache") != "HIT" || rec.Body.String() != "render 2" {
		t.Errorf("after the refresh: X-Cache %q, %q; want the refreshed page", rec.Header().Get("X-Cache"), rec.Body)
	}
}

// TestMemoStaleWhileRevalidate: a memoized result past its fresh lifetime
// is returned at once while one call, on one of two instances, computes a
// fresh one.
func TestMemoStaleWhileRevalidate(t *testing.T) {
	clk := newClock()
	cs := instances(t, 2, 0, clk)
	release := make(chan struct{})
	var calls atomic.Int64
	fn := func(ctx context.Context, _ int) (string, error) {
		n := calls.Add(1)
		if n > 1 {
			<-release
		}
		return "result " + strconv.FormatInt(n, 10), nil
	}
	life := Lifetimes{Fresh: time.Minute, Stale: time.Hour}
	memos := []*Memo[int, string]{MemoizeFor(cs[0], "swr", life, fn), MemoizeFor(cs[1], "swr", life, fn)}
	memos[0].Call(context.Background(), 1)
	clk.Add(2 * time.Minute)
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			if got, err := memos[i%2].Call(context.Background(), 1); got != "result 1" || err != nil {
				t.Errorf("a call for the stale result: %q, %v; want the stale result at once", got, err)
			}
		})
	}
	wg.Wait()
	close(release)
	for _, c := range cs {
		c.WaitRefreshes()
	}
	if calls.Load() != 2 {
		t.Errorf("%d calls, want 2: one refresh", calls.Load())
	}
	if got, _ := memos[1].Call(context.Background(), 1); got != "result 2" {
		t.Errorf("after the refresh: %q, want the refreshed result", got)
	}
}

// TestStaleIfError: when rendering a fresh page fails, a page within its
// grace window is served instead, marked STALE and counted; past the
// grace window the failure stands; and the page is fresh again once
// rendering works.
func TestStaleIfError(t *testing.T) {
	for name, c := range backends(t) {
		t.Run(name, func(t *testing.T) {
			clk := newClock()
			c.now = clk.Now
			var failing atomic.Bool
			var renders atomic.Int64
			a := newViewApp(c, ViewOptions{Lifetimes: Lifetimes{Fresh: time.Minute, Grace: time.Hour}}, func(w http.ResponseWriter, r *http.Request) {
				n := renders.Add(1)
				if failing.Load() {
					text(http.StatusServiceUnavailable, "database down")(w, r)
					return
				}
				html("render "+strconv.FormatInt(n, 10))(w, r)
			})
			a.do("GET", "/sie")

			clk.Add(2 * time.Minute)
			failing.Store(true)
			for range 2 {
				rec := a.do("GET", "/sie")
				if rec.Code != http.StatusOK || rec.Header().Get("X-Cache") != "STALE" || rec.Body.String() != "render 1" {
					t.Errorf("with rendering failing in the grace window: %d, X-Cache %q, %q; want the stale page", rec.Code, rec.Header().Get("X-Cache"), rec.Body)
				}
			}
			if st := c.Stats().Layers[LayerViews]; st.Rescued != 2 {
				t.Errorf("%d rescued answers counted, want 2", st.Rescued)
			}

			clk.Add(2 * time.Hour)
			if rec := a.do("GET", "/sie"); rec.Code != http.StatusServiceUnavailable || rec.Body.String() != "database down" {
				t.Errorf("past the grace window: %d %q, want the failure", rec.Code, rec.Body)
			}

			failing.Store(false)
			if rec := a.do("GET", "/sie"); rec.Code != http.StatusOK || rec.Header().Get("X-Cache") != "MISS" {
				t.Errorf("once rendering works: %d, X-Cache %q; want a fresh page", rec.Code, rec.Header().Get("X-Cache"))
			}
			if rec := a.do("GET", "/sie"); rec.Header().Get("X-Cache") != "HIT" {
				t.Errorf("then: X-Cache %q, want HIT", rec.Header().Get("X-Cache"))
			}
		})
	}
}

// TestStaleIfErrorRenderFailed: a failure marked with RenderFailed (an
// Echo handler's error, written later by the framework) is answered with
// the stale page too, and Rescued tells the framework not to answer.
func TestStaleIfErrorRenderFailed(t *testing.T) {
	c := NewMemory(0, discard())
	clk := newClock()
	c.now = clk.Now
	var failing atomic.Bool
	var rescued atomic.Bool
	views := c.Views(ViewOptions{Lifetimes: Lifetimes{Fresh: time.Minute, Grace: time.Hour}})
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var seen *http.Request
		views(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			seen = r
			if failing.Load() {
				RenderFailed(r)
				return
			}
			html("ok")(w, r)
		})).ServeHTTP(w, r)
		rescued.Store(seen != nil && Rescued(seen))
	})
	serve := func() *http.Response {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/rf", nil))
		return rec.Result()
	}
	serve()
	clk.Add(2 * time.Minute)
	failing.Store(true)
	res := serve()
	body, _ := io.ReadAll(res.Body)
	if res.Header.Get("X-Cache") != "STALE" || string(body) != "ok" || !rescued.Load() {
		t.Errorf("a failure marked RenderFailed: X-Cache %q, %q, rescued %t; want the stale page, rescued", res.Header.Get("X-Cache"), body, rescued.Load())
	}
}

// TestMemoStaleIfError: a memoized function that fails returns, within
// the grace window, the result it would have replaced; a page that Views
// renders with it is marked STALE and not stored.
func TestMemoStaleIfError(t *testing.T) {
	for name, c := range backends(t) {
		t.Run(name, func(t *testing.T) {
			clk := newClock()
			c.now = clk.Now
			var failing atomic.Bool
			life := Lifetimes{Fresh: time.Minute, Grace: time.Hour}
			list := MemoizeFor(c, "list", life, func(context.Context, int) (string, error) {
				if failing.Load() {
					return "", errors.New("database down")
				}
				return "the list", nil
			})
			a := newViewApp(c, ViewOptions{Lifetimes: life}, func(w http.ResponseWriter, r *http.Request) {
				got, err := list.Call(r.Context(), 1)
				if err != nil {
					text(http.StatusServiceUnavailable, err.Error())(w, r)
					return
				}
				html(got)(w, r)
			})
			a.do("GET", "/memo-sie")
			clk.Add(2 * time.Minute)
			failing.Store(true)
			if got, err := list.Call(context.Background(), 1); got != "the list" || err != nil {
				t.Errorf("a failing call in the grace window: %q, %v; want the stale result", got, err)
			}
			// The page's own stale copy is a rescue too; drop it, so that
			// the page is made from the memoized result alone.
			c.InLayer(LayerViews).Delete("view//memo-sie")
			for range 2 {
				rec := a.do("GET", "/memo-sie")
				if rec.Code != http.StatusOK || rec.Header().Get("X-Cache") != "STALE" || rec.Body.String() != "the list" {
					t.Errorf("a page made from a stale result: %d, X-Cache %q, %q; want it marked STALE", rec.Code, rec.Header().Get("X-Cache"), rec.Body)
				}
			}
			if n := a.calls.Load(); n != 3 {
				t.Errorf("the page was rendered %d times, want 3: a page made from stale data is not stored", n)
			}
			clk.Add(2 * time.Hour)
			if _, err := list.Call(context.Background(), 1); err == nil || !strings.Contains(err.Error(), "database down") {
				t.Errorf("past the grace window: %v, want the failure", err)
			}
		})
	}
}

// TestFragmentsStaleWhileRevalidate: a fragment past its fresh lifetime
// is served as it is, and a fresh one stored for the next page.
func TestFragmentsStaleWhileRevalidate(t *testing.T) {
	c := NewMemory(0, discard())
	clk := newClock()
	c.now = clk.Now
	f := NewFragments(c, FragmentOptions{Lifetimes: Lifetimes{Fresh: time.Minute, Stale: time.Hour}})
	items := []item{{1, "one"}}
	var renders atomic.Int64
	renderRows(t, f, items, &renders)
	f.Wait()
	clk.Add(2 * time.Minute)
	items[0].Name = "uno"
	if got := renderRows(t, f, items, &renders); got != "<li>one</li>" {
		t.Errorf("a stale fragment: %q, want it served as it is", got)
	}
	f.Wait()
	if got := renderRows(t, f, items, &renders); got != "<li>uno</li>" || renders.Load() != 2 {
		t.Errorf("then: %q after %d renders, want the fresh copy made in the background", got, renders.Load())
	}
}
