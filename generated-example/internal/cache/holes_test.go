package cache

import (
	"bytes"
	"errors"
	"fmt"
	htmlstd "html"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/echocache/scaffold/generated-example/internal/memcachedtest"
)

// holeApp is a page with two holes, "account" and "flash", behind Views;
// its path /failed is answered 500.
// A hole is filled with who the visitor is: the "user" cookie's value, or
// "anonymous"; reading the cookie marks the response personal, as reading
// a session does.
type holeApp struct {
	*viewApp
	fills atomic.Int64 // how often a hole was filled
}

// holeContent is what fills hole name for r.
func (a *holeApp) holeContent(r *http.Request, name string) string {
	a.fills.Add(1)
	who := "anonymous"
	if c, err := r.Cookie("user"); err == nil {
		MarkPersonal(r)
		who = c.Value
	}
	return "[" + name + ":" + who + "]"
}

// newHoleApp returns the page on c, with extra in the page's middle.
func newHoleApp(c *Cache, opts ViewOptions, extra func(w http.ResponseWriter, r *http.Request)) *holeApp {
	a := &holeApp{}
	opts.Fill = func(w io.Writer, r *http.Request, name string) error {
		_, err := io.WriteString(w, a.holeContent(r, name))
		return err
	}
	hole := func(r *http.Request, name string) string {
		if mark, ok := Hole(r, name); ok {
			return mark
		}
		return a.holeContent(r, name)
	}
	a.viewApp = newViewApp(c, opts, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=UTF-8")
		if r.URL.Path == "/failed" {
			w.WriteHeader(http.StatusInternalServerError)
		}
		io.WriteString(w, "<header>"+hole(r, "account")+"</header><main>")
		if extra != nil {
			extra(w, r)
		}
		io.WriteString(w, hole(r, "flash")+"</main>")
	})
	return a
}

// page is what the page reads for who, with extra in its middle.
func holePage(who, extra string) string {
	return "<header>[account:" + who + "]</header><main>" + extra + "[flash:" + who + "]</main>"
}

// TestHoles: the page is stored once with its holes empty, and each
// visitor, anonymous or not, gets it with the holes filled for them,
// whoever rendered it; a visitor with a cookie gets a private, no-store
// answer. Both request orders, both backends.
func TestHoles(t *testing.T) {
	for name, c := range backends(t) {
		for _, first := range []string{"anonymous", "alice"} {
			t.Run(name+"/"+first+" first", func(t *testing.T) {
				path := "/holes-" + first
				a := newHoleApp(c, ViewOptions{}, nil)
				visit := func(who, xcache string) {
					t.Helper()
					cookie := ""
					if who != "anonymous" {
						cookie = "user=" + who
					}
					rec := a.do("GET", path, "Cookie", cookie)
					if got, want := rec.Body.String(), holePage(who, ""); got != want || rec.Header().Get("X-Cache") != xcache {
						t.Errorf("%s: X-Cache %q, body %q; want %s, %q", who, rec.Header().Get("X-Cache"), got, xcache, want)
					}
					if rec.Header().Get("Content-Length") != strconv.Itoa(rec.Body.Len()) {
						t.Errorf("%s: Content-Length %q for %d bytes", who, rec.Header().Get("Content-Length"), rec.Body.Len())
					}
					cc := rec.Header().Get("Cache-Control")
					if (who == "anonymous") != (cc == "") || (who != "anonymous" && cc != "private, no-store") {
						t.Errorf("%s: Cache-Control %q", who, cc)
					}
				}
				visit(first, "MISS")
				visit("anonymous", "HIT")
				visit("alice", "HIT")
				visit("bob", "HIT")
				if n := a.calls.Load(); n != 1 {
					t.Errorf("the handler ran %d times, want once", n)
				}
				stored, ok := c.InLayer(LayerViews).Get("view/" + path)
				if !ok {
					t.Fatal("no page stored")
				}
				for _, s := range []string{":anonymous]", ":alice]", ":bob]", "<!--hole"} {
					if bytes.Contains(stored, []byte(s)) {
						t.Errorf("the stored page holds %q:\n%s", s, stored)
					}
				}
			})
		}
	}
}

// TestHolesReadOutsideAHole: a page that reads the visitor's data outside
// its holes is never stored, whoever renders it.
func TestHolesReadOutsideAHole(t *testing.T) {
	for name, c := range backends(t) {
		t.Run(name, func(t *testing.T) {
			a := newHoleApp(c, ViewOptions{}, func(w http.ResponseWriter, r *http.Request) {
				MarkPersonal(r) // a session read
			})
			for i, cookie := range []string{"", "user=alice", ""} {
				rec := a.do("GET", "/read-outside", "Cookie", cookie)
				if rec.Header().Get("X-Cache") != "MISS" {
					t.Errorf("visit %d: X-Cache %q, want MISS", i+1, rec.Header().Get("X-Cache"))
				}
			}
			if n := a.calls.Load(); n != 3 {
				t.Errorf("the handler ran %d times, want 3", n)
			}
		})
	}
}

// TestHoleMarksCannotBeForged: text in the page that looks like a hole's
// mark, such as a visitor's input, is neither a hole nor filled.
func TestHoleMarksCannotBeForged(t *testing.T) {
	forged := "<!--hole:000000000000000000000000:account-->"
	a := newHoleApp(NewMemory(0, discard()), ViewOptions{}, func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, forged)
	})
	a.do("GET", "/forged")
	rec := a.do("GET", "/forged", "Cookie", "user=alice")
	if got, want := rec.Body.String(), holePage("alice", forged); got != want || rec.Header().Get("X-Cache") != "HIT" {
		t.Errorf("X-Cache %q, body %q; want HIT, %q", rec.Header().Get("X-Cache"), got, want)
	}
}

// TestHoleFailure: a hole whose Fill fails is left empty, even of what it
// wrote before failing; the rest of the page is served, and the failure
// logged.
func TestHoleFailure(t *testing.T) {
	var log bytes.Buffer
	c := NewMemory(0, slog.New(slog.NewTextHandler(&log, nil)))
	a := newViewApp(c, ViewOptions{Fill: func(w io.Writer, r *http.Request, name string) error {
		io.WriteString(w, "half of someone's box")
		return errors.New("template failed")
	}}, func(w http.ResponseWriter, r *http.Request) {
		mark, _ := Hole(r, "account")
		io.WriteString(w, "<header>"+mark+"</header>")
	})
	for _, xcache := range []string{"MISS", "HIT"} {
		rec := a.do("GET", "/failing-hole", "Cookie", "user=alice")
		if rec.Body.String() != "<header></header>" || rec.Header().Get("X-Cache") != xcache {
			t.Errorf("X-Cache %q, body %q; want %s and an empty hole", rec.Header().Get("X-Cache"), rec.Body, xcache)
		}
	}
	if !strings.Contains(log.String(), "template failed") {
		t.Errorf("the failure is not logged:\n%s", log.String())
	}
}

// TestHoleLostMark: a mark the page did not write as it was given, such
// as one escaped inside an attribute, makes the page unstorable, and no
// mark reaches the visitor unescaped.
func TestHoleLostMark(t *testing.T) {
	a := newHoleApp(NewMemory(0, discard()), ViewOptions{}, func(w http.ResponseWriter, r *http.Request) {
		mark, _ := Hole(r, "title")
		io.WriteString(w, `<p title="`+htmlstd.EscapeString(mark)+`">`)
	})
	for range 2 {
		rec := a.do("GET", "/lost-mark")
		if rec.Header().Get("X-Cache") != "MISS" || strings.Contains(rec.Body.String(), "<!--hole") {
			t.Errorf("X-Cache %q, body %q; want MISS and no mark", rec.Header().Get("X-Cache"), rec.Body)
		}
	}
}

// TestHolesForKnownVisitors: a visitor marked with MarkVisitor (one with
// a session) is answered from the cache on a route with holes, and
// bypasses it on a route without.
func TestHolesForKnownVisitors(t *testing.T) {
	c := NewMemory(0, discard())
	known := func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if _, err := r.Cookie("user"); err == nil {
				MarkVisitor(r)
			}
			h.ServeHTTP(w, r)
		})
	}
	withHoles := newHoleApp(c, ViewOptions{}, nil)
	withHoles.h = known(withHoles.h)
	without := newViewApp(c, ViewOptions{}, html("no holes"))
	without.h = known(without.h)
	withHoles.do("GET", "/known-holes")
	without.do("GET", "/known-plain")
	if rec := withHoles.do("GET", "/known-holes", "Cookie", "user=alice"); rec.Header().Get("X-Cache") != "HIT" || rec.Body.String() != holePage("alice", "") {
		t.Errorf("with holes: X-Cache %q, body %q; want HIT with alice's holes", rec.Header().Get("X-Cache"), rec.Body)
	}
	if rec := without.do("GET", "/known-plain", "Cookie", "user=alice"); rec.Header().Get("X-Cache") != "BYPASS" {
		t.Errorf("without holes: X-Cache %q, want BYPASS", rec.Header().Get("X-Cache"))
	}
}

// TestHolesHeadAndLargePages: a HEAD is answered with the length of the
// GET's page for the same visitor; a page too large to store and a
// failed one are still sent with their holes filled.
func TestHolesHeadAndLargePages(t *testing.T) {
	c := NewMemory(0, discard())
	large := strings.Repeat("x", MaxValueSize)
	a := newHoleApp(c, ViewOptions{}, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/large" {
			io.WriteString(w, large)
		}
	})
	a.do("GET", "/head")
	get := a.do("GET", "/head", "Cookie", "user=alice")
	head := a.do("HEAD", "/head", "Cookie", "user=alice")
	if head.Body.Len() != 0 || head.Header().Get("Content-Length") != strconv.Itoa(get.Body.Len()) {
		t.Errorf("HEAD: Content-Length %q and %d bytes; the GET had %d", head.Header().Get("Content-Length"), head.Body.Len(), get.Body.Len())
	}
	for range 2 {
		rec := a.do("GET", "/large", "Cookie", "user=alice")
		if rec.Body.String() != holePage("alice", large) || rec.Header().Get("X-Cache") != "MISS" {
			t.Errorf("a large page: X-Cache %q, %d bytes; want MISS and the page with alice's holes", rec.Header().Get("X-Cache"), rec.Body.Len())
		}
	}
	rec := a.do("GET", "/failed", "Cookie", "user=alice")
	if rec.Code != http.StatusInternalServerError || rec.Body.String() != holePage("alice", "") {
		t.Errorf("a failed page: %d %q, want 500 with alice's holes", rec.Code, rec.Body)
	}
}

// TestHolesPublicFilling: the holes of a visitor who carries nothing of
// theirs are filled once per page and shared, with the near cache and
// without (when each hit reads a new copy from memcached), while a
// visitor with a cookie gets theirs filled on every answer; two pages of
// one route, asked for in turn, each get their own.
func TestHolesPublicFilling(t *testing.T) {
	srv := memcachedtest.Start(t)
	for _, near := range []time.Duration{0, time.Minute} {
		t.Run(fmt.Sprint("near cache ", near), func(t *testing.T) {
			opts := fastOptions(srv.Addr)
			opts.NearCacheTTL = near
			opts.KeyPrefix = fmt.Sprint("public", near.Seconds(), ":")
			c := newMemcachedCache(t, opts, discard())
			a := newHoleApp(c, ViewOptions{}, func(w http.ResponseWriter, r *http.Request) {
				io.WriteString(w, r.URL.Path)
			})
			a.do("GET", "/public") // rendered and stored, its holes filled
			before := a.fills.Load()
			for range 5 {
				if rec := a.do("GET", "/public"); rec.Body.String() != holePage("anonymous", "/public") || rec.Header().Get("X-Cache") != "HIT" {
					t.Fatalf("X-Cache %q, body %q", rec.Header().Get("X-Cache"), rec.Body)
				}
			}
			if n := a.fills.Load() - before; n != 0 {
				t.Errorf("5 anonymous hits filled %d holes, want none: the render's filling is shared", n)
			}
			before = a.fills.Load()
			for range 5 {
				a.do("GET", "/public", "Cookie", "user=alice")
			}
			if n := a.fills.Load() - before; n != 10 {
				t.Errorf("5 hits for alice filled %d holes, want 10", n)
			}
			for range 3 {
				for _, path := range []string{"/public", "/other"} {
					if rec := a.do("GET", path); rec.Body.String() != holePage("anonymous", path) {
						t.Errorf("%s: body %q", path, rec.Body)
					}
				}
			}
		})
	}
}
