package web

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/echocache/scaffold/generated-example/internal/cache"
	"github.com/echocache/scaffold/generated-example/internal/memcachedtest"
	"github.com/echocache/scaffold/generated-example/internal/tasks"
)

// BenchmarkIndexPastViewCache serves the home page with the view layer
// off (Options.NoViews), with 2 and 20 tasks, on memcached with and
// without the near cache: the memoized list plus one fragment per row. Its rows are cached, so the ratio of 20 to 2
// tasks is the cost of the rows themselves.
//
//	go test ./internal/web -run '^$' -bench . -benchmem
func BenchmarkIndexPastViewCache(b *testing.B) {
	for _, near := range []time.Duration{0, time.Hour} {
		for _, n := range []int{2, 20} {
			b.Run("near="+strconv.FormatBool(near > 0)+"/tasks="+strconv.Itoa(n), func(b *testing.B) {
				serve := benchIndex(b, near, n)
				for i := 0; i < b.N; i++ {
					serve(b)
				}
			})
		}
	}
}

// BenchmarkIndexPastViewCacheParallel is BenchmarkIndexPastViewCache with
// the near cache, with requests served concurrently from every
// GOMAXPROCS goroutine, as under load: it shows what a request costs when
// others wait on the same locks and share the cores, which one request at
// a time, mostly waiting on memcached, does not.
func BenchmarkIndexPastViewCacheParallel(b *testing.B) {
	for _, n := range []int{2, 20} {
		b.Run("tasks="+strconv.Itoa(n), func(b *testing.B) {
			serve := benchIndex(b, time.Hour, n)
			b.SetParallelism(16) // most goroutines wait on memcached
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					serve(b)
				}
			})
		})
	}
}

// benchIndex returns a function serving the home page past the view cache
// (which is off) from a server with n tasks, on a memcached of its own (the memoized
// list's key is the same in every server), with the near cache on for
// near, its rows and list already cached, and the timer reset.
func benchIndex(b *testing.B, near time.Duration, n int) func(*testing.B) {
	b.Helper()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv := memcachedtest.Start(b)
	c, err := cache.NewMemcached(cache.MemcachedOptions{Servers: []string{srv.Addr}, NearCacheTTL: near}, logger)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close() })
	store := tasks.NewMemory()
	for i := 0; i < n; i++ {
		if _, err := store.Add(context.Background(), "Task number "+strconv.Itoa(i)); err != nil {
			b.Fatal(err)
		}
	}
	s, err := NewServer(Options{NoViews: true}, c, logger)
	if err != nil {
		b.Fatal(err)
	}
	s.ServeTasks(store)
	serve := func(b *testing.B) {
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
		if rec.Code != http.StatusOK || rec.Header().Get("X-Cache") != "" {
			b.Errorf("status %d, X-Cache %q", rec.Code, rec.Header().Get("X-Cache"))
		}
	}
	serve(b) // store the rows and the list
	s.fragments.Wait()
	serve(b)
	b.ResetTimer()
	return serve
}
