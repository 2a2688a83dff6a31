package web

import (
	"bytes"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/echocache/scaffold/generated-example/internal/cache"
	"github.com/echocache/scaffold/generated-example/internal/config"
	"github.com/echocache/scaffold/generated-example/internal/memcachedtest"
)

// newTestServer returns a Server on an in-memory cache and a buffer that
// collects its logs.
func newTestServer(t *testing.T, cfg config.Config) (*Server, *bytes.Buffer) {
	t.Helper()
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	return newServerWithCache(t, cfg, cache.NewMemory(0, logger), logger), &logs
}

func newServerWithCache(t *testing.T, cfg config.Config, c *cache.Cache, logger *slog.Logger) *Server {
	t.Helper()
	s, err := NewServer(cfg, c, logger)
	if err != nil {
		t.Fatalf("NewServer: %v", err)
	}
	return s
}

// do serves one request and returns the recorded response.
func do(s http.Handler, method, target string) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest(method, target, nil))
	return rec
}

func TestRoutes(t *testing.T) {
	s, _ := newTestServer(t, config.Config{Port: config.DefaultPort})
	tests := []struct {
		method, target string
		status         int
		contentType    string
		body           string
	}{
		{http.MethodGet, "/", http.StatusOK, "text/html", "in memory: MEMCACHIER_SERVERS is not set"},
		{http.MethodGet, "/cache/stats", http.StatusOK, "application/json", `"kind":"memory"`},
		{http.MethodGet, "/healthz", http.StatusOK, "text/plain", "ok"},
		{http.MethodGet, "/static/style.css", http.StatusOK, "text/css", "font-family"},
		{http.MethodGet, "/no-such-page", http.StatusNotFound, "text/plain", "Not Found"},
		{http.MethodPost, "/", http.StatusMethodNotAllowed, "text/plain", "Method Not Allowed"},
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

func TestIndexShowsConfiguration(t *testing.T) {
	s, _ := newTestServer(t, config.Config{
		MemcachedServers:  []string{"a:11211", "b:11211"},
		MemcachedUsername: "user",
		MemcachedPassword: "pass",
	})
	body := do(s, http.MethodGet, "/").Body.String()
	if !strings.Contains(body, "memcached, 2 servers from MEMCACHIER_SERVERS, with credentials") {
		t.Errorf("index does not describe the memcached servers:\n%s", body)
	}
	if strings.Contains(body, "pass") {
		t.Errorf("index shows the memcached password:\n%s", body)
	}
}

func TestHeadHasNoBody(t *testing.T) {
	s, _ := newTestServer(t, config.Config{})
	rec := do(s, http.MethodHead, "/no-such-page")
	if rec.Code != http.StatusNotFound {
		t.Errorf("got status %d, want 404", rec.Code)
	}
	if rec.Body.Len() != 0 {
		t.Errorf("HEAD response has a body: %q", rec.Body.String())
	}
}

func TestPanicBecomes500(t *testing.T) {
	s, logs := newTestServer(t, config.Config{})
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
	s, logs := newTestServer(t, config.Config{})
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
	s, logs := newTestServer(t, config.Config{})
	do(s, http.MethodGet, "/healthz?x=1")
	line := logs.String()
	for _, want := range []string{"msg=request", "method=GET", `uri="/healthz?x=1"`, "status=200"} {
		if !strings.Contains(line, want) {
			t.Errorf("log %q does not contain %s", line, want)
		}
	}
}

func TestVisitCounter(t *testing.T) {
	s, _ := newTestServer(t, config.Config{})
	for _, want := range []string{"visited 1 time ", "visited 2 times"} {
		if body := do(s, http.MethodGet, "/").Body.String(); !strings.Contains(body, want) {
			t.Errorf("page does not say %q:\n%s", want, body)
		}
	}
}

// TestServesWithMemcachedDown: with memcached gone, pages are still 200,
// fast, and say that the counter is unavailable.
func TestServesWithMemcachedDown(t *testing.T) {
	srv := memcachedtest.Start(t)
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	c, err := cache.NewMemcached(cache.MemcachedOptions{Servers: []string{srv.Addr}, Timeout: 200 * time.Millisecond}, logger)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	s := newServerWithCache(t, config.Config{MemcachedServers: []string{srv.Addr}}, c, logger)

	if body := do(s, http.MethodGet, "/").Body.String(); !strings.Contains(body, "visited 1 time") {
		t.Fatalf("with memcached up, page does not count the visit:\n%s", body)
	}
	srv.Stop()
	start := time.Now()
	for i := 0; i < 50; i++ {
		rec := do(s, http.MethodGet, "/")
		if rec.Code != http.StatusOK {
			t.Fatalf("request %d with memcached down: status %d, want 200", i, rec.Code)
		}
		if !strings.Contains(rec.Body.String(), "counter is unavailable") {
			t.Fatalf("page does not say the counter is unavailable:\n%s", rec.Body.String())
		}
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("50 pages with memcached down took %v", d)
	}
}
