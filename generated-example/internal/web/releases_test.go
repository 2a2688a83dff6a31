package web

import (
	"context"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/echocache/scaffold/generated-example/internal/cache"
	"github.com/echocache/scaffold/generated-example/internal/memcachedtest"
	"github.com/echocache/scaffold/generated-example/internal/tasks"
	"github.com/echocache/scaffold/generated-example/internal/testlog"
)

// withChangedFile returns the server's assets with the file name's text
// old replaced by new, as the next release would have them.
func withChangedFile(t *testing.T, name, old, new string) fs.FS {
	t.Helper()
	fsys := fstest.MapFS{}
	err := fs.WalkDir(assets, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(assets, p)
		fsys[p] = &fstest.MapFile{Data: data}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	text := string(fsys[name].Data)
	if !strings.Contains(text, old) {
		t.Fatalf("%s does not contain %q", name, old)
	}
	fsys[name] = &fstest.MapFile{Data: []byte(strings.Replace(text, old, new, 1))}
	return fsys
}

// TestReleaseWithChangedRowTemplate: a release whose row template
// changed, started against the cache that the previous release warmed
// (and running beside it, as dynos do during a deploy), shows its own
// markup on its first request, while what its templates do not render,
// the memoized list, is still a hit; and the previous release keeps its
// own cached page.
func TestReleaseWithChangedRowTemplate(t *testing.T) {
	srv := memcachedtest.Start(t)
	store := tasks.NewMemory() // one database for both releases
	if _, err := store.Add(context.Background(), "shared task"); err != nil {
		t.Fatal(err)
	}
	release := func(fsys fs.FS) *Server {
		logger := slog.New(slog.NewTextHandler(&testlog.Buffer{}, nil))
		c, err := cache.NewMemcached(cache.MemcachedOptions{Servers: []string{srv.Addr}, KeyPrefix: "app:"}, logger)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		s, err := newServer(Options{}, c, logger, fsys)
		if err != nil {
			t.Fatal(err)
		}
		s.ServeTasks(store)
		return s
	}
	old := release(assets)
	do(old, http.MethodGet, "/")
	old.fragments.Wait()
	if rec := do(old, http.MethodGet, "/"); rec.Header().Get("X-Cache") != "HIT" {
		t.Fatalf("the old release's page: X-Cache %q, want HIT", rec.Header().Get("X-Cache"))
	}

	next := release(withChangedFile(t, "views/partials/task.html", `<span class="title">`, `<span class="title next">`))
	rec := do(next, http.MethodGet, "/")
	body := rec.Body.String()
	if rec.Header().Get("X-Cache") != "MISS" || !strings.Contains(body, `<span class="title next">shared task`) {
		t.Errorf("the new release's first page: X-Cache %q, want MISS with its own row markup:\n%s", rec.Header().Get("X-Cache"), body)
	}
	if !strings.Contains(body, "came from the memoized query") {
		t.Errorf("the new release's first page did not get the list from the memoized query, which no template renders:\n%s", body)
	}
	if rec := do(old, http.MethodGet, "/"); rec.Header().Get("X-Cache") != "HIT" || strings.Contains(rec.Body.String(), "title next") {
		t.Errorf("the old release beside it: X-Cache %q, want its own page from the cache", rec.Header().Get("X-Cache"))
	}
	next.fragments.Wait()
	if rec := do(next, http.MethodGet, "/"); rec.Header().Get("X-Cache") != "HIT" || !strings.Contains(rec.Body.String(), "title next") {
		t.Errorf("the new release's second page: X-Cache %q, want its own page from the cache", rec.Header().Get("X-Cache"))
	}
}

// TestDigests: a page's and a partial's digests change with their own
// markup and with what they render, and not with other templates'.
func TestDigests(t *testing.T) {
	fragments := cache.NewFragments(cache.NewMemory(0, slog.New(slog.DiscardHandler)), cache.FragmentOptions{})
	before, err := newRenderer(assets, fragments)
	if err != nil {
		t.Fatal(err)
	}
	after, err := newRenderer(withChangedFile(t, "views/partials/task.html", `<span class="title">`, `<span class="name">`), fragments)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		what    string
		a, b    string
		changed bool
	}{
		{"the changed partial", before.fragmentDigest("task"), after.fragmentDigest("task"), true},
		{"a page that renders it", before.pageDigest("index.html"), after.pageDigest("index.html"), true},
		{"another partial", before.fragmentDigest("home"), after.fragmentDigest("home"), false},
	} {
		if (tt.a != tt.b) != tt.changed || tt.a == "" {
			t.Errorf("%s: digest %q then %q, want changed: %t", tt.what, tt.a, tt.b, tt.changed)
		}
	}
}
