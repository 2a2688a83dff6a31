package web

import (
	"context"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/echocache/scaffold/generated-example/internal/cache"
	"github.com/echocache/scaffold/generated-example/internal/db"
	"github.com/echocache/scaffold/generated-example/internal/memcachedtest"
	"github.com/echocache/scaffold/generated-example/internal/pgtest"
	"github.com/echocache/scaffold/generated-example/internal/tasks"
	"github.com/echocache/scaffold/generated-example/internal/testlog"
)

// TestStoresKeepTheirOwnCache: instances of one app (one CACHE_KEY_PREFIX)
// on one memcached, one with in-memory tasks (a developer's machine with
// production's MEMCACHIER_* and no DATABASE_URL), the others reading
// PostgreSQL. The in-memory one is never served the others' page or
// memoized list, nor they its, while the two on one database share theirs.
func TestStoresKeepTheirOwnCache(t *testing.T) {
	ctx := context.Background()
	mc := memcachedtest.Start(t)
	url := pgtest.Start(t).CreateDatabase(t)
	openDB := func() *tasks.Postgres {
		t.Helper()
		d, err := db.Open(db.Options{URL: url})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(d.Close)
		if _, err := d.Migrate(ctx, db.MigrateOptions{}); err != nil {
			t.Fatal(err)
		}
		return tasks.NewPostgres(d)
	}
	store := openDB()
	instance := func(store tasks.Store) *Server {
		t.Helper()
		logger := slog.New(slog.NewTextHandler(&testlog.Buffer{}, nil))
		c, err := cache.NewMemcached(cache.MemcachedOptions{Servers: []string{mc.Addr}, KeyPrefix: "app:"}, logger)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		s := newServerWithCache(t, Options{}, c, logger)
		s.ServeTasks(store)
		return s
	}
	memory := tasks.NewMemory()
	if _, err := store.Add(ctx, "kept in PostgreSQL"); err != nil {
		t.Fatal(err)
	}
	if _, err := memory.Add(ctx, "kept in memory"); err != nil {
		t.Fatal(err)
	}
	postgres, local, otherPostgres := instance(store), instance(memory), instance(openDB())

	others := []string{"kept in PostgreSQL", "kept in memory"}
	page := func(s *Server, name, wantXCache string, want ...string) {
		t.Helper()
		rec := do(s, http.MethodGet, "/")
		body := rec.Body.String()
		if rec.Header().Get("X-Cache") != wantXCache {
			t.Errorf("%s: X-Cache %q, want %s", name, rec.Header().Get("X-Cache"), wantXCache)
		}
		for _, w := range want {
			if !strings.Contains(body, w) {
				t.Errorf("%s: the page lacks %q:\n%s", name, w, body)
			}
		}
		for _, other := range others {
			if !slices.Contains(want, other) && strings.Contains(body, other) {
				t.Errorf("%s shows %q, another store's task:\n%s", name, other, body)
			}
		}
	}
	page(postgres, "the PostgreSQL instance", "MISS", "kept in PostgreSQL", "from PostgreSQL")
	page(local, "the in-memory instance after it", "MISS", "kept in memory", "from memory")
	page(postgres, "the PostgreSQL instance again", "HIT", "kept in PostgreSQL")
	page(local, "the in-memory instance again", "HIT", "kept in memory")
	page(otherPostgres, "another instance on the database", "HIT", "kept in PostgreSQL")

	// With the pages gone, each gets its list from the memoized query: its
	// own.
	postgres.cache.Namespace(store.Namespace()).DeleteView("/")
	local.cache.Namespace(memory.Namespace()).DeleteView("/")
	page(postgres, "the PostgreSQL instance's memoized list", "MISS", "kept in PostgreSQL", "came from the memoized query: it was\n  loaded from PostgreSQL")
	page(local, "the in-memory instance's memoized list", "MISS", "kept in memory", "came from the memoized query: it was\n  loaded from memory")
}
