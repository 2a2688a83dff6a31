package web

import (
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/echocache/scaffold/generated-example/internal/cache"
	"github.com/echocache/scaffold/generated-example/internal/config"
	"github.com/echocache/scaffold/generated-example/internal/memcachedtest"
)

// layerRow returns the hits, misses and errors the dashboard shows for a
// layer, as a string such as "1 1 0".
func layerRow(t *testing.T, page, layer string) string {
	t.Helper()
	m := regexp.MustCompile(`<th>` + layer + `</th><td>(\d+)</td><td>(\d+)</td><td>(\d+)</td>`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("the dashboard has no row for %s:\n%s", layer, page)
	}
	return m[1] + " " + m[2] + " " + m[3]
}

// TestCacheDashboardServers: with two memcached servers, killing one shows
// on the very next request, and it shows as up again once the ring's
// probe has put it back.
func TestCacheDashboardServers(t *testing.T) {
	a, b := memcachedtest.Start(t), memcachedtest.Start(t)
	logger := slog.New(slog.NewTextHandler(&memcachedtest.LogBuffer{}, nil))
	c, err := cache.NewMemcached(cache.MemcachedOptions{
		Servers:      []string{a.Addr, b.Addr},
		RetryTimeout: 200 * time.Millisecond,
		DeadTimeout:  200 * time.Millisecond,
	}, logger)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	s := newServerWithCache(t, config.Config{MemcachedServers: []string{a.Addr, b.Addr}}, c, logger)

	up := func(page, addr string) bool {
		return strings.Contains(page, `<li class="up"><code>`+addr+`</code>: up</li>`)
	}
	page := do(s, http.MethodGet, "/cache/").Body.String()
	if !up(page, a.Addr) || !up(page, b.Addr) {
		t.Fatalf("both servers should be up:\n%s", page)
	}
	b.Stop()
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
