package web

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/echocache/scaffold/generated-example/internal/cache"
	"github.com/echocache/scaffold/generated-example/internal/memcachedtest"
	"github.com/echocache/scaffold/generated-example/internal/tasks"
)

// BenchmarkIndexCached serves the cached home page, on memcached with the
// near cache, to an anonymous visitor (its holes filled once and shared)
// and to a logged-in one (its holes filled from their session: one
// memcached round trip), one request at a time and from every GOMAXPROCS
// goroutine at once.
//
//	go test ./internal/web -run '^$' -bench IndexCached -benchmem
func BenchmarkIndexCached(b *testing.B) {
	for _, who := range []string{"anonymous", "logged in"} {
		b.Run(who, func(b *testing.B) {
			serve := benchCached(b, who == "logged in")
			for i := 0; i < b.N; i++ {
				serve(b)
			}
		})
		b.Run(who+"/parallel", func(b *testing.B) {
			serve := benchCached(b, who == "logged in")
			b.SetParallelism(16) // logged-in requests wait on memcached
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					serve(b)
				}
			})
		})
	}
}

// benchCached returns a function serving the home page from the view
// cache of a server with sessions and two tasks, on a memcached of its
// own with the near cache on, to a visitor logged in or not, with the
// page already cached and the timer reset.
func benchCached(b *testing.B, loggedIn bool) func(*testing.B) {
	b.Helper()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv := memcachedtest.Start(b)
	c, err := cache.NewMemcached(cache.MemcachedOptions{Servers: []string{srv.Addr}, NearCacheTTL: time.Hour}, logger)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close() })
	s, err := NewServer(Options{}, c, logger)
	if err != nil {
		b.Fatal(err)
	}
	s.UseSessions(testSessions(s))
	s.ServeTasks(tasks.NewMemory())
	visitor := newBrowser(b, s)
	visitor.do(http.MethodPost, "/tasks", url.Values{"title": {"one"}})
	visitor.do(http.MethodPost, "/tasks", url.Values{"title": {"two"}})
	visitor.get("/") // takes the flash message
	cookie := ""
	if loggedIn {
		visitor.do(http.MethodPost, "/session/login", url.Values{"name": {"Bench"}})
		cookie = sessionName + "=" + visitor.cookies[sessionName].Value
	}
	serve := func(b *testing.B) {
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		if cookie != "" {
			req.Header.Set("Cookie", cookie)
		}
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK || rec.Header().Get("X-Cache") != "HIT" {
			b.Errorf("status %d, X-Cache %q", rec.Code, rec.Header().Get("X-Cache"))
		}
	}
	serve(b) // fills the near cache
	b.ResetTimer()
	return serve
}
