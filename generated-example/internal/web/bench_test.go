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
	"github.com/echocache/scaffold/generated-example/internal/config"
	"github.com/echocache/scaffold/generated-example/internal/memcachedtest"
	"github.com/echocache/scaffold/generated-example/internal/tasks"
)

// BenchmarkIndexPastViewCache serves the home page to a visitor with a
// flash message, which the view cache steps aside for, with 2 and 20
// tasks, on memcached with and without the near cache: the memoized list
// plus one fragment per row. Its rows are cached, so the ratio of 20 to 2
// tasks is the cost of the rows themselves.
//
//	go test ./internal/web -run '^$' -bench . -benchmem
func BenchmarkIndexPastViewCache(b *testing.B) {
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	for _, near := range []time.Duration{0, time.Hour} {
		for _, n := range []int{2, 20} {
			b.Run("near="+strconv.FormatBool(near > 0)+"/tasks="+strconv.Itoa(n), func(b *testing.B) {
				srv := memcachedtest.Start(b) // each its own: the memoized list's key is the same
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
				s, err := NewServer(config.Config{}, c, logger)
				if err != nil {
					b.Fatal(err)
				}
				s.ServeTasks(store)
				serve := func() {
					req := httptest.NewRequest(http.MethodGet, "/", nil)
					req.Header.Set("Cookie", flashCookie+"=bench")
					rec := httptest.NewRecorder()
					s.ServeHTTP(rec, req)
					if rec.Code != http.StatusOK || rec.Header().Get("X-Cache") != "BYPASS" {
						b.Fatalf("status %d, X-Cache %q", rec.Code, rec.Header().Get("X-Cache"))
					}
				}
				serve() // store the rows and the list
				s.fragments.Wait()
				serve()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					serve()
				}
			})
		}
	}
}
