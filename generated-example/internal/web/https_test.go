package web

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/echocache/scaffold/generated-example/internal/cache"
)

// onHeroku is the server's options on a Heroku dyno, as run.go gives
// them: DYNO is set there, and FORCE_HTTPS is on by default.
var onHeroku = Options{OnHeroku: true, ForceHTTPS: true}

// TestHTTPSOnHeroku: on Heroku, whose router also answers http://, a GET
// or HEAD that came over http is redirected to the same URL on https, and
// a POST is refused before its handler runs; pages over https, cached ones
// included, carry Strict-Transport-Security. Locally, plain http works
// and there is no HSTS. On both caches.
func TestHTTPSOnHeroku(t *testing.T) {
	for _, where := range []struct {
		name   string
		opts   Options
		forced bool
	}{
		{"on Heroku", onHeroku, true},
		{"FORCE_HTTPS=1", Options{ForceHTTPS: true}, true},
		{"FORCE_HTTPS=0 on Heroku", Options{OnHeroku: true}, false},
		{"locally", Options{}, false},
	} {
		forced := where.forced
		for name, newServer := range cachesWith(t, where.opts) {
			t.Run(where.name+"/"+name, func(t *testing.T) {
				s := newServer(t)
				posts := 0
				s.echo.Match([]string{http.MethodGet, http.MethodHead}, "/page", func(c echo.Context) error { return c.String(http.StatusOK, "page") },
					viewCache(s.cache, cache.ViewOptions{Lifetimes: cache.Lifetimes{Fresh: time.Minute}, Query: []string{"q"}}))
				s.echo.POST("/page", func(c echo.Context) error {
					posts++
					c.SetCookie(&http.Cookie{Name: "session", Value: "new"})
					return c.NoContent(http.StatusNoContent)
				})
				over := func(method, target, proto string) *httptest.ResponseRecorder {
					t.Helper()
					req := httptest.NewRequest(method, target, nil)
					req.Host = "app.example.com"
					if proto != "" {
						req.Header.Set("X-Forwarded-Proto", proto)
					}
					rec := httptest.NewRecorder()
					s.ServeHTTP(rec, req)
					return rec
				}

				for _, xcache := range []string{"MISS", "HIT"} {
					rec := over(http.MethodGet, "/page?q=1", "https")
					if rec.Code != http.StatusOK || rec.Header().Get("X-Cache") != xcache {
						t.Errorf("GET over https: status %d, X-Cache %q; want 200 and %s", rec.Code, rec.Header().Get("X-Cache"), xcache)
					}
					want := ""
					if forced {
						want = "max-age=63072000"
					}
					if got := rec.Header().Get("Strict-Transport-Security"); got != want {
						t.Errorf("GET over https (%s): Strict-Transport-Security %q, want %q", xcache, got, want)
					}
				}
				for _, tt := range []struct{ method, target, proto string }{
					{http.MethodGet, "/page?q=1", "http"},
					{http.MethodHead, "/page?q=1", "http"},
					{http.MethodGet, "/page?q=1", ""}, // no router said https
					{http.MethodGet, "/no-such-page", "http"},
				} {
					rec := over(tt.method, tt.target, tt.proto)
					if hsts := rec.Header().Get("Strict-Transport-Security"); hsts != "" {
						t.Errorf("%s %s over http: Strict-Transport-Security %q, want none", tt.method, tt.target, hsts)
					}
					if !forced {
						if rec.Code == http.StatusPermanentRedirect {
							t.Errorf("%s %s over http, locally: redirected to %q, want it served", tt.method, tt.target, rec.Header().Get("Location"))
						}
						continue
					}
					if want := "https://app.example.com" + tt.target; rec.Code != http.StatusPermanentRedirect || rec.Header().Get("Location") != want {
						t.Errorf("%s %s over http: status %d to %q, want 308 to %s", tt.method, tt.target, rec.Code, rec.Header().Get("Location"), want)
					}
				}

				rec := over(http.MethodPost, "/page", "http")
				if forced && (rec.Code != http.StatusForbidden || posts != 0 || len(rec.Result().Cookies()) != 0) {
					t.Errorf("POST over http: status %d, handler ran %d times, cookies %v; want 403, never, none", rec.Code, posts, rec.Result().Cookies())
				}
				if !forced && (rec.Code != http.StatusNoContent || posts != 1) {
					t.Errorf("POST over http, locally: status %d, handler ran %d times; want 204, once", rec.Code, posts)
				}
			})
		}
	}
}

// TestRedirectKeepsTheHost: the redirect to https goes to the host the
// request named and nowhere else, even when that names a user or a path.
func TestRedirectKeepsTheHost(t *testing.T) {
	s, _ := newTestServer(t, onHeroku)
	for _, tt := range []struct{ host, target, want string }{
		{"app.example.com", "//evil.example/x", "https://app.example.com//evil.example/x"},
		{"app.example.com:8443", "/a%20b?x=%2F", "https://app.example.com:8443/a%20b?x=%2F"},
		{"evil.example@app.example.com", "/", "https://evil.example%40app.example.com/"},
	} {
		req := httptest.NewRequest(http.MethodGet, tt.target, nil)
		req.Host = tt.host
		req.Header.Set("X-Forwarded-Proto", "http")
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		if got := rec.Header().Get("Location"); rec.Code != http.StatusPermanentRedirect || got != tt.want {
			t.Errorf("Host %q, %s: status %d to %q, want 308 to %q", tt.host, tt.target, rec.Code, got, tt.want)
		}
	}
}
