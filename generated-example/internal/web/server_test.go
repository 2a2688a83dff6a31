package web

import (
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/echocache/scaffold/generated-example/internal/cache"
	"github.com/echocache/scaffold/generated-example/internal/memcachedtest"
	"github.com/echocache/scaffold/generated-example/internal/testlog"
)

// newTestServer returns a Server with the routes every app has, on an
// in-memory cache, and a buffer that collects its logs. Tests add the
// pages they need, as run.go does.
func newTestServer(t *testing.T, opts Options) (*Server, *testlog.Buffer) {
	t.Helper()
	logs := &testlog.Buffer{}
	logger := slog.New(slog.NewTextHandler(logs, nil))
	return newServerWithCache(t, opts, cache.NewMemory(0, logger), logger), logs
}

func newServerWithCache(t *testing.T, opts Options, c *cache.Cache, logger *slog.Logger) *Server {
	t.Helper()
	s, err := NewServer(opts, c, logger)
	if err != nil {
		t.Fatalf("NewServer: %v", err)
	}
	return s
}

// caches returns a Server factory per cache backend, for tests that must
// hold on both.
func caches(t *testing.T) map[string]func(t *testing.T) *Server {
	return cachesWith(t, Options{})
}

// cachesWith is caches for servers with the options opts.
func cachesWith(t *testing.T, opts Options) map[string]func(t *testing.T) *Server {
	srv := memcachedtest.Start(t)
	return map[string]func(t *testing.T) *Server{
		"memory": func(t *testing.T) *Server {
			s, _ := newTestServer(t, opts)
			return s
		},
		"memcached": func(t *testing.T) *Server {
			logger := slog.New(slog.NewTextHandler(&testlog.Buffer{}, nil))
			c, err := cache.NewMemcached(cache.MemcachedOptions{Servers: []string{srv.Addr}}, logger)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { c.Close() })
			// One server for all subtests: start each from an empty cache.
			c.DeleteView("/")
			return newServerWithCache(t, opts, c, logger)
		},
	}
}

// browser is a client with a cookie jar, talking to the handler directly.
type browser struct {
	t       testing.TB
	h       http.Handler
	cookies map[string]*http.Cookie
	header  http.Header // extra request headers
}

func newBrowser(t testing.TB, h http.Handler) *browser {
	return &browser{t: t, h: h, cookies: make(map[string]*http.Cookie), header: make(http.Header)}
}

func (b *browser) do(method, target string, form url.Values) *httptest.ResponseRecorder {
	b.t.Helper()
	var body *strings.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	} else {
		body = strings.NewReader("")
	}
	req := httptest.NewRequest(method, target, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range b.header {
		req.Header[k] = v
	}
	for _, c := range b.cookies {
		req.AddCookie(c)
	}
	rec := httptest.NewRecorder()
	b.h.ServeHTTP(rec, req)
	for _, c := range rec.Result().Cookies() {
		if c.MaxAge < 0 {
			delete(b.cookies, c.Name)
		} else {
			b.cookies[c.Name] = c
		}
	}
	return rec
}

func (b *browser) get(target string) *httptest.ResponseRecorder {
	b.t.Helper()
	return b.do(http.MethodGet, target, nil)
}

// do serves one request without cookies and returns the recorded response.
func do(s http.Handler, method, target string) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest(method, target, nil))
	return rec
}

func TestRoutes(t *testing.T) {
	s, _ := newTestServer(t, Options{})
	tests := []struct {
		method, target string
		status         int
		contentType    string
		body           string
	}{
		{http.MethodGet, "/healthz", http.StatusOK, "text/plain", "ok"},
		{http.MethodGet, "/cache/stats", http.StatusOK, "application/json", `"kind":"memory"`},
		{http.MethodGet, "/static/style.css", http.StatusOK, "text/css", "font-family"},
		{http.MethodGet, "/no-such-page", http.StatusNotFound, "text/plain", "Not Found"},
		{http.MethodPut, "/healthz", http.StatusMethodNotAllowed, "text/plain", "Method Not Allowed"},
		{http.MethodGet, "/cache/", http.StatusOK, "text/html", "<strong>memory</strong>"},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.target, func(t *testing.T) {
			rec := do(s, tt.method, tt.target)
			if rec.Code != tt.status {
				t.Errorf("got status %d, want %d", rec.Code, tt.status)
			}
			if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, tt.contentType) {
				t.Errorf("got Content-Type %q, want %s", ct, tt.contentType)
			}
			if !strings.Contains(rec.Body.String(), tt.body) {
				t.Errorf("body %q does not contain %q", rec.Body.String(), tt.body)
			}
		})
	}
}

func TestHeadHasNoBody(t *testing.T) {
	s, _ := newTestServer(t, Options{})
	rec := do(s, http.MethodHead, "/no-such-page")
	if rec.Code != http.StatusNotFound {
		t.Errorf("got status %d, want 404", rec.Code)
	}
	if rec.Body.Len() != 0 {
		t.Errorf("HEAD response has a body: %q", rec.Body.String())
	}
}

func TestPanicBecomes500(t *testing.T) {
	s, logs := newTestServer(t, Options{})
	s.echo.GET("/panic", func(c echo.Context) error { panic("boom") })
	rec := do(s, http.MethodGet, "/panic")
	if rec.Code != http.StatusInternalServerError {
		t.Errorf("got status %d, want 500", rec.Code)
	}
	if !strings.Contains(logs.String(), "boom") {
		t.Errorf("panic not logged; logs:\n%s", logs)
	}
	if rec := do(s, http.MethodGet, "/healthz"); rec.Code != http.StatusOK {
		t.Errorf("after a panic, /healthz got status %d, want 200", rec.Code)
	}
}

func TestErrorIsLoggedOnce(t *testing.T) {
	s, logs := newTestServer(t, Options{})
	s.echo.GET("/fail", func(c echo.Context) error { return errors.New("disk on fire") })
	rec := do(s, http.MethodGet, "/fail")
	if rec.Code != http.StatusInternalServerError {
		t.Errorf("got status %d, want 500", rec.Code)
	}
	if strings.Contains(rec.Body.String(), "disk on fire") {
		t.Errorf("internal error leaked to the client: %q", rec.Body.String())
	}
	if n := strings.Count(logs.String(), "disk on fire"); n != 1 {
		t.Errorf("error logged %d times, want once; logs:\n%s", n, logs)
	}
}

func TestRequestLogLine(t *testing.T) {
	s, logs := newTestServer(t, Options{})
	do(s, http.MethodGet, "/healthz?x=1")
	line := logs.String()
	for _, want := range []string{"msg=request", "method=GET", `uri="/healthz?x=1"`, "status=200"} {
		if !strings.Contains(line, want) {
			t.Errorf("log %q does not contain %s", line, want)
		}
	}
}

// TestRequestLogIsBounded: a made-up URI or method of hundreds of KB (net/http
// reads request lines of up to 1 MB) is logged cut to a bounded length,
// marked as cut, with its full length beside it.
func TestRequestLogIsBounded(t *testing.T) {
	long := strings.Repeat("a", 900<<10)
	tests := []struct {
		name, method, target string
		attr                 string // the attribute that holds the full length
		full                 int
	}{
		{"uri", http.MethodGet, "/" + long, "uri_bytes", len(long) + 1},
		{"method", long, "/healthz", "method_bytes", len(long)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, logs := newTestServer(t, Options{})
			do(s, tt.method, tt.target)
			line := logs.String()
			if len(line) > 2<<10 {
				t.Errorf("got a log line of %d bytes, want at most 2 KB", len(line))
			}
			if want := tt.attr + "=" + strconv.Itoa(tt.full); !strings.Contains(line, want) {
				t.Errorf("log %.300q... does not contain %s", line, want)
			}
			if want := strings.Repeat("a", 100) + "..."; !strings.Contains(line, want) {
				t.Errorf("log %.300q... does not mark the cut with ...", line)
			}
		})
	}
}
