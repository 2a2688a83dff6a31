package cache

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// viewApp is a handler behind Views that counts how often it runs.
type viewApp struct {
	h     http.Handler
	calls atomic.Int64
}

func newViewApp(c *Cache, opts ViewOptions, handler http.HandlerFunc) *viewApp {
	a := &viewApp{}
	a.h = c.Views(opts)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.calls.Add(1)
		handler(w, r)
	}))
	return a
}

func (a *viewApp) do(method, target string, header ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, target, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	a.h.ServeHTTP(rec, req)
	return rec
}

// html is a handler that answers 200 with body as a page.
func html(body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=UTF-8")
		io.WriteString(w, body)
	}
}

// text is a handler that answers status with body as plain text.
func text(status int, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=UTF-8")
		w.WriteHeader(status)
		io.WriteString(w, body)
	}
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
		"/a%2Fb":         "view//a%2Fb",
		"/a/b":           "view//a/b",
		"/caf%C3%A9":     "view//caf%C3%A9",
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
			if _, ok := c.InLayer(LayerViews).Get("view//hello"); !ok {
				t.Error(`the page is not stored under "view//hello"`)
			}
		}},
		{"an escaped slash is another path", func(t *testing.T, c *Cache) {
			a := newViewApp(c, ViewOptions{}, func(w http.ResponseWriter, r *http.Request) {
				html("page of "+r.URL.EscapedPath())(w, r)
			})
			a.do("GET", "/a%2Fb")
			if rec := a.do("GET", "/a/b"); rec.Body.String() != "page of /a/b" || rec.Header().Get("X-Cache") != "MISS" {
				t.Errorf("/a/b after /a%%2Fb: X-Cache %q, body %q; want its own page", rec.Header().Get("X-Cache"), rec.Body)
			}
			if rec := a.do("GET", "/a%2Fb"); rec.Body.String() != "page of /a%2Fb" || rec.Header().Get("X-Cache") != "HIT" {
				t.Errorf("/a%%2Fb again: X-Cache %q, body %q; want its own page from the cache", rec.Header().Get("X-Cache"), rec.Body)
			}
			c.DeleteView("/a%2Fb")
			if rec := a.do("GET", "/a%2Fb"); rec.Header().Get("X-Cache") != "MISS" {
				t.Errorf(`/a%%2Fb after DeleteView("/a%%2Fb"): X-Cache %q, want MISS`, rec.Header().Get("X-Cache"))
			}
			if rec := a.do("GET", "/a/b"); rec.Header().Get("X-Cache") != "HIT" {
				t.Errorf(`/a/b after DeleteView("/a%%2Fb"): X-Cache %q, want HIT`, rec.Header().Get("X-Cache"))
			}
		}},
		{"a page is stored with its content type alone", func(t *testing.T, c *Cache) {
			a := newViewApp(c, ViewOptions{}, func(w http.ResponseWriter, r *http.Request) {
				h := w.Header()
				h.Set("Cache-Control", "public, max-age=60")
				h.Set("Last-Modified", "Mon, 02 Jan 2006 15:04:05 GMT")
				h.Set("Content-Language", "en")
				html("headers")(w, r)
			})
			if rec := a.do("GET", "/headers"); rec.Header().Get("Cache-Control") != "public, max-age=60" {
				t.Errorf("the miss lost the handler's Cache-Control: %q", rec.Header().Get("Cache-Control"))
			}
			hit := a.do("GET", "/headers")
			if hit.Header().Get("X-Cache") != "HIT" || hit.Header().Get("Content-Type") != "text/html; charset=UTF-8" {
				t.Fatalf("X-Cache %q, Content-Type %q; want a hit with the content type", hit.Header().Get("X-Cache"), hit.Header().Get("Content-Type"))
			}
			for _, name := range []string{"Cache-Control", "Last-Modified", "Content-Language"} {
				if v := hit.Header().Get(name); v != "" {
					t.Errorf("the hit replayed %s: %q", name, v)
				}
			}
			if data, _ := storedBody(t, c.InLayer(LayerViews), "view//headers"); strings.Count(string(data), ": ") != 1 {
				t.Errorf("the stored page holds more than its content type:\n%s", data)
			}
		}},
		{"deleting the page, or DeleteView, invalidates it", func(t *testing.T, c *Cache) {
			a := newViewApp(c, ViewOptions{}, html("x"))
			a.do("GET", "/inv")
			c.InLayer(LayerViews).Delete("view/" + "/inv")
			a.do("GET", "/inv")
			a.do("GET", "/inv2")
			c.DeleteView("/inv2")
			a.do("GET", "/inv2")
			if n := a.calls.Load(); n != 4 {
				t.Errorf("handler ran %d times, want 4", n)
			}
		}},
		{"errors are not stored (flask-caching 180)", func(t *testing.T, c *Cache) {
			for _, h := range []http.HandlerFunc{
				text(http.StatusInternalServerError, "oops"),
				http.NotFound,
				func(w http.ResponseWriter, r *http.Request) {}, // wrote nothing
				func(w http.ResponseWriter, r *http.Request) {
					io.WriteString(w, "half a page")
					DoNotStore(r) // and then it failed
				},
			} {
				a := newViewApp(c, ViewOptions{}, h)
				a.do("GET", "/err")
				if rec := a.do("GET", "/err"); rec.Header().Get("X-Cache") == "HIT" || a.calls.Load() != 2 {
					t.Errorf("an error page was served from the cache (status %d)", rec.Code)
				}
			}
		}},
		{"responses that are not for everyone are not stored", func(t *testing.T, c *Cache) {
			withHeader := func(name, value string) http.HandlerFunc {
				return func(w http.ResponseWriter, r *http.Request) {
					w.Header().Set(name, value)
					html("mine")(w, r)
				}
			}
			for name, h := range map[string]http.HandlerFunc{
				"Set-Cookie": func(w http.ResponseWriter, r *http.Request) {
					http.SetCookie(w, &http.Cookie{Name: "session", Value: "alice"})
					html("alice's page")(w, r)
				},
				"private":      withHeader("Cache-Control", "private, max-age=60"),
				"no-store":     withHeader("Cache-Control", "no-store"),
				"Vary: Cookie": withHeader("Vary", "Cookie"),
			} {
				a := newViewApp(c, ViewOptions{}, h)
				a.do("GET", "/private")
				if rec := a.do("GET", "/private"); rec.Header().Get("X-Cache") == "HIT" || a.calls.Load() != 2 {
					t.Errorf("%s: response was stored and served to another request", name)
				}
			}
		}},
		{"an early hint is not the status stored", func(t *testing.T, c *Cache) {
			a := newViewApp(c, ViewOptions{}, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Link", "</static/app.css>; rel=preload; as=style")
				w.WriteHeader(http.StatusEarlyHints)
				html("hinted")(w, r)
			})
			a.do("GET", "/hinted")
			if rec := a.do("GET", "/hinted"); rec.Code != http.StatusOK || rec.Header().Get("X-Cache") != "HIT" || rec.Body.String() != "hinted" {
				t.Errorf("got %d, X-Cache %q, body %q; want the page from the cache", rec.Code, rec.Header().Get("X-Cache"), rec.Body)
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
		{"declared query parameters are part of the key", func(t *testing.T, c *Cache) {
			a := newViewApp(c, ViewOptions{Query: []string{"q", "x"}}, func(w http.ResponseWriter, r *http.Request) {
				io.WriteString(w, "q="+r.URL.Query().Get("q"))
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
		{"other query parameters never reach the handler", func(t *testing.T, c *Cache) {
			a := newViewApp(c, ViewOptions{Query: []string{"page"}}, func(w http.ResponseWriter, r *http.Request) {
				q := r.URL.Query()
				io.WriteString(w, "page="+q.Get("page")+" utm="+q.Get("utm_source")+" raw="+r.URL.RawQuery)
			})
			if got := a.do("GET", "/q").Body.String(); got != "page= utm= raw=" {
				t.Fatalf("got %q", got)
			}
			rec := a.do("GET", "/q?utm_source=mail&r=1")
			if rec.Header().Get("X-Cache") != "HIT" || rec.Body.String() != "page= utm= raw=" {
				t.Errorf("?utm_source=mail: X-Cache %q body %q, want the page of /q from the cache", rec.Header().Get("X-Cache"), rec.Body)
			}
			if got := a.do("GET", "/q?utm_source=mail&page=2").Body.String(); got != "page=2 utm= raw=page=2" {
				t.Errorf("?utm_source=mail&page=2: got %q", got)
			}
			if n := a.calls.Load(); n != 2 {
				t.Errorf("handler ran %d times, want 2", n)
			}
		}},
		{"DeleteView invalidates every variant", func(t *testing.T, c *Cache) {
			a := newViewApp(c, ViewOptions{Query: []string{"q"}}, html("v"))
			targets := []string{"/all", "/all?q=a", "/all?q=b", "/all?utm_source=x"}
			for _, target := range targets {
				a.do("GET", target)
			}
			for _, target := range targets {
				if rec := a.do("GET", target); rec.Header().Get("X-Cache") != "HIT" {
					t.Fatalf("%s before DeleteView: X-Cache %q, want HIT", target, rec.Header().Get("X-Cache"))
				}
			}
			c.DeleteView("/all")
			for _, target := range targets[:3] {
				if rec := a.do("GET", target); rec.Header().Get("X-Cache") != "MISS" {
					t.Errorf("%s after DeleteView: X-Cache %q, want MISS", target, rec.Header().Get("X-Cache"))
				}
			}
		}},
		{"a page rendered across an invalidation is stale at once", func(t *testing.T, c *Cache) {
			entered, release := make(chan struct{}), make(chan struct{})
			var first atomic.Bool
			a := newViewApp(c, ViewOptions{}, func(w http.ResponseWriter, r *http.Request) {
				if first.CompareAndSwap(false, true) {
					close(entered)
					<-release
				}
				html("p")(w, r)
			})
			first.Store(false) // the first render is the one the data changes under
			done := make(chan struct{})
			go func() { a.do("GET", "/race"); close(done) }()
			<-entered
			c.DeleteView("/race") // the data changed while the page was rendered
			close(release)
			<-done
			if rec := a.do("GET", "/race"); rec.Header().Get("X-Cache") != "MISS" {
				t.Errorf("after an invalidation during the render: X-Cache %q, want MISS", rec.Header().Get("X-Cache"))
			}
		}},
		{"a request after an invalidation does not share an older render", func(t *testing.T, c *Cache) {
			var renders atomic.Int64
			started, release := make(chan struct{}), make(chan struct{})
			a := newViewApp(c, ViewOptions{}, func(w http.ResponseWriter, r *http.Request) {
				n := renders.Add(1)
				if n == 1 {
					close(started)
					<-release
				}
				html("render "+strconv.FormatInt(n, 10))(w, r)
			})
			first := make(chan string)
			go func() { first <- a.do("GET", "/join").Body.String() }()
			<-started
			c.DeleteView("/join")
			after := a.do("GET", "/join")
			close(release)
			if got := after.Body.String(); got != "render 2" {
				t.Errorf("a request after DeleteView got %q, want its own render", got)
			}
			if got := <-first; got != "render 1" {
				t.Errorf("the first request got %q", got)
			}
		}},
		{"a flood of query strings stores a bounded number of pages", func(t *testing.T, c *Cache) {
			a := newViewApp(c, ViewOptions{Query: []string{"r"}, MaxVariants: 3}, html("f"))
			a.do("GET", "/flood")
			for i := 1; i <= 10; i++ {
				a.do("GET", "/flood?r="+strconv.Itoa(i))
			}
			stored := 0
			for i := 1; i <= 10; i++ {
				u, _ := url.Parse("/flood?r=" + strconv.Itoa(i))
				if _, ok := c.InLayer(LayerViews).Get(ViewKey(u)); ok {
					stored++
				}
			}
			if stored != 3 {
				t.Errorf("%d variants stored, want 3", stored)
			}
			if rec := a.do("GET", "/flood"); rec.Header().Get("X-Cache") != "HIT" {
				t.Error("the page without a query string is not cached")
			}
		}},
		{"a request marked personal beforehand bypasses the cache", func(t *testing.T, c *Cache) {
			views := c.Views(ViewOptions{})(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				html("hello "+r.Header.Get("X-Visitor"))(w, r)
			}))
			// Like the session middleware, an earlier middleware marks the
			// request and passes it on.
			h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Header.Get("X-Visitor") != "" {
					MarkPersonal(r)
				}
				views.ServeHTTP(w, r)
			})
			get := func(visitor string) *httptest.ResponseRecorder {
				req := httptest.NewRequest("GET", "/personal", nil)
				if visitor != "" {
					req.Header.Set("X-Visitor", visitor)
				}
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				return rec
			}
			if rec := get("alice"); rec.Header().Get("X-Cache") != "BYPASS" || rec.Body.String() != "hello alice" {
				t.Errorf("alice first: X-Cache %q body %q", rec.Header().Get("X-Cache"), rec.Body)
			} else if cc := rec.Header().Get("Cache-Control"); cc != "private, no-store" {
				t.Errorf("alice's page says Cache-Control %q, want private, no-store", cc)
			}
			if rec := get(""); rec.Header().Get("X-Cache") != "MISS" || rec.Body.String() != "hello " {
				t.Errorf("anonymous after alice: X-Cache %q body %q, want MISS and no name", rec.Header().Get("X-Cache"), rec.Body)
			}
			if rec := get("bob"); rec.Header().Get("X-Cache") != "BYPASS" || rec.Body.String() != "hello bob" {
				t.Errorf("bob after the page is cached: X-Cache %q body %q, want his own page", rec.Header().Get("X-Cache"), rec.Body)
			}
			if rec := get(""); rec.Header().Get("X-Cache") != "HIT" {
				t.Errorf("anonymous again: X-Cache %q, want HIT", rec.Header().Get("X-Cache"))
			}
		}},
		{"a response marked personal is not stored", func(t *testing.T, c *Cache) {
			a := newViewApp(c, ViewOptions{}, func(w http.ResponseWriter, r *http.Request) {
				MarkPersonal(r)
				html("yours")(w, r)
			})
			a.do("GET", "/yours")
			if rec := a.do("GET", "/yours"); rec.Header().Get("X-Cache") == "HIT" || a.calls.Load() != 2 {
				t.Error("a personal response was stored and served again")
			}
		}},
		{"unless bypasses", func(t *testing.T, c *Cache) {
			a := newViewApp(c, ViewOptions{Unless: func(r *http.Request) bool { return r.Header.Get("X-Preview") != "" }}, html("p"))
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
			a := newViewApp(c, ViewOptions{Lifetimes: Lifetimes{Fresh: time.Second}}, html("t"))
			a.do("GET", "/ttl")
			time.Sleep(2100 * time.Millisecond)
			if rec := a.do("GET", "/ttl"); rec.Header().Get("X-Cache") != "MISS" {
				t.Error("the page outlived its TTL")
			}
		}},
		{"concurrent misses render once", func(t *testing.T, c *Cache) {
			a := newViewApp(c, ViewOptions{}, func(w http.ResponseWriter, r *http.Request) {
				time.Sleep(time.Second) // long enough that every request is waiting by then
				html("slow")(w, r)
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
			a := newViewApp(c, ViewOptions{}, func(w http.ResponseWriter, r *http.Request) {
				time.Sleep(50 * time.Millisecond)
				http.SetCookie(w, &http.Cookie{Name: "id", Value: "x"})
				html("for "+string(rune('a'+n.Add(1))))(w, r)
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

// TestViewWaitersShareAFailure: requests waiting for a render that fails
// (on a database that does not answer, say) get 503 at once, where each
// used to render the page again and wait as long as the first. Waiting for
// an answer that was merely not for everyone, or that failed only because
// its own client went away, each still renders its own.
func TestViewWaitersShareAFailure(t *testing.T) {
	const waiters = 4
	tests := []struct {
		name   string
		leader http.HandlerFunc // the first request's answer
		gone   bool             // the first request's client goes away before it answers
		shared bool             // whether the waiters share the failure
	}{
		{"a 5xx answer", text(http.StatusInternalServerError, "oops"), false, true},
		{"RenderFailed", func(w http.ResponseWriter, r *http.Request) { RenderFailed(r) }, false, true},
		{"a client error", func(w http.ResponseWriter, r *http.Request) { DoNotStore(r) }, false, false},
		{"an answer not for everyone", func(w http.ResponseWriter, r *http.Request) {
			http.SetCookie(w, &http.Cookie{Name: "id", Value: "x"})
			html("mine")(w, r)
		}, false, false},
		{"a client that went away", text(http.StatusServiceUnavailable, "query canceled"), true, false},
	}
	var cases []backendCase
	for i, tc := range tests {
		cases = append(cases, backendCase{tc.name, func(t *testing.T, c *Cache) {
			path := "/wait" + strconv.Itoa(i)
			group := new(flight[*page])
			var renders atomic.Int64
			entered, release := make(chan struct{}), make(chan struct{})
			h := c.views(ViewOptions{}, group)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if renders.Add(1) == 1 {
					close(entered)
					<-release
					tc.leader(w, r)
					return
				}
				html("own")(w, r)
			}))
			serve := func(ctx context.Context, out chan<- *httptest.ResponseRecorder) {
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil).WithContext(ctx))
				out <- rec
			}

			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			first := make(chan *httptest.ResponseRecorder, 1)
			go serve(ctx, first)
			<-entered
			tags := c.tagCache()
			got, _ := c.getFull([]string{tags.Key(PathTag(path))})
			versions := tags.versions([]string{PathTag(path)}, []string{tags.Key(PathTag(path))}, got)
			answers := make(chan *httptest.ResponseRecorder, waiters)
			for range waiters {
				go serve(context.Background(), answers)
			}
			eventually(t, 5*time.Second, "every request waiting for the first", func() bool {
				return group.waiting(flightKey("view/"+path, versions)) == waiters
			})
			if tc.gone {
				cancel()
			}
			close(release)
			<-first

			wantRenders, wantStatus, wantBody := int64(1+waiters), http.StatusOK, "own"
			if tc.shared {
				wantRenders, wantStatus, wantBody = 1, http.StatusServiceUnavailable, "Service Unavailable\n"
			}
			for range waiters {
				rec := <-answers
				if rec.Code != wantStatus || rec.Body.String() != wantBody {
					t.Errorf("a waiter got %d %q, want %d %q", rec.Code, rec.Body, wantStatus, wantBody)
				}
				if tc.shared && (rec.Header().Get("Retry-After") == "" || rec.Header().Get("Cache-Control") != "no-store") {
					t.Errorf("the shared failure says Retry-After %q, Cache-Control %q; want a retry time and no-store", rec.Header().Get("Retry-After"), rec.Header().Get("Cache-Control"))
				}
			}
			if n := renders.Load(); n != wantRenders {
				t.Errorf("the handler ran %d times, want %d", n, wantRenders)
			}
		}})
	}
	onBackends(t, cases)
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

// TestViewsRejectStoredEntries: whatever another program (or an older
// version of this one) left under a page's key is checked before it is
// replayed, and anything unexpected is a miss, counted as an error.
func TestViewsRejectStoredEntries(t *testing.T) {
	valid := "page3\n200\n2\nContent-Type: text/html\n\nok"
	pages := map[string]string{
		"status 0":              "page3\n0\n2\nContent-Type: text/html\n\nok",
		"status 500":            "page3\n500\n2\nContent-Type: text/html\n\nok",
		"a cookie":              "page3\n200\n2\nSet-Cookie: session=stolen\n\nok",
		"a looser policy":       "page3\n200\n2\nContent-Security-Policy: script-src 'unsafe-inline'\n\nok",
		"an unknown header":     "page3\n200\n2\nLocation: https://evil.example\n\nok",
		"a control character":   "page3\n200\n2\nContent-Type: text/html\x00\n\nok",
		"a short body":          "page3\n200\n5\nContent-Type: text/html\n\nok",
		"a long body":           "page3\n200\n1\nContent-Type: text/html\n\nok",
		"a negative length":     "page3\n200\n-1\nContent-Type: text/html\n\nok",
		"no end of headers":     "page3\n200\n2\nContent-Type: text/html\n",
		"an older format":       "page2\nv1\n200\n2\nContent-Type: text/html\n\nok",
		"not a page at all":     "\x00\x01garbage",
		"too many headers":      "page3\n200\n2\n" + strings.Repeat("Content-Type: text/html\n", 20) + "\nok",
		"another page's format": "HTTP/1.1 200 OK\r\nSet-Cookie: a=b\r\n\r\nok",
		"a cache lifetime":      "page3\n200\n2\nContent-Type: text/html\nCache-Control: public, max-age=31536000\n\nok",
		"a validator":           "page3\n200\n2\nContent-Type: text/html\nEtag: \"x\"\n\nok",
		"a hole in a page3":     "page3\n200\n2\nContent-Type: text/html\n@1 account\n\nok",
		"a hole past the body":  "page4\n200\n2\nContent-Type: text/html\n@3 account\n\nok",
		"holes out of order":    "page4\n200\n2\nContent-Type: text/html\n@2 a\n@1 b\n\nok",
		"a hole without a name": "page4\n200\n2\nContent-Type: text/html\n@1 \n\nok",
		"a hole's odd name":     "page4\n200\n2\nContent-Type: text/html\n@1 a<b\n\nok",
		"too many holes":        "page4\n200\n2\nContent-Type: text/html\n" + strings.Repeat("@1 a\n", 65) + "\nok",
	}
	entries := map[string]string{
		"no entry around the page": valid,
		"a bad entry header":       "entry1 x 0 0 0\n" + valid,
		"too many tags":            "entry1 0 0 0 1000\n" + valid,
		"a tag line without a tag": "entry1 9223372036854775807 9223372036854775807 9223372036854775807 1\nv1\n" + valid,
	}
	for name, c := range backends(t) {
		t.Run(name, func(t *testing.T) {
			a := newViewApp(c, ViewOptions{}, html("rendered"))
			views, tc := c.InLayer(LayerViews), c.tagCache()
			tag := PathTag("/poisoned")
			version := string(tc.newVersion(tc.Key(tag)))
			stored := func(page string) string {
				return string(newEnvelope(time.Now(), Lifetimes{}, []tagVersion{{tag, version}}, []byte(page)).encode())
			}
			views.Set("view//poisoned", []byte(stored(valid)), 0)
			if rec := a.do("GET", "/poisoned"); rec.Header().Get("X-Cache") != "HIT" || rec.Body.String() != "ok" {
				t.Fatalf("a valid entry: X-Cache %q body %q, want HIT ok", rec.Header().Get("X-Cache"), rec.Body)
			}
			for what, page := range pages {
				entries[what] = stored(page)
			}
			for what, entry := range entries {
				views.Set("view//poisoned", []byte(entry), 0)
				errorsBefore := c.Stats().Errors
				rec := a.do("GET", "/poisoned")
				if rec.Code != http.StatusOK || rec.Header().Get("X-Cache") != "MISS" || rec.Body.String() != "rendered" {
					t.Errorf("%s: got %d, X-Cache %q, body %q; want the handler's page", what, rec.Code, rec.Header().Get("X-Cache"), rec.Body)
				}
				if rec.Header().Get("Set-Cookie") != "" || rec.Header().Get("Location") != "" || rec.Header().Get("Cache-Control") != "" || rec.Header().Get("Etag") != "" {
					t.Errorf("%s: replayed headers %v", what, rec.Header())
				}
				if c.Stats().Errors == errorsBefore {
					t.Errorf("%s: not counted as a cache error", what)
				}
			}
		})
	}
}
