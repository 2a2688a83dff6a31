package cache

import (
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/echocache/scaffold/generated-example/internal/memcachedtest"
)

// fastOptions shortens the retry timeouts so failure tests run in
// seconds, keeping operation timeouts long enough for a loaded CI machine
// running the race detector.
func fastOptions(servers ...string) MemcachedOptions {
	return MemcachedOptions{
		Servers:        servers,
		ConnectTimeout: time.Second,
		Timeout:        time.Second,
		RetryTimeout:   300 * time.Millisecond,
		DeadTimeout:    time.Second,
	}
}

// newMemcachedCache returns a Cache on opts that is closed when the test ends.
func newMemcachedCache(t testing.TB, opts MemcachedOptions, logger *slog.Logger) *Cache {
	t.Helper()
	c, err := NewMemcached(opts, logger)
	if err != nil {
		t.Fatalf("NewMemcached: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// backends returns one Cache of each kind, the memcached one on a new
// real server, for tests that must hold for both.
func backends(t *testing.T) map[string]*Cache {
	t.Helper()
	srv := memcachedtest.Start(t)
	return map[string]*Cache{
		"memory":    NewMemory(0, discard()),
		"memcached": newMemcachedCache(t, fastOptions(srv.Addr), discard()),
	}
}

// backendCase is a test that must hold on both backends.
type backendCase struct {
	name string
	run  func(t *testing.T, c *Cache)
}

// onBackends runs every case on both backends. Cases run in parallel on
// one server, so each must use keys of its own.
func onBackends(t *testing.T, cases []backendCase) {
	t.Helper()
	for name, c := range backends(t) {
		t.Run(name, func(t *testing.T) {
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					t.Parallel()
					tc.run(t, c)
				})
			}
		})
	}
}

func discard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// eventually retries cond until it holds or the timeout passes.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
