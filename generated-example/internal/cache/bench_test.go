package cache

import (
	"bytes"
	"testing"

	"github.com/bradfitz/gomemcache/memcache"

	"github.com/echocache/scaffold/generated-example/internal/memcachedtest"
)

// The benchmarks pair each Cache operation with the same raw gomemcache
// call on the same server, so the ratio of the two is the Cache's
// overhead:
//
//	go test ./internal/cache -run '^$' -bench . -count 10 | tee bench.txt
//	go run golang.org/x/perf/cmd/benchstat@latest bench.txt

var benchValue = bytes.Repeat([]byte("v"), 1024)

func benchClients(b *testing.B) (*Cache, *memcache.Client) {
	srv := memcachedtest.Start(b)
	c := newMemcachedCache(b, MemcachedOptions{Servers: []string{srv.Addr}}, discard())
	raw := memcache.New(srv.Addr)
	raw.Timeout = DefaultTimeout
	raw.MaxIdleConns = DefaultMaxIdleConns
	b.Cleanup(func() { raw.Close() })
	if err := c.Set("bench", benchValue, 0); err != nil {
		b.Fatal(err)
	}
	return c, raw
}

func BenchmarkGet(b *testing.B) {
	c, raw := benchClients(b)
	b.Run("cache", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, ok := c.Get("bench"); !ok {
				b.Fatal("miss")
			}
		}
	})
	b.Run("gomemcache", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, err := raw.Get("bench"); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkSet(b *testing.B) {
	c, raw := benchClients(b)
	b.Run("cache", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if err := c.Set("bench", benchValue, 0); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("gomemcache", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if err := raw.Set(&memcache.Item{Key: "bench", Value: benchValue}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkGetParallel(b *testing.B) {
	c, raw := benchClients(b)
	b.Run("cache", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, ok := c.Get("bench"); !ok {
					b.Error("miss")
					return
				}
			}
		})
	})
	b.Run("gomemcache", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := raw.Get("bench"); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}
