package session

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/echocache/scaffold/generated-example/internal/cache"
)

// The tests here put the view cache in front of Echo handlers with
// echo.WrapMiddleware, Echo's own adapter for net/http middleware: the
// session's mark and cookie must reach Views through it. The web package's
// adapter, which the app uses, is tested there with the whole app.

// TestViewsNeverShareSessionPages puts a page that only reads the session
// ("Hello, alice" or "Hello, stranger") under the view cache, outside any
// hole. It is never stored, whoever reads it: a cached page must show the
// session only in its holes. A visitor with a session gets their own
// page, rendered for them, whichever order the requests come in.
func TestViewsNeverShareSessionPages(t *testing.T) {
	caches, _ := backends(t)
	for name, c := range caches {
		t.Run(name, func(t *testing.T) {
			for _, order := range []string{"anonymous first", "logged in first"} {
				t.Run(order, func(t *testing.T) {
					a := newApp(t, c, Options{})
					path := "/hello-" + strings.ReplaceAll(order, " ", "-")
					var renders int
					a.e.GET(path, func(ctx echo.Context) error {
						renders++
						sess, err := Get("session", ctx)
						if err != nil {
							return err
						}
						user, ok := sess.Values["user"].(string)
						if !ok {
							user = "stranger"
						}
						return ctx.HTML(http.StatusOK, "Hello, "+user)
					}, echo.WrapMiddleware(c.Views(cache.ViewOptions{})))

					_, login := a.request(http.MethodPost, "/login", "")
					if login == nil {
						t.Fatal("log in set no cookie")
					}
					alice := func() *httptest.ResponseRecorder {
						rec, _ := a.request(http.MethodGet, path, login.Value)
						if rec.Body.String() != "Hello, alice" || rec.Header().Get("X-Cache") != "BYPASS" {
							t.Errorf("alice: got %q with X-Cache %q, want her own page, BYPASS", rec.Body, rec.Header().Get("X-Cache"))
						}
						return rec
					}
					anonymous := func() {
						rec, cookie := a.request(http.MethodGet, path, "")
						if rec.Body.String() != "Hello, stranger" || rec.Header().Get("X-Cache") != "MISS" {
							t.Errorf("anonymous: got %q with X-Cache %q, want a page rendered for them, MISS", rec.Body, rec.Header().Get("X-Cache"))
						}
						if cookie != nil {
							t.Errorf("an anonymous visit set a session cookie")
						}
					}
					if order == "anonymous first" {
						anonymous()
						anonymous()
						alice()
						anonymous()
					} else {
						alice()
						anonymous()
						alice()
						anonymous()
					}
					if renders != 4 {
						t.Errorf("the handler ran %d times, want 4: one page stored", renders)
					}
				})
			}
		})
	}
}

// TestViewsSkipSessionWriters: a page that writes the session under the
// view cache is never stored, even for a visitor who had no session.
func TestViewsSkipSessionWriters(t *testing.T) {
	caches, _ := backends(t)
	for name, c := range caches {
		t.Run(name, func(t *testing.T) {
			a := newApp(t, c, Options{})
			a.e.GET("/counter", func(ctx echo.Context) error {
				sess, err := Get("session", ctx)
				if err != nil {
					return err
				}
				n, _ := sess.Values["n"].(int)
				sess.Values["n"] = n + 1
				return ctx.HTML(http.StatusOK, "counted")
			}, echo.WrapMiddleware(c.Views(cache.ViewOptions{})))
			for i := 0; i < 3; i++ {
				rec, cookie := a.request(http.MethodGet, "/counter", "")
				if rec.Header().Get("X-Cache") == "HIT" || cookie == nil {
					t.Errorf("visit %d: X-Cache %q, cookie %v: a page that starts a session was served from the cache", i+1, rec.Header().Get("X-Cache"), cookie)
				}
			}
		})
	}
}

// TestTamperedCookieSharesThePage: a cookie that fails its signature is no
// session, so its bearer gets the shared page like any anonymous visitor,
// while one with a session gets a page of their own on a route without
// holes.
func TestTamperedCookieSharesThePage(t *testing.T) {
	a := newApp(t, cache.NewMemory(0, discard()), Options{})
	a.e.GET("/shared", func(ctx echo.Context) error {
		return ctx.HTML(http.StatusOK, "shared")
	}, echo.WrapMiddleware(a.cache.Views(cache.ViewOptions{})))
	a.request(http.MethodGet, "/shared", "")
	if rec, _ := a.request(http.MethodGet, "/shared", "forged-value"); rec.Header().Get("X-Cache") != "HIT" {
		t.Errorf("a forged cookie: X-Cache %q, want HIT", rec.Header().Get("X-Cache"))
	}
	_, login := a.request(http.MethodPost, "/login", "")
	if login == nil {
		t.Fatal("log in set no cookie")
	}
	if rec, _ := a.request(http.MethodGet, "/shared", login.Value); rec.Header().Get("X-Cache") != "BYPASS" {
		t.Errorf("a session: X-Cache %q, want BYPASS", rec.Header().Get("X-Cache"))
	}
}
