package web

import (
	"context"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/echocache/scaffold/generated-example/internal/cache"
	"github.com/echocache/scaffold/generated-example/internal/memcachedtest"
	"github.com/echocache/scaffold/generated-example/internal/tasks"
	"github.com/echocache/scaffold/generated-example/internal/testlog"
)

// TestTaskDemo walks through the demo as a visitor would, on both caches:
// the page is a cached view, adding and deleting redirect with a flash
// message shown once to that visitor only, in a hole of the cached page,
// and each change shows at once.
func TestTaskDemo(t *testing.T) {
	for name, newServer := range caches(t) {
		t.Run(name, func(t *testing.T) {
			s := newServer(t)
			store := tasks.NewMemory()
			s.ServeTasks(store)
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
			if page.Header().Get("X-Cache") != "MISS" || page.Header().Get("Cache-Control") != "private, no-store" {
				t.Errorf("the flash page: X-Cache %q, Cache-Control %q; want the page rendered after the change, private, no-store",
					page.Header().Get("X-Cache"), page.Header().Get("Cache-Control"))
			}
			if again := alice.get("/").Body.String(); strings.Contains(again, "Task added.") {
				t.Error("the flash message was shown twice")
			}
			bobsPage := bob.get("/")
			bobs := bobsPage.Body.String()
			if strings.Contains(bobs, "Task added.") {
				t.Error("bob sees alice's flash message")
			}
			if bobsPage.Header().Get("X-Cache") != "HIT" {
				t.Errorf("bob's page after alice's: X-Cache %q, want HIT: the page rendered with her flash is stored without it", bobsPage.Header().Get("X-Cache"))
			}
			if !strings.Contains(bobs, "Buy &lt;milk&gt;") {
				t.Error("bob does not see the new task: the view was not invalidated")
			}

			list, err := store.List(context.Background())
			if err != nil || len(list) != 1 {
				t.Fatalf("the store holds %v (%v), want one task", list, err)
			}
			task := list[0]
			s.fragments.Wait()
			rows := s.cache.Namespace(store.Namespace()).InLayer(cache.LayerFragments)
			key := (&taskPages{fragments: s.newFragments(s.cache)}).taskFragmentKey(task)
			if _, ok := rows.Get(key); !ok {
				t.Error("the task's row is not a cached fragment")
			}
			rec = alice.do(http.MethodPost, "/tasks/"+strconv.FormatInt(task.ID, 10)+"/delete", nil)
			if rec.Code != http.StatusSeeOther {
				t.Fatalf("delete: got %d, want 303", rec.Code)
			}
			if _, ok := rows.Get(key); ok {
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

// TestListIsFull: past tasks.MaxTasks, adding stores nothing and says why.
func TestListIsFull(t *testing.T) {
	s, _ := newTestServer(t, Options{})
	store := tasks.NewMemory()
	s.ServeTasks(store)
	for i := 0; i < tasks.MaxTasks; i++ {
		if _, err := store.Add(context.Background(), "task "+strconv.Itoa(i)); err != nil {
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
	s, _ := newTestServer(t, Options{})
	store := tasks.NewMemory()
	s.ServeTasks(store)
	if body := do(s, http.MethodGet, "/").Body.String(); !strings.Contains(body, "was loaded\n  from memory at") {
		t.Errorf("first view does not say the list was loaded from memory:\n%s", body)
	}
	s.cache.Namespace(store.Namespace()).DeleteView("/")
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
	s, logs := newTestServer(t, Options{})
	s.ServeTasks(&unavailableStore{tasks.NewMemory()})
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

// TestAddRejectsBadTitles: empty, too long and unstorable titles are
// refused with a message, and so are control characters (C0, DEL, C1) and
// the invisible characters that reorder text (bidi overrides, embeddings,
// isolates and marks, as in "Trojan Source"), or break lines.
func TestAddRejectsBadTitles(t *testing.T) {
	for _, title := range []string{
		"", "   ", strings.Repeat("x", maxTitle+1), "a\x00b", "bad \xff utf-8",
		"a\tb", "a\nb", "a\rb", "a\x1b[31mred", "a\x7fb", "a\u0085b", "a\u009bb",
		"invoice\u202egpj.exe", "a\u202ab", "a\u202bb", "a\u202cb", "a\u202db",
		"\u2066a\u2069", "\u2067a\u2069", "\u2068a\u2069", "a\u200eb", "a\u200fb", "a\u061cb",
		"a\u2028b", "a\u2029b",
	} {
		s, _ := newTestServer(t, Options{})
		s.ServeTasks(tasks.NewMemory())
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

// TestAddKeepsOrdinaryText: letters of any script, right-to-left ones
// included, punctuation and symbols are stored as typed.
func TestAddKeepsOrdinaryText(t *testing.T) {
	s, _ := newTestServer(t, Options{})
	s.ServeTasks(tasks.NewMemory())
	for _, title := range []string{"Café ☕ 日本語", "שלום עולם", "مرحبا", "50% off — \"quotes\" & <tags>"} {
		b := newBrowser(t, s)
		b.do(http.MethodPost, "/tasks", url.Values{"title": {title}})
		if body := b.get("/").Body.String(); !strings.Contains(body, template.HTMLEscapeString(title)) || !strings.Contains(body, "Task added.") {
			t.Errorf("title %q was not added:\n%s", title, body)
		}
	}
}

// TestViewCacheIsNotPoisoned: a request with a forged Host or
// X-Forwarded-Host is served the same page as everyone, and what it
// caches holds nothing of those headers.
func TestViewCacheIsNotPoisoned(t *testing.T) {
	s, _ := newTestServer(t, Options{})
	s.ServeTasks(tasks.NewMemory())
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
	s, _ := newTestServer(t, Options{})
	s.ServeTasks(tasks.NewMemory())
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

// TestServesWithMemcachedDown: tasks are added and pages served with
// memcached stopped or hung. A stopped server refuses at once; a hung one
// could make every request wait, so there the test counts what reaches it:
// once the cache has seen it time out, requests neither connect to it nor
// send it anything.
func TestServesWithMemcachedDown(t *testing.T) {
	for _, name := range []string{"stopped", "hung"} {
		t.Run(name, func(t *testing.T) {
			srv := memcachedtest.Start(t)
			addr, down := srv.Addr, srv.Stop
			var relay *memcachedtest.Relay
			if name == "hung" {
				relay = memcachedtest.StartRelay(t, srv.Addr)
				addr, down = relay.Addr, relay.Hang
			}
			logger := slog.New(slog.NewTextHandler(&testlog.Buffer{}, nil))
			// The retry timeout outlasts the test, so the cache never probes
			// the server and every connection the relay sees is a request's.
			c, err := cache.NewMemcached(cache.MemcachedOptions{
				Servers:      []string{addr},
				Timeout:      200 * time.Millisecond,
				RetryTimeout: time.Hour,
				DeadTimeout:  time.Hour,
			}, logger)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			s := newServerWithCache(t, Options{}, c, logger)
			s.ServeTasks(tasks.NewMemory())
			b := newBrowser(t, s)
			b.do(http.MethodPost, "/tasks", url.Values{"title": {"before"}})

			down()
			add := func(title string) {
				t.Helper()
				if rec := b.do(http.MethodPost, "/tasks", url.Values{"title": {title}}); rec.Code != http.StatusSeeOther {
					t.Fatalf("add with memcached %s: status %d", name, rec.Code)
				}
				if rec := b.get("/"); rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), title) {
					t.Fatalf("page with memcached %s: status %d\n%s", name, rec.Code, rec.Body.String())
				}
			}
			add("first during")
			var conns int
			var sent int64
			if relay != nil {
				conns, sent = relay.Conns(), relay.Sent()
			}
			for i := 0; i < 20; i++ {
				add(fmt.Sprint("during ", i))
			}
			if relay == nil {
				return
			}
			if dials, bytes := relay.Conns()-conns, relay.Sent()-sent; dials != 0 || bytes != 0 {
				t.Errorf("40 requests after memcached hung opened %d connections to it and sent it %d bytes, want none", dials, bytes)
			}
		})
	}
}

// TestRenderedPagesHaveALength: a rendered page says its length, so that
// net/http sends it as it is rather than in chunks, which cost a page of
// more than 2 KB an extra write.
func TestRenderedPagesHaveALength(t *testing.T) {
	s, _ := newTestServer(t, Options{})
	store := tasks.NewMemory()
	s.ServeTasks(store)
	for i := range 20 {
		if _, err := store.Add(context.Background(), "Task number "+strconv.Itoa(i)); err != nil {
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

// TestViewsOff: with the view layer off, every request renders the page,
// with the flash message in place, shown once, and nothing of the view
// cache in the answer, while the memoized list and the rows' fragments are
// still served from the cache.
func TestViewsOff(t *testing.T) {
	for name, newServer := range cachesWith(t, Options{NoViews: true}) {
		t.Run(name, func(t *testing.T) {
			s := newServer(t)
			s.ServeTasks(tasks.NewMemory())
			alice := newBrowser(t, s)
			alice.do(http.MethodPost, "/tasks", url.Values{"title": {"one"}})
			if body := alice.get("/").Body.String(); !strings.Contains(body, "Task added.") || strings.Contains(body, "<!--hole") {
				t.Errorf("the page after adding lacks the message, or has a hole's mark:\n%s", body)
			}
			s.fragments.Wait()
			before := s.cache.Stats().Layers
			for range 2 {
				rec := alice.get("/")
				if body := rec.Body.String(); rec.Header().Get("X-Cache") != "" || strings.Contains(body, "Task added.") || !strings.Contains(body, "one") || !strings.Contains(body, "the view layer is off") {
					t.Errorf("X-Cache %q, want none, and the list without the message, saying the view layer is off:\n%s", rec.Header().Get("X-Cache"), rec.Body)
				}
			}
			after := s.cache.Stats().Layers
			for _, l := range []cache.Layer{cache.LayerMemoize, cache.LayerFragments} {
				if hits := after[l].Hits - before[l].Hits; hits != 2 {
					t.Errorf("%s: %d hits in two pages, want 2", after[l].Name, hits)
				}
			}
			if views := after[cache.LayerViews]; views.Hits+views.Misses != 0 {
				t.Errorf("the view layer counted %+v", views)
			}
		})
	}
}
