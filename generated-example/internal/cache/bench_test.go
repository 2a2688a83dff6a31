package cache

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

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

// BenchmarkMemoizeHit compares a memoized call that hits with a raw
// gomemcache get of the stored result, for a small result and for a list
// of 20 rows, whose JSON decoding is part of the cost.
func BenchmarkMemoizeHit(b *testing.B) {
	c, raw := benchClients(b)
	type row struct {
		ID    int64
		Title string
	}
	rows := make([]row, 20)
	for i := range rows {
		rows[i] = row{int64(i), "task number " + strconv.Itoa(i)}
	}
	small := Memoize(c, "bench-small", 0, func(_ context.Context, n int) (string, error) { return "result " + strconv.Itoa(n), nil })
	list := Memoize(c, "bench-rows", 0, func(context.Context, int) ([]row, error) { return rows, nil })
	ctx := context.Background()
	small.Call(ctx, 1)
	list.Call(ctx, 1)
	smallKey, _ := small.key(1)
	listKey, _ := list.key(1)

	b.Run("small/memoize", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, err := small.Call(ctx, 1); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("small/gomemcache", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, err := raw.Get(smallKey); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("rows20/memoize", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, err := list.Call(ctx, 1); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("rows20/gomemcache", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, err := raw.Get(listKey); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkViewHit compares a page served by Views from the cache with a
// handler that gets the same bytes with raw gomemcache and writes them:
// the least a shared page cache can do.
func BenchmarkViewHit(b *testing.B) {
	c, raw := benchClients(b)
	body := bytes.Repeat([]byte("<p>cached page</p>\n"), 100)
	mux := http.NewServeMux()
	mux.Handle("GET /{$}", c.Views(ViewOptions{})(pageOf(body)))
	mux.HandleFunc("GET /raw", func(w http.ResponseWriter, r *http.Request) {
		it, err := raw.Get("raw-page")
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		pageOf(it.Value)(w, r)
	})
	if err := raw.Set(&memcache.Item{Key: "raw-page", Value: body}); err != nil {
		b.Fatal(err)
	}
	serve := func(b *testing.B, target string) {
		req := httptest.NewRequest(http.MethodGet, target, nil)
		for i := 0; i < b.N; i++ {
			rec := httptest.NewRecorder()
			mux.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK {
				b.Fatalf("status %d", rec.Code)
			}
		}
	}
	serve(b, "/") // store the page
	b.Run("views", func(b *testing.B) { serve(b, "/") })
	b.Run("gomemcache", func(b *testing.B) { serve(b, "/raw") })
}

// BenchmarkFragments renders the 20 rows of a page whose fragments are all
// cached: with RenderAll (one multi-get), with RenderAll and a near cache
// (no round trip), with Render per row (a get per row, as {{cache}} in a
// range does), and as one raw gomemcache GetMulti of the same keys.
func BenchmarkFragments(b *testing.B) {
	c, raw := benchClients(b)
	f := NewFragments(c, FragmentOptions{})
	near := newMemcachedCache(b, MemcachedOptions{Servers: c.backend.(*memcached).opts.Servers, NearCacheTTL: time.Hour}, discard())
	nearFragments := NewFragments(near, FragmentOptions{})
	row := newEnvelope(time.Now(), Lifetimes{}, nil, bytes.Repeat([]byte("<li>a cached row of a task list</li>\n"), 8)).encode()
	keys := make([]string, 20)
	full := make([]string, 20)
	for i := range keys {
		keys[i] = f.Key("bench-row", strconv.Itoa(i), "1700000000000000")
		full[i] = f.cache.Key(keys[i])
		if err := f.cache.Set(keys[i], row, 0); err != nil {
			b.Fatal(err)
		}
	}
	miss := func(int, io.Writer) error { return errors.New("miss") }
	b.Run("renderAll", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if err := f.RenderAll(io.Discard, keys, miss); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("renderAll-near", func(b *testing.B) {
		nearFragments.RenderAll(io.Discard, keys, miss) // keep them near
		for i := 0; i < b.N; i++ {
			if err := nearFragments.RenderAll(io.Discard, keys, miss); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("render-each", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			for _, key := range keys {
				if _, err := f.Render(key, Lifetimes{}, func(io.Writer) error { return errors.New("miss") }); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	b.Run("gomemcache", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if items, err := raw.GetMulti(full); err != nil || len(items) != len(keys) {
				b.Fatalf("%d items, %v", len(items), err)
			}
		}
	})
}

// BenchmarkNearHit serves a cached page from the near cache, from
// memcached (no near cache), and from a handler writing the same
// bytes from memory: the most a page cache in the process can do.
func BenchmarkNearHit(b *testing.B) {
	srv := memcachedtest.Start(b)
	nearOpts := MemcachedOptions{Servers: []string{srv.Addr}, NearCacheTTL: time.Hour}
	withNear := newMemcachedCache(b, nearOpts, discard())
	without := newMemcachedCache(b, MemcachedOptions{Servers: []string{srv.Addr}}, discard())
	body := bytes.Repeat([]byte("<p>cached page</p>\n"), 100)
	page := pageOf(body)
	mux := http.NewServeMux()
	mux.Handle("GET /near", withNear.Views(ViewOptions{})(page))
	mux.Handle("GET /memcached", without.Views(ViewOptions{})(page))
	mux.Handle("GET /fixed", page)
	serve := func(b *testing.B, target, xcache string) {
		req := httptest.NewRequest(http.MethodGet, target, nil)
		for i := 0; i < b.N; i++ {
			rec := httptest.NewRecorder()
			mux.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK || rec.Header().Get("X-Cache") != xcache {
				b.Fatalf("status %d, X-Cache %q", rec.Code, rec.Header().Get("X-Cache"))
			}
		}
	}
	for _, target := range []string{"/near", "/memcached"} {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, target, nil)) // store the page
	}
	b.Run("near", func(b *testing.B) { serve(b, "/near", "HIT") })
	b.Run("memcached", func(b *testing.B) { serve(b, "/memcached", "HIT") })
	b.Run("fixed", func(b *testing.B) { serve(b, "/fixed", "") })
}

// pageOf is a handler that writes body as a page, as Echo's HTMLBlob does.
func pageOf(body []byte) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=UTF-8")
		w.WriteHeader(http.StatusOK)
		w.Write(body)
	}
}
