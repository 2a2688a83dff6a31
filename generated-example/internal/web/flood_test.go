package web

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/echocache/scaffold/generated-example/internal/cache"
	"github.com/echocache/scaffold/generated-example/internal/memcachedtest"
	"github.com/echocache/scaffold/generated-example/internal/testlog"
)

// TestAnonymousGetsStoreNothing: a flood of cookie-less GETs on every
// route of a server with sessions stores nothing in the cache, so it
// cannot evict a real visitor's session.
func TestAnonymousGetsStoreNothing(t *testing.T) {
	checkAnonymousGetsStoreNothing(t, func(*Server) {})
}

// checkAnonymousGetsStoreNothing sends, after one GET each to warm what
// pages share, 200 GETs without a cookie (and some with a cookie that is
// not a session's) to every GET route of a server with sessions, to which
// addPages has added the app's pages, while a visitor is logged in. On
// memcached, its item counts (curr_items, total_items) must not move; in
// memory, whose cache is made small enough that a few hundred new
// sessions would evict the visitor's, the visitor must stay logged in.
func checkAnonymousGetsStoreNothing(t *testing.T, addPages func(*Server)) {
	t.Helper()
	mc := memcachedtest.Start(t)
	logger := slog.New(slog.NewTextHandler(&testlog.Buffer{}, nil))
	backends := map[string]func(t *testing.T) *cache.Cache{
		"memory": func(t *testing.T) *cache.Cache { return cache.NewMemory(32<<10, logger) },
		"memcached": func(t *testing.T) *cache.Cache {
			c, err := cache.NewMemcached(cache.MemcachedOptions{Servers: []string{mc.Addr}}, logger)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { c.Close() })
			return c
		},
	}
	items := func(t *testing.T) (curr, total string) {
		t.Helper()
		stats, err := mc.Stats()
		if err != nil {
			t.Fatal(err)
		}
		return stats["curr_items"], stats["total_items"]
	}
	for name, newCache := range backends {
		t.Run(name, func(t *testing.T) {
			s := newServerWithCache(t, Options{}, newCache(t), logger)
			s.UseSessions(testSessions(s))
			addPages(s)
			var targets []string
			for _, r := range s.echo.Routes() {
				if r.Method != http.MethodGet {
					continue
				}
				target := r.Path
				if prefix, ok := strings.CutSuffix(target, "*"); ok { // the static files
					target = strings.TrimSuffix(prefix, "/") + "/style.css"
				}
				targets = append(targets, target)
			}
			alice := newBrowser(t, s)
			if rec := alice.do(http.MethodPost, "/session/login", nil); rec.Code != http.StatusSeeOther {
				t.Fatalf("log in: status %d", rec.Code)
			}
			for _, target := range targets {
				do(s, http.MethodGet, target)
			}
			s.fragments.Wait() // fragments are stored in the background
			currBefore, totalBefore := items(t)
			for _, target := range targets {
				for i := 0; i < 200; i++ {
					req := httptest.NewRequest(http.MethodGet, target, nil)
					if i%4 == 0 {
						req.AddCookie(&http.Cookie{Name: sessionName, Value: "forged"})
					}
					rec := httptest.NewRecorder()
					s.ServeHTTP(rec, req)
					if rec.Code >= http.StatusInternalServerError {
						t.Fatalf("GET %s: status %d", target, rec.Code)
					}
					if cookies := rec.Result().Cookies(); len(cookies) != 0 && i == 1 {
						t.Errorf("GET %s without a session set cookies: %v", target, cookies)
					}
				}
			}
			s.fragments.Wait()
			if name == "memcached" {
				if curr, total := items(t); curr != currBefore || total != totalBefore {
					t.Errorf("after %d anonymous GETs on %v: curr_items %s, total_items %s; want %s and %s, as before",
						200*len(targets), targets, curr, total, currBefore, totalBefore)
				}
			}
			if body := alice.get("/session/").Body.String(); !strings.Contains(body, "Logged in as") {
				t.Errorf("after the flood, alice is logged out:\n%s", body)
			}
		})
	}
}
