package web

import (
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/echocache/scaffold/generated-example/internal/cache"
	"github.com/echocache/scaffold/generated-example/internal/memcachedtest"
	"github.com/echocache/scaffold/generated-example/internal/testlog"
)

// TestCacheDashboardServers: with two memcached servers, killing one shows
// once an operation has failed on it, and it shows as up again once the
// ring's probe has put it back.
func TestCacheDashboardServers(t *testing.T) {
	a, b := memcachedtest.Start(t), memcachedtest.Start(t)
	logger := slog.New(slog.NewTextHandler(&testlog.Buffer{}, nil))
	c, err := cache.NewMemcached(cache.MemcachedOptions{
		Servers:      []string{a.Addr, b.Addr},
		RetryTimeout: 200 * time.Millisecond,
		DeadTimeout:  200 * time.Millisecond,
	}, logger)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	s := newServerWithCache(t, Options{}, c, logger)

	up := func(page, addr string) bool {
		return strings.Contains(page, `<li class="up"><code>`+addr+`</code>: up</li>`)
	}
	page := do(s, http.MethodGet, "/cache/").Body.String()
	if !up(page, a.Addr) || !up(page, b.Addr) {
		t.Fatalf("both servers should be up:\n%s", page)
	}
	b.Stop()
	// The page does not probe the servers: the first operations on the
	// stopped one's keys take it out.
	for i := 0; i < 100 && up(do(s, http.MethodGet, "/cache/").Body.String(), b.Addr); i++ {
		c.Get(fmt.Sprint("key ", i))
	}
	page = do(s, http.MethodGet, "/cache/").Body.String()
	if !up(page, a.Addr) || !strings.Contains(page, `<li class="down"><code>`+b.Addr+`</code>: out of the ring since`) || !strings.Contains(page, "next retry") {
		t.Fatalf("after stopping %s the page does not say it is out of the ring:\n%s", b.Addr, page)
	}
	b.Restart()
	deadline := time.Now().Add(10 * time.Second)
	for !up(do(s, http.MethodGet, "/cache/").Body.String(), b.Addr) {
		if time.Now().After(deadline) {
			t.Fatalf("%s is not back in the ring 10s after its restart", b.Addr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestCacheDashboardShowsLayersInUse: a server with no pages of its own
// uses the view cache alone, and the dashboard shows no other layer.
func TestCacheDashboardShowsLayersInUse(t *testing.T) {
	s, _ := newTestServer(t, Options{})
	page := do(s, http.MethodGet, "/cache/").Body.String()
	if !strings.Contains(page, "<th>views</th>") {
		t.Errorf("the dashboard lacks the views layer:\n%s", page)
	}
	for _, layer := range []string{"memoize", "fragments", "sessions"} {
		if strings.Contains(page, "<th>"+layer+"</th>") {
			t.Errorf("the dashboard shows the %s layer, which this server does not use:\n%s", layer, page)
		}
	}
}

// TestSections: a section is linked from every page's header, the cache
// dashboard included, and the dashboard lists the routes it caches.
func TestSections(t *testing.T) {
	s, _ := newTestServer(t, Options{})
	if page := do(s, http.MethodGet, "/cache/").Body.String(); strings.Contains(page, "Cached routes") {
		t.Errorf("a server without sections lists cached routes:\n%s", page)
	}
	s.addSection(section{Name: "Products", Path: "/products", Cached: []string{"/products", "/products/:id"}})
	s.addSection(section{Name: "Orders", Path: "/orders"})
	page := do(s, http.MethodGet, "/cache/").Body.String()
	for _, want := range []string{
		`<a href="/products">Products</a> · <a href="/orders">Orders</a>`,
		`<li><a href="/products">Products</a>: <code>/products</code> <code>/products/:id</code></li>`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the dashboard lacks %s:\n%s", want, page)
		}
	}
}
