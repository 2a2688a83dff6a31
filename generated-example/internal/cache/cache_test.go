package cache

import (
	"bytes"
	"errors"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bradfitz/gomemcache/memcache"

	"github.com/echocache/scaffold/generated-example/internal/memcachedtest"
	"github.com/echocache/scaffold/generated-example/internal/testlog"
)

// TestOperations runs one table of cases against both backends: the
// in-memory cache must behave like memcached.
func TestOperations(t *testing.T) {
	long300a := strings.Repeat("k", 299) + "a"
	long300b := strings.Repeat("k", 299) + "b"
	// Every case uses its own keys, so cases run in parallel on one server.
	tests := []backendCase{
		{"get missing", func(t *testing.T, c *Cache) {
			if v, ok := c.Get("missing"); ok {
				t.Errorf("got %q, want a miss", v)
			}
		}},
		{"set then get", func(t *testing.T, c *Cache) {
			mustSet(t, c, "k", "v", 0)
			wantValue(t, c, "k", "v")
			mustSet(t, c, "k", "v2", time.Minute)
			wantValue(t, c, "k", "v2")
		}},
		{"empty value is a hit", func(t *testing.T, c *Cache) {
			mustSet(t, c, "empty", "", 0)
			wantValue(t, c, "empty", "")
		}},
		{"add", func(t *testing.T, c *Cache) {
			if ok, err := c.Add("a", []byte("1"), 0); !ok || err != nil {
				t.Errorf("first add: got %v, %v, want true, nil", ok, err)
			}
			if ok, err := c.Add("a", []byte("2"), 0); ok || err != nil {
				t.Errorf("second add: got %v, %v, want false, nil", ok, err)
			}
			wantValue(t, c, "a", "1")
		}},
		{"delete", func(t *testing.T, c *Cache) {
			mustSet(t, c, "d", "v", 0)
			if err := c.Delete("d"); err != nil {
				t.Errorf("delete: %v", err)
			}
			wantMiss(t, c, "d")
			if err := c.Delete("d"); err != nil {
				t.Errorf("deleting a missing key: got %v, want nil", err)
			}
		}},
		{"get multi", func(t *testing.T, c *Cache) {
			mustSet(t, c, "m1", "one", 0)
			mustSet(t, c, "m 2", "two", 0)
			got := c.GetMulti([]string{"m1", "m 2", "m3"})
			if len(got) != 2 || string(got["m1"]) != "one" || string(got["m 2"]) != "two" {
				t.Errorf("got %q, want m1=one and \"m 2\"=two only", got)
			}
		}},
		{"increment creates, then adds", func(t *testing.T, c *Cache) {
			for i, want := range []uint64{5, 10, 15} {
				n, err := c.Increment("counter", 5, time.Minute)
				if err != nil || n != want {
					t.Errorf("increment %d: got %d, %v, want %d", i, n, err, want)
				}
			}
			wantValue(t, c, "counter", "15")
		}},
		{"increment is atomic", func(t *testing.T, c *Cache) {
			var wg sync.WaitGroup
			for g := 0; g < 20; g++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := 0; i < 25; i++ {
						if _, err := c.Increment("hits", 1, 0); err != nil {
							t.Errorf("increment: %v", err)
						}
					}
				}()
			}
			wg.Wait()
			wantValue(t, c, "hits", "500")
		}},
		{"increment a non-number", func(t *testing.T, c *Cache) {
			mustSet(t, c, "word", "abc", 0)
			if _, err := c.Increment("word", 1, 0); !errors.Is(err, ErrNotNumber) {
				t.Errorf("got %v, want ErrNotNumber", err)
			}
		}},
		// memcached counts whole seconds: an item set for one second may
		// expire at the next tick, at once, so these set two.
		{"touch", func(t *testing.T, c *Cache) {
			mustSet(t, c, "t", "v", 2*time.Second)
			if ok, err := c.Touch("t", time.Hour); !ok || err != nil {
				t.Errorf("touch present: got %v, %v, want true, nil", ok, err)
			}
			if ok, err := c.Touch("nope", time.Hour); ok || err != nil {
				t.Errorf("touch missing: got %v, %v, want false, nil", ok, err)
			}
			time.Sleep(3100 * time.Millisecond)
			wantValue(t, c, "t", "v")
		}},
		{"ttl expires", func(t *testing.T, c *Cache) {
			mustSet(t, c, "short", "v", 2*time.Second)
			wantValue(t, c, "short", "v")
			time.Sleep(3100 * time.Millisecond)
			wantMiss(t, c, "short")
		}},
		{"negative ttl stores nothing", func(t *testing.T, c *Cache) {
			mustSet(t, c, "gone", "v", -time.Second)
			wantMiss(t, c, "gone")
		}},
		{"ttl of exactly 30 days", func(t *testing.T, c *Cache) {
			mustSet(t, c, "30d", "v", 2592000*time.Second)
			wantValue(t, c, "30d", "v")
		}},
		{"ttl over 30 days is sent as a date", func(t *testing.T, c *Cache) {
			// Sent as the number 2592001, memcached would read 1970 and
			// expire the item at once.
			mustSet(t, c, "30d+1s", "v", 2592001*time.Second)
			wantValue(t, c, "30d+1s", "v")
			mustSet(t, c, "31d", "v", 31*24*time.Hour)
			wantValue(t, c, "31d", "v")
		}},
		{"300-byte keys", func(t *testing.T, c *Cache) {
			mustSet(t, c, long300a, "a", 0)
			mustSet(t, c, long300b, "b", 0)
			wantValue(t, c, long300a, "a")
			wantValue(t, c, long300b, "b")
		}},
		{"keys with spaces, newlines and control characters", func(t *testing.T, c *Cache) {
			keys := []string{"a key", "a\nkey", "a\r\nkey", "tab\tkey", "nul\x00key", "", "#"}
			for i, k := range keys {
				mustSet(t, c, k, string(rune('A'+i)), 0)
			}
			for i, k := range keys {
				wantValue(t, c, k, string(rune('A'+i)))
			}
		}},
		{"2 MB value is refused", func(t *testing.T, c *Cache) {
			if err := c.Set("big", make([]byte, 2<<20), 0); !errors.Is(err, ErrTooLarge) {
				t.Errorf("set: got %v, want ErrTooLarge", err)
			}
			if _, err := c.Add("big", make([]byte, 2<<20), 0); !errors.Is(err, ErrTooLarge) {
				t.Errorf("add: got %v, want ErrTooLarge", err)
			}
			wantMiss(t, c, "big")
		}},
		{"largest value for its key", func(t *testing.T, c *Cache) {
			// The example: 1,048,566 bytes under a short key passed
			// the old key+value guard and then failed on the server.
			for _, key := range []string{"b", strings.Repeat("b", MaxKeyLength)} {
				fits := MaxItemSize - ItemOverhead - len(key)
				v := bytes.Repeat([]byte("x"), fits)
				if err := c.Set(key, v, 0); err != nil {
					t.Fatalf("set %d bytes under a %d-byte key: %v", fits, len(key), err)
				}
				if got, ok := c.Get(key); !ok || len(got) != fits {
					t.Errorf("got %d bytes (hit %v), want %d", len(got), ok, fits)
				}
				if err := c.Set(key, append(v, 'x'), 0); !errors.Is(err, ErrTooLarge) {
					t.Errorf("set %d bytes under a %d-byte key: got %v, want ErrTooLarge", fits+1, len(key), err)
				}
			}
			if err := c.Set("b2", make([]byte, 1_048_566), 0); !errors.Is(err, ErrTooLarge) {
				t.Errorf("set 1048566 bytes: got %v, want ErrTooLarge", err)
			}
		}},
		{"ttl past 2038 is kept", func(t *testing.T, c *Cache) {
			mustSet(t, c, "far", "v", 105120*time.Hour)
			wantValue(t, c, "far", "v")
			if ok, err := c.Touch("far", 200*365*24*time.Hour); !ok || err != nil {
				t.Errorf("touch: got %v, %v, want true, nil", ok, err)
			}
			wantValue(t, c, "far", "v")
		}},
		{"value near the limit", func(t *testing.T, c *Cache) {
			v := bytes.Repeat([]byte("x"), 1000*1000)
			if err := c.Set("large", v, 0); err != nil {
				t.Fatalf("set 1 MB: %v", err)
			}
			got, ok := c.Get("large")
			if !ok || !bytes.Equal(got, v) {
				t.Errorf("got %d bytes (hit %v), want %d", len(got), ok, len(v))
			}
		}},
	}
	onBackends(t, tests)
}

// TestCounters runs apart from TestOperations, whose parallel cases would
// move the counters it checks.
func TestCounters(t *testing.T) {
	onBackends(t, []backendCase{{"counters", testCounters}})
}

func testCounters(t *testing.T, c *Cache) {
	before := c.Stats()
	mustSet(t, c, "s", "v", 0)
	c.Get("s")
	c.Get("s-missing")
	after := c.Stats()
	if after.Hits-before.Hits != 1 || after.Misses-before.Misses != 1 || after.Errors != before.Errors {
		t.Errorf("stats went from %+v to %+v, want one hit and one miss more", before, after)
	}
}

// TestTooLargeBeforeIO points the cache at a server that never answers: a
// value over the limit is refused without talking to it (a request that
// reached the server would end in a timeout, not ErrTooLarge), and is
// counted and logged like any value the cache failed to keep.
func TestTooLargeBeforeIO(t *testing.T) {
	var log testlog.Buffer
	c := newMemcachedCache(t, fastOptions(memcachedtest.StartSilent(t)), log.Logger())
	if err := c.Set("big", make([]byte, 2<<20), 0); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("got %v, want ErrTooLarge", err)
	}
	if n := c.Stats().Errors; n != 1 {
		t.Errorf("counted %d cache errors, want 1", n)
	}
	if !strings.Contains(log.String(), "too large") {
		t.Errorf("log %q does not mention the refused item", log.String())
	}
}

// TestMaxItemBoundary finds, on a real memcached, the largest value it
// stores under a one-byte key, and checks that ItemOverhead leaves that
// value's item at or under the server's limit.
func TestMaxItemBoundary(t *testing.T) {
	srv := memcachedtest.Start(t)
	mc := memcache.New(srv.Addr)
	stores := func(n int) bool {
		return mc.Set(&memcache.Item{Key: "k", Value: make([]byte, n)}) == nil
	}
	lo, hi := MaxItemSize-1024, MaxItemSize // stores(lo), !stores(hi)
	if !stores(lo) || stores(hi) {
		t.Fatalf("memcached stores %d bytes: %v, %d bytes: %v; want yes, no", lo, stores(lo), hi, stores(hi))
	}
	for hi-lo > 1 {
		if mid := (lo + hi) / 2; stores(mid) {
			lo = mid
		} else {
			hi = mid
		}
	}
	if overhead := MaxItemSize - 1 - lo; overhead > ItemOverhead {
		t.Errorf("memcached's per-item overhead is %d bytes, more than ItemOverhead (%d)", overhead, ItemOverhead)
	}
}

func TestMemoryCopiesValues(t *testing.T) {
	c := NewMemory(0, discard())
	v := []byte("abc")
	mustSet(t, c, "k", string(v), 0)
	c.Set("k2", v, 0)
	v[0] = 'X'
	wantValue(t, c, "k2", "abc")
	got, _ := c.Get("k2")
	got[0] = 'Y'
	wantValue(t, c, "k2", "abc")
}

func TestMemoryIsBounded(t *testing.T) {
	c := NewMemory(10_000, discard())
	for i := 0; i < 1000; i++ {
		mustSet(t, c, "key"+strings.Repeat("x", i%10)+string(rune('a'+i%26))+strings.Repeat("y", i/26), strings.Repeat("v", 100), 0)
	}
	m := c.backend.(*memory)
	if m.size > 10_000 {
		t.Errorf("size %d exceeds the limit of 10000", m.size)
	}
	if m.lru.Len() == 0 {
		t.Error("everything was evicted")
	}
	// The most recent item survives eviction.
	wantValue(t, c, "key"+strings.Repeat("x", 999%10)+string(rune('a'+999%26))+strings.Repeat("y", 999/26), strings.Repeat("v", 100))
}

func TestMemoryExpiryUsesTheClock(t *testing.T) {
	c := NewMemory(0, discard())
	now := time.Unix(1_800_000_000, 0)
	c.now = func() time.Time { return now }
	mustSet(t, c, "a", "v", 40*24*time.Hour)
	now = now.Add(39 * 24 * time.Hour)
	wantValue(t, c, "a", "v")
	now = now.Add(2 * 24 * time.Hour)
	wantMiss(t, c, "a")
}

func TestExptime(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	tests := []struct {
		ttl  time.Duration
		want int32
	}{
		{0, 0},
		{-time.Second, -1},
		{time.Nanosecond, 1},
		{1500 * time.Millisecond, 2},
		{time.Minute, 60},
		{2592000 * time.Second, 2592000},
		{2592001 * time.Second, 1_800_000_000 + 2592001},
		{31 * 24 * time.Hour, 1_800_000_000 + 31*24*3600},
		// SESSION_MAX_AGE=105120h (12 years) ends past 2038: clamped, not
		// wrapped into the past.
		{105120 * time.Hour, math.MaxInt32},
		{1 << 62, math.MaxInt32},
	}
	for _, tt := range tests {
		if got := exptime(tt.ttl, now); got != tt.want {
			t.Errorf("exptime(%v) = %d, want %d", tt.ttl, got, tt.want)
		}
		if tt.want != math.MaxInt32 && tt.ttl > 0 {
			if got := expiresAt(exptime(tt.ttl, now), now); got.Before(now.Add(tt.ttl)) {
				t.Errorf("expiresAt(exptime(%v)) = %v, before %v", tt.ttl, got, now.Add(tt.ttl))
			}
		}
	}
}

func mustSet(t *testing.T, c *Cache, key, value string, ttl time.Duration) {
	t.Helper()
	if err := c.Set(key, []byte(value), ttl); err != nil {
		t.Fatalf("set %q: %v", key, err)
	}
}

func wantValue(t *testing.T, c *Cache, key, want string) {
	t.Helper()
	got, ok := c.Get(key)
	if !ok {
		t.Errorf("get %q: miss, want %q", key, want)
	} else if string(got) != want {
		t.Errorf("get %q: got %q, want %q", key, got, want)
	}
}

func wantMiss(t *testing.T, c *Cache, key string) {
	t.Helper()
	if got, ok := c.Get(key); ok {
		t.Errorf("get %q: got %q, want a miss", key, got)
	}
}
