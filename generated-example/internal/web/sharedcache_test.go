package web

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/echocache/scaffold/generated-example/internal/cache"
	"github.com/echocache/scaffold/generated-example/internal/memcachedtest"
	"github.com/echocache/scaffold/generated-example/internal/tasks"
	"github.com/echocache/scaffold/generated-example/internal/testlog"
)

// loggedInAs is what every page's header says to a logged-in visitor.
const loggedInAs = "Logged in as <strong>demo visitor</strong>"

// newMemcachedServer returns a Server with sessions and the task list on
// a memcached Cache with the given key prefix.
func newMemcachedServer(t *testing.T, addr, prefix string) *Server {
	t.Helper()
	logger := slog.New(slog.NewTextHandler(&testlog.Buffer{}, nil))
	c, err := cache.NewMemcached(cache.MemcachedOptions{Servers: []string{addr}, KeyPrefix: prefix}, logger)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	s := newServerWithCache(t, Options{}, c, logger)
	s.UseSessions(testSessions(s))
	s.ServeTasks(tasks.NewMemory())
	return s
}

// connections returns how many connections memcached has accepted and
// refused since it started.
func connections(t *testing.T, srv *memcachedtest.Server) int {
	t.Helper()
	stats, err := srv.Stats()
	if err != nil {
		t.Fatal(err)
	}
	total, err1 := strconv.Atoi(stats["total_connections"])
	rejected, err2 := strconv.Atoi(stats["rejected_connections"])
	if err1 != nil || err2 != nil {
		t.Fatalf("stats: total_connections %q, rejected_connections %q", stats["total_connections"], stats["rejected_connections"])
	}
	return total + rejected
}

// TestDashboardFloodLeavesTheCacheAlone: 24 clients asking for /cache/
// over and over, against a memcached that takes few connections, open no
// connection to it and take nothing out of the ring: a visitor logged in
// before is still logged in after, and the home page is still served from
// the cache. The dashboard used to probe every server over a new
// connection on each request, and one refused (memcached's "Too many open
// connections") took the server out of the ring for every request.
func TestDashboardFloodLeavesTheCacheAlone(t *testing.T) {
	// memcached 1.6 keeps about 25 of its -c connections for its own
	// files: -c 32 leaves a handful for clients, as -c 24 did for the
	// report's.
	srv := memcachedtest.Start(t, "-c", "32")
	s := newMemcachedServer(t, srv.Addr, "flood:")
	alice := newBrowser(t, s)
	if rec := alice.do(http.MethodPost, "/session/login", nil); rec.Code != http.StatusSeeOther {
		t.Fatalf("log in: status %d", rec.Code)
	}
	if rec := alice.get("/"); !strings.Contains(rec.Body.String(), loggedInAs) {
		t.Fatalf("alice is not logged in before the flood:\n%s", rec.Body)
	}
	do(s, http.MethodGet, "/")
	if rec := do(s, http.MethodGet, "/"); rec.Header().Get("X-Cache") != "HIT" {
		t.Fatalf("the home page before the flood: X-Cache %q, want HIT", rec.Header().Get("X-Cache"))
	}

	before := connections(t, srv)
	const clients, requests = 24, 50
	var wg sync.WaitGroup
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range requests {
				if rec := do(s, http.MethodGet, "/cache/"); rec.Code != http.StatusOK {
					t.Errorf("/cache/: status %d", rec.Code)
					return
				}
			}
		}()
	}
	wg.Wait()
	// One of them is the stats command's own.
	if n := connections(t, srv) - before; n > 3 {
		t.Errorf("%d requests for /cache/ made memcached accept or refuse %d connections, want at most 3", clients*requests, n)
	}

	if rec := alice.get("/"); !strings.Contains(rec.Body.String(), loggedInAs) {
		t.Errorf("alice is shown as logged out after the flood:\n%s", rec.Body)
	}
	for deadline := time.Now().Add(2 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		rec := do(s, http.MethodGet, "/")
		if rec.Header().Get("X-Cache") == "HIT" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the home page after the flood: X-Cache %q, want HIT within 2s", rec.Header().Get("X-Cache"))
		}
	}
}

// TestEveryKeyHasThePrefix: after a visitor has logged in, added and
// deleted tasks, and others have read the pages, every key on memcached
// is the app's prefix, a layer's tag, the store's namespace for what the
// task list made, and a key of that layer.
func TestEveryKeyHasThePrefix(t *testing.T) {
	srv := memcachedtest.Start(t)
	s := newMemcachedServer(t, srv.Addr, "myapp:")
	alice := newBrowser(t, s)
	alice.do(http.MethodPost, "/session/login", nil)
	alice.get("/session/")
	for i := range 3 {
		alice.do(http.MethodPost, "/tasks", url.Values{"title": {fmt.Sprint("task ", i)}})
		do(s, http.MethodGet, "/")
		do(s, http.MethodGet, "/")
	}
	s.fragments.Wait()
	page := do(s, http.MethodGet, "/").Body.String()
	i := strings.Index(page, `action="/tasks/`)
	if i < 0 {
		t.Fatalf("the page has no task to delete:\n%s", page)
	}
	id, _, _ := strings.Cut(page[i+len(`action="/tasks/`):], "/")
	alice.do(http.MethodPost, "/tasks/"+id+"/delete", nil)
	do(s, http.MethodGet, "/")

	// Every layer has written: the session, the page, the tags'
	// versions, the memoized list and the rows, each key the prefix, the
	// layer's tag, the store's namespace for what came from it, and the
	// Flask-shaped rest. The crawler may miss a key read a moment ago:
	// poll for them.
	want := map[string]*regexp.Regexp{
		"session": regexp.MustCompile(`^myapp:s:session:[A-Za-z0-9_-]{43}$`),
		"page":    regexp.MustCompile(`^myapp:v:mem-[0-9a-f]{8}:[0-9a-f]{12}:view//$`),
		"tags":    regexp.MustCompile(`^myapp:t:mem-[0-9a-f]{8}:(path:/|tasks|memo:tasks\.all)$`),
		"memo":    regexp.MustCompile(`^myapp:m:mem-[0-9a-f]{8}:memo:tasks\.all:[A-Za-z0-9_-]{43}$`),
		"rows":    regexp.MustCompile(`^myapp:f:mem-[0-9a-f]{8}:[0-9a-f]{12}:_template_fragment_cache_task_[0-9]+_[0-9]+$`),
	}
	var keys, missing []string
	pageKey := ""
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		var err error
		if keys, err = srv.Keys(); err != nil {
			t.Fatal(err)
		}
		found := make(map[string]bool)
		for _, k := range keys {
			matched := false
			for layer, re := range want {
				if re.MatchString(k) {
					found[layer], matched = true, true
					if layer == "page" {
						pageKey = k
					}
				}
			}
			if !matched {
				t.Fatalf("memcached holds %q, which is not the prefix, a layer's tag and a key of that layer", k)
			}
		}
		missing = missing[:0]
		for layer := range want {
			if !found[layer] {
				missing = append(missing, layer)
			}
		}
		if len(missing) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no key of %q; memcached holds %q", missing, keys)
		}
	}
	if !strings.Contains(page, "<code>"+pageKey+"</code>") {
		t.Errorf("the page does not name its key, %s:\n%s", pageKey, page)
	}
}
