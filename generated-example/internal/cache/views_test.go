package cache

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
)

// viewApp is a small Echo app whose routes go through Views.
type viewApp struct {
	e     *echo.Echo
	calls atomic.Int64
}

func newViewApp(c *Cache, opts ViewOptions, handler func(echo.Context) error) *viewApp {
	a := &viewApp{e: echo.New()}
	a.e.Match([]string{http.MethodGet, http.MethodHead}, "/*", func(ctx echo.Context) error {
		a.calls.Add(1)
		return handler(ctx)
	}, c.Views(opts))
	return a
}

func (a *viewApp) do(method, target string, header ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, target, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	a.e.ServeHTTP(rec, req)
	return rec
}

func html(body string) func(echo.Context) error {
	return func(c echo.Context) error { return c.HTML(http.StatusOK, body) }
}

func TestViewKey(t *testing.T) {
	tests := map[string]string{
		"/":              "view//",
		"/tasks":         "view//tasks",
		"/?b=2&a=1":      "view//?a=1&b=2",
		"/?a=1&b=2":      "view//?a=1&b=2",
		"/?q=a":          "view//?q=a",
		"/?q=b":          "view//?q=b",
		"/?q=a+b&q=c":    "view//?q=a+b&q=c",
		"/x?z=%26&y=%3D": "view//x?y=%3D&z=%26",
	}
	for target, want := range tests {
		u, _ := url.Parse(target)
		if got := ViewKey(u); got != want {
			t.Errorf("ViewKey(%s) = %q, want %q", target, got, want)
		}
	}
}

func TestViews(t *testing.T) {
	tests := []backendCase{
		{"hit after miss, identical", func(t *testing.T, c *Cache) {
			a := newViewApp(c, ViewOptions{}, html("<p>hello</p>"))
			miss, hit := a.do("GET", "/hello"), a.do("GET", "/hello")
			if miss.Header().Get("X-Cache") != "MISS" || hit.Header().Get("X-Cache") != "HIT" {
				t.Errorf("X-Cache: %q then %q, want MISS then HIT", miss.Header().Get("X-Cache"), hit.Header().Get("X-Cache"))
			}
			if hit.Code != miss.Code || hit.Body.String() != miss.Body.String() || hit.Header().Get("Content-Type") != miss.Header().Get("Content-Type") {
				t.Errorf("hit %d %q %q differs from miss %d %q %q", hit.Code, hit.Header().Get("Content-Type"), hit.Body, miss.Code, miss.Header().Get("Content-Type"), miss.Body)
			}
			if n := a.calls.Load(); n != 1 {
				t.Errorf("handler ran %d times, want 1", n)
			}
			if _, ok := c.Get("view//hello"); !ok {
				t.Error(`the page is not stored under "view//hello"`)
			}
		}},
		{"delete invalidates as in the Flask guide", func(t *testing.T, c *Cache) {
			a := newViewApp(c, ViewOptions{}, html("x"))
			a.do("GET", "/inv")
			c.Delete("view/" + "/inv")
			a.do("GET", "/inv")
			a.do("GET", "/inv2")
			c.DeleteView("/inv2")
			a.do("GET", "/inv2")
			if n := a.calls.Load(); n != 4 {
				t.Errorf("handler ran %d times, want 4", n)
			}
		}},
		{"errors are not stored (flask-caching 180)", func(t *testing.T, c *Cache) {
			for _, h := range []func(echo.Context) error{
				func(c echo.Context) error { return c.String(http.StatusInternalServerError, "oops") },
				func(c echo.Context) error { return errors.New("boom") },
				func(c echo.Context) error { return echo.NewHTTPError(http.StatusNotFound) },
			} {
				a := newViewApp(c, ViewOptions{}, h)
				a.do("GET", "/err")
				if rec := a.do("GET", "/err"); rec.Header().Get("X-Cache") == "HIT" || a.calls.Load() != 2 {
					t.Errorf("an error page was served from the cache (status %d)", rec.Code)
				}
			}
		}},
		{"responses that are not for everyone are not stored", func(t *testing.T, c *Cache) {
			for name, h := range map[string]func(echo.Context) error{
				"Set-Cookie": func(c echo.Context) error {
					c.SetCookie(&http.Cookie{Name: "session", Value: "alice"})
					return c.HTML(http.StatusOK, "alice's page")
				},
				"private": func(c echo.Context) error {
					c.Response().Header().Set("Cache-Control", "private, max-age=60")
					return c.HTML(http.StatusOK, "mine")
				},
				"no-store": func(c echo.Context) error {
					c.Response().Header().Set("Cache-Control", "no-store")
					return c.HTML(http.StatusOK, "mine")
				},
				"Vary: Cookie": func(c echo.Context) error {
					c.Response().Header().Set("Vary", "Cookie")
					return c.HTML(http.StatusOK, "mine")
				},
			} {
				a := newViewApp(c, ViewOptions{}, h)
				a.do("GET", "/private")
				if rec := a.do("GET", "/private"); rec.Header().Get("X-Cache") == "HIT" || a.calls.Load() != 2 {
					t.Errorf("%s: response was stored and served to another request", name)
				}
			}
		}},
		{"HEAD is never stored (flask-caching 270)", func(t *testing.T, c *Cache) {
			a := newViewApp(c, ViewOptions{}, html("body"))
			if rec := a.do("HEAD", "/h"); rec.Code != 200 || rec.Body.Len() != 0 {
				t.Fatalf("HEAD: %d with %d body bytes", rec.Code, rec.Body.Len())
			}
			get := a.do("GET", "/h")
			if get.Header().Get("X-Cache") != "MISS" || get.Body.String() != "body" {
				t.Fatalf("GET after HEAD: X-Cache %q body %q, want MISS and the body", get.Header().Get("X-Cache"), get.Body)
			}
			head := a.do("HEAD", "/h")
			if head.Header().Get("X-Cache") != "HIT" || head.Body.Len() != 0 || head.Header().Get("Content-Length") != "4" {
				t.Errorf("HEAD after GET: X-Cache %q, %d body bytes, Content-Length %q", head.Header().Get("X-Cache"), head.Body.Len(), head.Header().Get("Content-Length"))
			}
		}},
		{"query string is part of the key", func(t *testing.T, c *Cache) {
			a := newViewApp(c, ViewOptions{}, func(c echo.Context) error {
				return c.String(http.StatusOK, "q="+c.QueryParam("q"))
			})
			if got := a.do("GET", "/s?q=a").Body.String(); got != "q=a" {
				t.Fatalf("got %q", got)
			}
			if got := a.do("GET", "/s?q=b").Body.String(); got != "q=b" {
				t.Errorf("?q=b was answered with %q", got)
			}
			a.do("GET", "/s?q=a&x=1")
			if rec := a.do("GET", "/s?x=1&q=a"); rec.Header().Get("X-Cache") != "HIT" {
				t.Error("reordered parameters missed the cache")
			}
		}},
		{"unless bypasses", func(t *testing.T, c *Cache) {
			a := newViewApp(c, ViewOptions{Unless: func(c echo.Context) bool { return c.Request().Header.Get("X-Preview") != "" }}, html("p"))
			a.do("GET", "/u", "X-Preview", "1")
			a.do("GET", "/u", "X-Preview", "1")
			if n := a.calls.Load(); n != 2 {
				t.Errorf("unless: handler ran %d times, want 2", n)
			}
			a.do("GET", "/u")
			if rec := a.do("GET", "/u"); rec.Header().Get("X-Cache") != "HIT" {
				t.Error("without the predicate the page is not cached")
			}
		}},
		{"per-route TTL", func(t *testing.T, c *Cache) {
			a := newViewApp(c, ViewOptions{TTL: time.Second}, html("t"))
			a.do("GET", "/ttl")
			time.Sleep(2100 * time.Millisecond)
			if rec := a.do("GET", "/ttl"); rec.Header().Get("X-Cache") != "MISS" {
				t.Error("the page outlived its TTL")
			}
		}},
		{"concurrent misses render once", func(t *testing.T, c *Cache) {
			a := newViewApp(c, ViewOptions{}, func(c echo.Context) error {
				time.Sleep(100 * time.Millisecond)
				return c.HTML(http.StatusOK, "slow")
			})
			var wg sync.WaitGroup
			for i := 0; i < 20; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if rec := a.do("GET", "/slow"); rec.Code != 200 || rec.Body.String() != "slow" {
						t.Errorf("got %d %q", rec.Code, rec.Body)
					}
				}()
			}
			wg.Wait()
			if n := a.calls.Load(); n != 1 {
				t.Errorf("20 concurrent misses rendered %d times, want 1", n)
			}
		}},
		{"concurrent misses of a private page each render", func(t *testing.T, c *Cache) {
			var n atomic.Int64
			a := newViewApp(c, ViewOptions{}, func(c echo.Context) error {
				time.Sleep(50 * time.Millisecond)
				c.SetCookie(&http.Cookie{Name: "id", Value: "x"})
				return c.HTML(http.StatusOK, "for "+string(rune('a'+n.Add(1))))
			})
			var wg sync.WaitGroup
			bodies := make(chan string, 5)
			for i := 0; i < 5; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					bodies <- a.do("GET", "/mine").Body.String()
				}()
			}
			wg.Wait()
			close(bodies)
			seen := make(map[string]bool)
			for b := range bodies {
				seen[b] = true
			}
			if len(seen) != 5 {
				t.Errorf("5 visitors got %d distinct private pages, want 5", len(seen))
			}
		}},
		{"pages over the item limit are served, not stored", func(t *testing.T, c *Cache) {
			big := strings.Repeat("x", MaxItemSize+1)
			a := newViewApp(c, ViewOptions{}, html(big))
			if rec := a.do("GET", "/big"); rec.Body.Len() != len(big) {
				t.Fatalf("served %d bytes, want %d", rec.Body.Len(), len(big))
			}
			if rec := a.do("GET", "/big"); rec.Header().Get("X-Cache") != "MISS" || rec.Body.Len() != len(big) {
				t.Error("an oversized page was stored")
			}
		}},
	}
	onBackends(t, tests)
}

func TestViewsWithCacheDown(t *testing.T) {
	c := newMemcachedCache(t, fastOptions("127.0.0.1:1"), discard())
	a := newViewApp(c, ViewOptions{}, html("still here"))
	for i := 0; i < 3; i++ {
		if rec := a.do("GET", "/"); rec.Code != 200 || rec.Body.String() != "still here" {
			t.Fatalf("with the cache down: %d %q", rec.Code, rec.Body)
		}
	}
}
