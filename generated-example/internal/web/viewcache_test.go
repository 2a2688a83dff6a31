package web

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/echocache/scaffold/generated-example/internal/cache"
)

// TestViewCacheKeepsEchoResponse: through the adapter, middleware outside
// the view cache and the request logger see the status and size that were
// sent, whether the page was rendered, replayed or failed.
func TestViewCacheKeepsEchoResponse(t *testing.T) {
	s, logs := newTestServer(t, Options{})
	type seen struct {
		status    int
		size      int64
		committed bool
	}
	var got seen
	observe := func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(ctx echo.Context) error {
			err := next(ctx)
			res := ctx.Response()
			got = seen{res.Status, res.Size, res.Committed}
			return err
		}
	}
	route := func(path string, h echo.HandlerFunc) {
		s.echo.Match([]string{http.MethodGet, http.MethodHead}, path, h, observe, viewCache(s.cache, cache.ViewOptions{Unless: hasSkipCookie}))
	}
	route("/page", func(ctx echo.Context) error { return ctx.HTML(http.StatusOK, "<p>page</p>") })
	route("/missing", func(ctx echo.Context) error { return echo.NewHTTPError(http.StatusNotFound) })
	route("/silent", func(ctx echo.Context) error { return nil })

	page := "<p>page</p>"
	tests := []struct {
		name, method, target string
		cookie               string
		xcache               string
		status               int
		body                 string
		seen                 seen // by the middleware outside; zero when the handler fails
	}{
		{"miss", http.MethodGet, "/page", "", "MISS", http.StatusOK, page, seen{http.StatusOK, int64(len(page)), true}},
		{"hit", http.MethodGet, "/page", "", "HIT", http.StatusOK, page, seen{http.StatusOK, int64(len(page)), true}},
		{"head hit", http.MethodHead, "/page", "", "HIT", http.StatusOK, "", seen{http.StatusOK, 0, true}},
		{"bypass", http.MethodGet, "/page", "skip=1", "BYPASS", http.StatusOK, page, seen{http.StatusOK, int64(len(page)), true}},
		{"head miss", http.MethodHead, "/missing", "", "MISS", http.StatusNotFound, "", seen{}},
		{"error", http.MethodGet, "/missing", "", "MISS", http.StatusNotFound, "", seen{}},
		{"nothing written", http.MethodGet, "/silent", "", "MISS", http.StatusOK, "", seen{http.StatusOK, 0, false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			logged := len(logs.String())
			got = seen{}
			req := httptest.NewRequest(tt.method, tt.target, nil)
			if tt.cookie != "" {
				req.Header.Set("Cookie", tt.cookie)
			}
			rec := httptest.NewRecorder()
			s.ServeHTTP(rec, req)
			if rec.Code != tt.status || rec.Header().Get("X-Cache") != tt.xcache {
				t.Fatalf("got %d, X-Cache %q; want %d, %q", rec.Code, rec.Header().Get("X-Cache"), tt.status, tt.xcache)
			}
			if tt.body != "" && rec.Body.String() != tt.body {
				t.Errorf("got body %q, want %q", rec.Body, tt.body)
			}
			if tt.seen != (seen{}) && got != tt.seen {
				t.Errorf("middleware outside the view cache saw %+v, want %+v", got, tt.seen)
			}
			if line, want := logs.String()[logged:], "status="+strconv.Itoa(tt.status); !strings.Contains(line, want) {
				t.Errorf("request log %q does not say %s", line, want)
			}
		})
	}
}

// TestViewCacheStoresNoFailedRender: an Echo handler's error, returned
// before or after it wrote, or its panic, never leaves a page in the cache.
func TestViewCacheStoresNoFailedRender(t *testing.T) {
	handlers := map[string]echo.HandlerFunc{
		"error":      func(ctx echo.Context) error { return errors.New("disk on fire") },
		"HTTP error": func(ctx echo.Context) error { return echo.NewHTTPError(http.StatusNotFound) },
		"error after 200": func(ctx echo.Context) error {
			ctx.HTML(http.StatusOK, "half a page")
			return errors.New("lost the rest")
		},
		"panic": func(ctx echo.Context) error { panic("boom") },
	}
	for name, h := range handlers {
		t.Run(name, func(t *testing.T) {
			s, _ := newTestServer(t, Options{})
			var renders int
			s.echo.GET("/fails", func(ctx echo.Context) error {
				renders++
				return h(ctx)
			}, viewCache(s.cache, cache.ViewOptions{}))
			for i := 0; i < 2; i++ {
				if rec := do(s, http.MethodGet, "/fails"); rec.Header().Get("X-Cache") != "MISS" {
					t.Errorf("request %d: X-Cache %q, want MISS", i+1, rec.Header().Get("X-Cache"))
				}
			}
			if renders != 2 {
				t.Errorf("the handler ran %d times, want 2", renders)
			}
		})
	}
}

// TestViewCacheRunsHooksOnErrorPages: what a handler registered with
// Response().Before, as session middleware does to save a session, still
// runs when the handler returns an error and the error page is written
// after the view cache is done.
func TestViewCacheRunsHooksOnErrorPages(t *testing.T) {
	s, _ := newTestServer(t, Options{})
	s.echo.GET("/hooked", func(ctx echo.Context) error {
		ctx.Response().Before(func() { ctx.Response().Header().Set("X-Hook", "ran") })
		return echo.NewHTTPError(http.StatusConflict)
	}, viewCache(s.cache, cache.ViewOptions{}))
	rec := do(s, http.MethodGet, "/hooked")
	if rec.Code != http.StatusConflict || rec.Header().Get("X-Hook") != "ran" {
		t.Errorf("got %d, X-Hook %q; want 409 and the hook's header", rec.Code, rec.Header().Get("X-Hook"))
	}
}

// TestViewCacheStripsEchoQuery: parameters the route does not declare are
// gone from Echo's parsed query too, even if a middleware before the view
// cache had Echo parse the query already.
func TestViewCacheStripsEchoQuery(t *testing.T) {
	s, _ := newTestServer(t, Options{})
	early := func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(ctx echo.Context) error {
			ctx.QueryParam("utm_source")
			return next(ctx)
		}
	}
	s.echo.GET("/q", func(ctx echo.Context) error {
		return ctx.String(http.StatusOK, "page="+ctx.QueryParam("page")+" utm="+ctx.QueryParam("utm_source")+
			" params="+strconv.Itoa(len(ctx.QueryParams()))+" raw="+ctx.QueryString())
	}, early, viewCache(s.cache, cache.ViewOptions{Query: []string{"page"}}))
	tests := map[string]string{
		"/q?utm_source=mail":        "page= utm= params=0 raw=",
		"/q?utm_source=mail&page=2": "page=2 utm= params=1 raw=page=2",
	}
	for target, want := range tests {
		if got := do(s, http.MethodGet, target).Body.String(); got != want {
			t.Errorf("%s: got %q, want %q", target, got, want)
		}
	}
}

// hasSkipCookie is the tests' ViewOptions.Unless: a request with a "skip"
// cookie bypasses the view cache.
func hasSkipCookie(r *http.Request) bool {
	_, err := r.Cookie("skip")
	return err == nil
}
