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
// ("Hello, alice" or "Hello, stranger") under the view cache. Anonymous
// visitors share one cached copy; a visitor with a session always gets
// their own page, whichever order the requests come in, and their page is
// never stored.
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
					anonymous := func(xcache string) {
						rec, cookie := a.request(http.MethodGet, path, "")
						if rec.Body.String() != "Hello, stranger" || rec.Header().Get("X-Cache") != xcache {
							t.Errorf("anonymous: got %q with X-Cache %q, want the shared page, %s", rec.Body, rec.Header().Get("X-Cache"), xcache)
						}
						if cookie != nil {
							t.Errorf("an anonymous visit set a session cookie")
						}
					}
					want := 0
					if order == "anonymous first" {
						anonymous("MISS")
						anonymous("HIT")
						alice()
						anonymous("HIT")
						want = 2 // the shared page once, alice's once
					} else {
						alice()
						anonymous("MISS") // alice's page was not stored
						alice()
						anonymous("HIT")
						want = 3 // alice's twice, the shared page once
					}
					if renders != want {
						t.Errorf("the handler ran %d times, want %d", renders, want)
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
// session, so its bearer gets the shared page like any anonymous visitor.
func TestTamperedCookieSharesThePage(t *testing.T) {
	a := newApp(t, cache.NewMemory(0, discard()), Options{})
	a.e.GET("/shared", func(ctx echo.Context) error {
		if _, err := Get("session", ctx); err != nil {
			return err
		}
		return ctx.HTML(http.StatusOK, "shared")
	}, echo.WrapMiddleware(a.cache.Views(cache.ViewOptions{})))
	a.request(http.MethodGet, "/shared", "")
	if rec, _ := a.request(http.MethodGet, "/shared", "forged-value"); rec.Header().Get("X-Cache") != "HIT" {
		t.Errorf("a forged cookie: X-Cache %q, want HIT", rec.Header().Get("X-Cache"))
	}
}
