package web

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/echocache/scaffold/generated-example/internal/cache"
	"github.com/echocache/scaffold/generated-example/internal/config"
	"github.com/echocache/scaffold/generated-example/internal/memcachedtest"
	"github.com/echocache/scaffold/generated-example/internal/session"
	"github.com/echocache/scaffold/generated-example/internal/tasks"
)

// newTestServer returns a Server on an in-memory cache and a buffer that
// collects its logs.
func newTestServer(t *testing.T, cfg config.Config) (*Server, *memcachedtest.LogBuffer) {
	t.Helper()
	logs := &memcachedtest.LogBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, nil))
	return newServerWithCache(t, cfg, cache.NewMemory(0, logger), logger), logs
}

func newServerWithCache(t *testing.T, cfg config.Config, c *cache.Cache, logger *slog.Logger) *Server {
	t.Helper()
	sessions := session.NewStore(c, session.Options{}, []byte(strings.Repeat("k", 32)))
	s, err := NewServer(cfg, c, tasks.NewMemory(), sessions, logger)
	if err != nil {
		t.Fatalf("NewServer: %v", err)
	}
	return s
}

// caches returns a Server factory per cache backend, for tests that must
// hold on both.
func caches(t *testing.T) map[string]func(t *testing.T) *Server {
	srv := memcachedtest.Start(t)
	return map[string]func(t *testing.T) *Server{
		"memory": func(t *testing.T) *Server {
			s, _ := newTestServer(t, config.Config{})
			return s
		},
		"memcached": func(t *testing.T) *Server {
			logger := slog.New(slog.NewTextHandler(&memcachedtest.LogBuffer{}, nil))
			c, err := cache.NewMemcached(cache.MemcachedOptions{Servers: []string{srv.Addr}}, logger)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { c.Close() })
			// One server for all subtests: start each from an empty cache.
			c.DeleteView("/")
			return newServerWithCache(t, config.Config{MemcachedServers: []string{srv.Addr}}, c, logger)
		},
	}
}

// browser is a client with a cookie jar, talking to the handler directly.
type browser struct {
	t       *testing.T
	h       http.Handler
	cookies map[string]*http.Cookie
	header  http.Header // extra request headers
}

func newBrowser(t *testing.T, h http.Handler) *browser {
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
	s, _ := newTestServer(t, config.Config{Port: config.DefaultPort})
	tests := []struct {
		method, target string
		status         int
		contentType    string
		body           string
	}{
		{http.MethodGet, "/", http.StatusOK, "text/html", "No tasks yet."},
		{http.MethodGet, "/healthz", http.StatusOK, "text/plain", "ok"},
		{http.MethodGet, "/cache/stats", http.StatusOK, "application/json", `"kind":"memory"`},
		{http.MethodGet, "/static/style.css", http.StatusOK, "text/css", "font-family"},
		{http.MethodGet, "/no-such-page", http.StatusNotFound, "text/plain", "Not Found"},
		{http.MethodPut, "/", http.StatusMethodNotAllowed, "text/plain", "Method Not Allowed"},
		{http.MethodPost, "/tasks/abc/delete", http.StatusNotFound, "text/plain", "Not Found"},
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

// TestTaskDemo walks through the demo as a visitor would, on both caches:
// the page is a cached view, adding and deleting redirect with a flash
// message shown once to that visitor only, and each change shows at once.
func TestTaskDemo(t *testing.T) {
	for name, newServer := range caches(t) {
		t.Run(name, func(t *testing.T) {
			s := newServer(t)
			alice, bob := newBrowser(t, s), newBrowser(t, s)

			first := bob.get("/")
			if got := first.Header().Get("X-Cache"); got != "MISS" {
				t.Errorf("first view: X-Cache %q, want MISS", got)
			}
			second := bob.get("/")
			if got := second.Header().Get("X-Cache"); got != "HIT" {
				t.Errorf("second view: X-Cache %q, want HIT", got)
			}
			if second.Body.String() != first.Body.String() || second.Code != first.Code ||
				second.Header().Get("Content-Type") != first.Header().Get("Content-Type") {
				t.Error("a hit differs from the page it was cached from")
			}

			rec := alice.do(http.MethodPost, "/tasks", url.Values{"title": {"Buy <milk>"}})
			if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/" {
				t.Fatalf("add: got %d to %q, want 303 to /", rec.Code, rec.Header().Get("Location"))
			}
			page := alice.get("/")
			body := page.Body.String()
			if !strings.Contains(body, "Task added.") || !strings.Contains(body, "Buy &lt;milk&gt;") {
				t.Errorf("after adding, alice's page lacks the flash or the task:\n%s", body)
			}
			if page.Header().Get("X-Cache") != "BYPASS" || !strings.Contains(page.Header().Get("Cache-Control"), "no-store") {
				t.Errorf("the flash page went through the view cache or is storable: X-Cache %q, Cache-Control %q",
					page.Header().Get("X-Cache"), page.Header().Get("Cache-Control"))
			}
			if again := alice.get("/").Body.String(); strings.Contains(again, "Task added.") {
				t.Error("the flash message was shown twice")
			}
			bobs := bob.get("/").Body.String()
			if strings.Contains(bobs, "Task added.") {
				t.Error("bob sees alice's flash message")
			}
			if !strings.Contains(bobs, "Buy &lt;milk&gt;") {
				t.Error("bob does not see the new task: the view was not invalidated")
			}

			list, err := s.tasks.List(context.Background())
			if err != nil || len(list) != 1 {
				t.Fatalf("the store holds %v (%v), want one task", list, err)
			}
			task := list[0]
			s.fragments.Wait()
			if _, ok := s.cache.Get(taskFragmentKey(task)); !ok {
				t.Error("the task's row is not a cached fragment")
			}
			rec = alice.do(http.MethodPost, "/tasks/"+strconv.FormatInt(task.ID, 10)+"/delete", nil)
			if rec.Code != http.StatusSeeOther {
				t.Fatalf("delete: got %d, want 303", rec.Code)
			}
			if _, ok := s.cache.Get(taskFragmentKey(task)); ok {
				t.Error("the deleted task's fragment is still cached")
			}
			if body := alice.get("/").Body.String(); !strings.Contains(body, "Task deleted.") || strings.Contains(body, "Buy &lt;milk&gt;") {
				t.Errorf("after deleting, alice's page:\n%s", body)
			}
			if body := bob.get("/").Body.String(); strings.Contains(body, "Buy &lt;milk&gt;") {
				t.Error("bob still sees the deleted task")
			}
		})
	}
}

// TestSessionDemo mirrors MemCachier's Flask example (/set/ and /get/)
// and walks through the counter, log in and log out.
func TestSessionDemo(t *testing.T) {
	for name, newServer := range caches(t) {
		t.Run(name, func(t *testing.T) {
			s := newServer(t)
			b := newBrowser(t, s)
			if got := b.get("/get/").Body.String(); got != "not set" {
				t.Errorf("/get/ before /set/: %q, want \"not set\"", got)
			}
			if got := b.get("/set/").Body.String(); got != "ok" {
				t.Errorf("/set/: %q, want ok", got)
			}
			if got := b.get("/get/").Body.String(); got != "value" {
				t.Errorf("/get/ after /set/: %q, want value", got)
			}
			if got := newBrowser(t, s).get("/get/").Body.String(); got != "not set" {
				t.Errorf("another visitor's /get/: %q, want \"not set\"", got)
			}

			for i, want := range []string{"seen this page 1 time in", "seen this page 2 times"} {
				if body := b.get("/session/").Body.String(); !strings.Contains(body, want) {
					t.Errorf("visit %d: page lacks %q:\n%s", i+1, want, body)
				}
			}
			before := b.cookies[sessionName].Value
			if rec := b.do(http.MethodPost, "/session/login", nil); rec.Code != http.StatusSeeOther {
				t.Fatalf("log in: status %d", rec.Code)
			}
			if b.cookies[sessionName] == nil || b.cookies[sessionName].Value == before {
				t.Error("logging in kept the session ID")
			}
			body := b.get("/session/").Body.String()
			if !strings.Contains(body, "Logged in as <strong>demo visitor</strong>") || !strings.Contains(body, "3 times") {
				t.Errorf("after log in, the page lost the session's data:\n%s", body)
			}
			rec := b.do(http.MethodPost, "/session/logout", nil)
			if !strings.Contains(rec.Header().Get("Cache-Control"), "no-store") {
				t.Errorf("log out: Cache-Control %q, want no-store", rec.Header().Get("Cache-Control"))
			}
			if _, ok := b.cookies[sessionName]; ok {
				t.Error("log out did not expire the cookie")
			}
			if body := b.get("/session/").Body.String(); !strings.Contains(body, "Not logged in") || !strings.Contains(body, "1 time in") {
				t.Errorf("after log out:\n%s", body)
			}
		})
	}
}

// TestHeaderFollowsLogin: every page's header shows who is logged in. The
// home page stays one cached copy for visitors without a session, and a
// logged-in visitor always sees their own header, whichever order the
// requests come in, on both caches.
func TestHeaderFollowsLogin(t *testing.T) {
	const loggedIn = "Logged in as <strong>demo visitor</strong>"
	for name, newServer := range caches(t) {
		for _, order := range []string{"anonymous first", "logged in first"} {
			t.Run(name+"/"+order, func(t *testing.T) {
				s := newServer(t)
				anonymous := func(xcache string) {
					t.Helper()
					rec := do(s, http.MethodGet, "/")
					body := rec.Body.String()
					if rec.Header().Get("X-Cache") != xcache || strings.Contains(body, loggedIn) || !strings.Contains(body, `action="/session/login"`) {
						t.Errorf("anonymous: X-Cache %q, want %s and a Log in button:\n%s", rec.Header().Get("X-Cache"), xcache, body)
					}
					if len(rec.Result().Cookies()) != 0 {
						t.Errorf("the home page set cookies for an anonymous visitor: %v", rec.Result().Cookies())
					}
				}
				alice := newBrowser(t, s)
				if rec := alice.do(http.MethodPost, "/session/login", nil); rec.Code != http.StatusSeeOther {
					t.Fatalf("log in: status %d", rec.Code)
				}
				aliceSees := func() {
					t.Helper()
					rec := alice.get("/")
					if body := rec.Body.String(); !strings.Contains(body, loggedIn) || !strings.Contains(body, `action="/session/logout"`) {
						t.Errorf("alice's home page lacks her name or a Log out button:\n%s", body)
					}
					if rec.Header().Get("X-Cache") != "BYPASS" {
						t.Errorf("alice's home page: X-Cache %q, want BYPASS", rec.Header().Get("X-Cache"))
					}
				}
				if order == "anonymous first" {
					anonymous("MISS")
					anonymous("HIT")
					aliceSees()
					anonymous("HIT")
				} else {
					aliceSees()
					anonymous("MISS")
					aliceSees()
					anonymous("HIT")
				}
				if body := alice.get("/session/").Body.String(); !strings.Contains(body, loggedIn) {
					t.Errorf("the session page's header lacks alice's name:\n%s", body)
				}
				alice.do(http.MethodPost, "/session/logout", nil)
				if rec := alice.get("/"); strings.Contains(rec.Body.String(), loggedIn) || rec.Header().Get("X-Cache") != "HIT" {
					t.Errorf("after log out: X-Cache %q, name shown %v; want the shared page", rec.Header().Get("X-Cache"), strings.Contains(rec.Body.String(), loggedIn))
				}
			})
		}
	}
}

// TestSessionWithoutLoginBypassesTheCache: any visitor with a session, even
// one only holding /set/'s value, gets a page rendered for them, which
// sets no cookie.
func TestSessionWithoutLoginBypassesTheCache(t *testing.T) {
	s, _ := newTestServer(t, config.Config{})
	b := newBrowser(t, s)
	b.get("/set/")
	rec := b.get("/")
	if len(rec.Result().Cookies()) != 0 {
		t.Errorf("the task page set cookies: %v", rec.Result().Cookies())
	}
	if rec.Header().Get("X-Cache") != "BYPASS" {
		t.Errorf("a visitor with a session: X-Cache %q, want BYPASS", rec.Header().Get("X-Cache"))
	}
}

// TestListIsFull: past tasks.MaxTasks, adding stores nothing and says why.
func TestListIsFull(t *testing.T) {
	s, _ := newTestServer(t, config.Config{})
	for i := 0; i < tasks.MaxTasks; i++ {
		if _, err := s.tasks.Add(context.Background(), "task "+strconv.Itoa(i)); err != nil {
			t.Fatal(err)
		}
	}
	b := newBrowser(t, s)
	if rec := b.do(http.MethodPost, "/tasks", url.Values{"title": {"one too many"}}); rec.Code != http.StatusSeeOther {
		t.Fatalf("add to a full list: status %d, want 303", rec.Code)
	}
	body := b.get("/").Body.String()
	if !strings.Contains(body, "The list is full: delete a task first.") {
		t.Errorf("no message says the list is full:\n%s", body)
	}
	if strings.Contains(body, "one too many") {
		t.Error("the task was added to a full list")
	}
	if n := strings.Count(body, `class="title"`); n != tasks.MaxTasks {
		t.Errorf("the page shows %d tasks, want %d", n, tasks.MaxTasks)
	}
}

// TestIndexSaysWhereTheListCameFrom: the first view loads the list from
// the store, the next ones get it from the memoized query.
func TestIndexSaysWhereTheListCameFrom(t *testing.T) {
	s, _ := newTestServer(t, config.Config{})
	if body := do(s, http.MethodGet, "/").Body.String(); !strings.Contains(body, "was loaded\n  from memory at") {
		t.Errorf("first view does not say the list was loaded from memory:\n%s", body)
	}
	s.cache.DeleteView("/")
	if body := do(s, http.MethodGet, "/").Body.String(); !strings.Contains(body, "came from the memoized query") {
		t.Errorf("second view does not say the list was memoized:\n%s", body)
	}
}

// unavailableStore is a tasks.Store whose database is down.
type unavailableStore struct{ *tasks.Memory }

func (*unavailableStore) List(context.Context) ([]tasks.Task, error) {
	return nil, fmt.Errorf("list tasks: %w: connection refused", tasks.ErrUnavailable)
}

func (*unavailableStore) Add(context.Context, string) (tasks.Task, error) {
	return tasks.Task{}, fmt.Errorf("add task: %w: connection refused", tasks.ErrUnavailable)
}

// TestStoreUnavailableIs503: a request that needs a store that is down
// gets a plain 503, logged once, and other pages are not affected.
func TestStoreUnavailableIs503(t *testing.T) {
	logs := &memcachedtest.LogBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, nil))
	c := cache.NewMemory(0, logger)
	sessions := session.NewStore(c, session.Options{}, []byte(strings.Repeat("k", 32)))
	s, err := NewServer(config.Config{}, c, &unavailableStore{tasks.NewMemory()}, sessions, logger)
	if err != nil {
		t.Fatal(err)
	}
	for _, req := range []*http.Request{
		httptest.NewRequest(http.MethodGet, "/", nil),
		httptest.NewRequest(http.MethodPost, "/tasks", strings.NewReader("title=lost")),
	} {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		if rec.Code != http.StatusServiceUnavailable || strings.TrimSpace(rec.Body.String()) != "Service Unavailable" {
			t.Errorf("%s %s: got %d %q, want 503 Service Unavailable", req.Method, req.URL, rec.Code, rec.Body.String())
		}
	}
	if n := strings.Count(logs.String(), "connection refused"); n != 2 {
		t.Errorf("2 failed requests logged the error %d times, want once each:\n%s", n, logs)
	}
	if rec := do(s, http.MethodGet, "/healthz"); rec.Code != http.StatusOK {
		t.Errorf("/healthz: got %d, want 200: it does not need the store", rec.Code)
	}
}

func TestAddRejectsBadTitles(t *testing.T) {
	s, _ := newTestServer(t, config.Config{})
	for _, title := range []string{"", "   ", strings.Repeat("x", maxTitle+1), "a\x00b", "bad \xff utf-8"} {
		b := newBrowser(t, s)
		b.do(http.MethodPost, "/tasks", url.Values{"title": {title}})
		body := b.get("/").Body.String()
		if !strings.Contains(body, "No tasks yet.") {
			t.Errorf("title %q was accepted", title)
		}
		if !strings.Contains(body, `class="flash"`) {
			t.Errorf("title %q: no message explains the refusal", title)
		}
	}
}

// TestViewCacheIsNotPoisoned: a request with a forged Host or
// X-Forwarded-Host is served the same page as everyone, and what it
// caches holds nothing of those headers.
func TestViewCacheIsNotPoisoned(t *testing.T) {
	s, _ := newTestServer(t, config.Config{})
	evil := newBrowser(t, s)
	evil.header.Set("X-Forwarded-Host", "evil.example")
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.Host = "evil.example"
	req.Header.Set("X-Forwarded-Host", "evil.example")
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	if strings.Contains(rec.Body.String(), "evil.example") {
		t.Fatal("the page shows the forged host")
	}
	next := do(s, http.MethodGet, "/")
	if next.Header().Get("X-Cache") != "HIT" || strings.Contains(next.Body.String(), "evil.example") {
		t.Errorf("after a forged request, the cached page is X-Cache %q and mentions evil.example: %v",
			next.Header().Get("X-Cache"), strings.Contains(next.Body.String(), "evil.example"))
	}
}

func TestHeadOnCachedView(t *testing.T) {
	s, _ := newTestServer(t, config.Config{})
	head := do(s, http.MethodHead, "/")
	if head.Code != http.StatusOK || head.Body.Len() != 0 {
		t.Fatalf("HEAD before any GET: status %d, %d body bytes", head.Code, head.Body.Len())
	}
	if got := do(s, http.MethodGet, "/"); got.Header().Get("X-Cache") != "MISS" || !strings.Contains(got.Body.String(), "No tasks yet.") {
		t.Fatalf("GET after HEAD: X-Cache %q, body %q: the HEAD was stored", got.Header().Get("X-Cache"), got.Body.String())
	}
	head = do(s, http.MethodHead, "/")
	if head.Header().Get("X-Cache") != "HIT" || head.Body.Len() != 0 {
		t.Errorf("HEAD after GET: X-Cache %q, %d body bytes; want HIT and no body", head.Header().Get("X-Cache"), head.Body.Len())
	}
}

func TestServesWithMemcachedDown(t *testing.T) {
	srv := memcachedtest.Start(t)
	logger := slog.New(slog.NewTextHandler(&memcachedtest.LogBuffer{}, nil))
	c, err := cache.NewMemcached(cache.MemcachedOptions{Servers: []string{srv.Addr}, Timeout: 200 * time.Millisecond}, logger)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	s := newServerWithCache(t, config.Config{MemcachedServers: []string{srv.Addr}}, c, logger)
	b := newBrowser(t, s)
	b.do(http.MethodPost, "/tasks", url.Values{"title": {"before"}})

	srv.Stop()
	start := time.Now()
	for i := 0; i < 20; i++ {
		rec := b.do(http.MethodPost, "/tasks", url.Values{"title": {"during"}})
		if rec.Code != http.StatusSeeOther {
			t.Fatalf("add with memcached down: status %d", rec.Code)
		}
		rec = b.get("/")
		if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "during") {
			t.Fatalf("page with memcached down: status %d\n%s", rec.Code, rec.Body.String())
		}
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("40 requests with memcached down took %v", d)
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

// TestRenderedPagesHaveALength: a rendered page says its length, so that
// net/http sends it as it is rather than in chunks, which cost a page of
// more than 2 KB an extra write.
func TestRenderedPagesHaveALength(t *testing.T) {
	s, _ := newTestServer(t, config.Config{})
	for i := range 20 {
		if _, err := s.tasks.Add(context.Background(), "Task number "+strconv.Itoa(i)); err != nil {
			t.Fatal(err)
		}
	}
	for _, target := range []string{"/", "/cache/"} {
		req := httptest.NewRequest(http.MethodGet, target, nil)
		req.Header.Set("Cookie", flashCookie+"=x") // past the view cache
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		if got, want := rec.Header().Get("Content-Length"), strconv.Itoa(rec.Body.Len()); rec.Code != http.StatusOK || got != want {
			t.Errorf("GET %s: got status %d, Content-Length %q, want 200, %q", target, rec.Code, got, want)
		}
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

func TestTaskListBinary(t *testing.T) {
	want := taskList{
		Tasks: []tasks.Task{
			{ID: 1, Title: "Buy <milk>", UpdatedAt: time.Unix(1_800_000_000, 123456789)},
			{ID: 1 << 40, Title: "", UpdatedAt: time.Unix(-5, 0)},
		},
		Source:   "PostgreSQL",
		LoadedAt: time.Unix(1_800_000_001, 42),
	}
	data, err := want.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	var got taskList
	if err := got.UnmarshalBinary(data); err != nil {
		t.Fatalf("UnmarshalBinary: %v", err)
	}
	if len(got.Tasks) != 2 || got.Source != want.Source || !got.LoadedAt.Equal(want.LoadedAt) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	for i := range want.Tasks {
		g, w := got.Tasks[i], want.Tasks[i]
		if g.ID != w.ID || g.Title != w.Title || !g.UpdatedAt.Equal(w.UpdatedAt) {
			t.Errorf("task %d: got %+v, want %+v", i, g, w)
		}
	}
	for _, bad := range [][]byte{nil, data[:len(data)-1], append(append([]byte(nil), data...), 0), {0xff, 0xff, 0xff, 0xff, 0x0f}, []byte(`{"tasks":[]}`)} {
		if err := new(taskList).UnmarshalBinary(bad); err == nil {
			t.Errorf("UnmarshalBinary(%q) succeeded, want an error", bad)
		}
	}
}
