package web

import (
	"fmt"
	"html/template"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/gorilla/securecookie"

	"github.com/echocache/scaffold/generated-example/internal/cache"
	"github.com/echocache/scaffold/generated-example/internal/session"
)

// TestSessionDemo mirrors MemCachier's Flask example (/set/ and /get/,
// with a form where Flask stored on a GET) and walks through the counter,
// log in and log out.
func TestSessionDemo(t *testing.T) {
	for name, newServer := range caches(t) {
		t.Run(name, func(t *testing.T) {
			s := newServer(t)
			s.UseSessions(testSessions(s))
			b := newBrowser(t, s)
			if got := b.get("/get/").Body.String(); got != "not set" {
				t.Errorf("/get/ before /set/: %q, want \"not set\"", got)
			}
			if rec := b.get("/set/"); !strings.Contains(rec.Body.String(), `<form method="post" action="/set/">`) || b.cookies[sessionName] != nil {
				t.Errorf("GET /set/: cookie %v, body:\n%s\nwant a form and no session", b.cookies[sessionName], rec.Body)
			}
			if rec := b.do(http.MethodPost, "/set/", nil); rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/get/" {
				t.Errorf("POST /set/: status %d to %q, want 303 to /get/", rec.Code, rec.Header().Get("Location"))
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
			if body := b.get("/session/").Body.String(); !strings.Contains(body, "Not logged in") || !strings.Contains(body, `action="/session/start"`) {
				t.Errorf("after log out: want no count and a Start button:\n%s", body)
			}
			b.do(http.MethodPost, "/session/start", nil)
			if body := b.get("/session/").Body.String(); !strings.Contains(body, "1 time in") || strings.Contains(body, `action="/session/start"`) {
				t.Errorf("after starting a session: want a count of 1:\n%s", body)
			}
		})
	}
}

// TestSessionPageCountsOnlyExistingSessions: /session/ without a session,
// or with one the cache no longer holds, counts nothing and sets no cookie,
// however often it is loaded; a POST to /session/start starts the count.
func TestSessionPageCountsOnlyExistingSessions(t *testing.T) {
	for name, newServer := range caches(t) {
		t.Run(name, func(t *testing.T) {
			s := newServer(t)
			s.UseSessions(testSessions(s))
			b := newBrowser(t, s)
			for i := 0; i < 3; i++ {
				rec := b.get("/session/")
				if body := rec.Body.String(); len(rec.Result().Cookies()) != 0 || strings.Contains(body, "seen this page") || !strings.Contains(body, `action="/session/start"`) {
					t.Fatalf("visit %d without a session: cookies %v; want none, no count and a Start button:\n%s", i+1, rec.Result().Cookies(), body)
				}
			}
			b.do(http.MethodPost, "/session/start", nil)
			for i, want := range []string{"1 time in", "2 times"} {
				if body := b.get("/session/").Body.String(); !strings.Contains(body, want) {
					t.Errorf("visit %d after starting: want %q:\n%s", i+1, want, body)
				}
			}
			id := b.cookies[sessionName]
			s.cache.InLayer(cache.LayerSessions).Delete("session:" + sessionID(t, id))
			if rec := b.get("/session/"); len(rec.Result().Cookies()) != 0 || strings.Contains(rec.Body.String(), "seen this page") {
				t.Errorf("with a session the cache lost: cookies %v; want none and no count:\n%s", rec.Result().Cookies(), rec.Body)
			}
		})
	}
}

// sessionID is the session ID that cookie carries.
func sessionID(t *testing.T, cookie *http.Cookie) string {
	t.Helper()
	if cookie == nil {
		t.Fatal("no session cookie")
	}
	var id []byte
	if err := securecookie.DecodeMulti(sessionName, cookie.Value, &id, securecookie.New(testSecret, nil).SetSerializer(securecookie.NopEncoder{})); err != nil {
		t.Fatal(err)
	}
	return string(id)
}

// TestNewSessionsAreRateLimited: a client may start only so many sessions
// (log in, start, /set/) before getting 429, however it spreads them over
// the three; another client is not held back. On Heroku a client is the
// last X-Forwarded-For entry, which the router appends, so changing the
// entries before it gains nothing; elsewhere the header is ignored and a
// client is its connection's address.
func TestNewSessionsAreRateLimited(t *testing.T) {
	targets := []string{"/session/login", "/session/start", "/set/"}
	for _, where := range []struct {
		name string
		opts Options
		// client returns the request headers and peer address of the
		// client numbered id, the nth time it sends a request.
		client func(id, n int) (xff, peer string)
	}{
		{"on Heroku", onHeroku, func(id, n int) (string, string) {
			return fmt.Sprintf("198.51.100.%d, 203.0.113.%d", n, id), fmt.Sprintf("10.1.2.%d:40000", n) // a router's address
		}},
		{"locally", Options{}, func(id, n int) (string, string) {
			return fmt.Sprintf("203.0.113.%d", n), fmt.Sprintf("192.0.2.%d:40000", id)
		}},
	} {
		t.Run(where.name, func(t *testing.T) {
			s, _ := newTestServer(t, where.opts)
			s.UseSessions(testSessions(s))
			post := func(id, n int) *httptest.ResponseRecorder {
				xff, peer := where.client(id, n)
				req := httptest.NewRequest(http.MethodPost, targets[n%len(targets)], nil)
				req.Header.Set("X-Forwarded-For", xff)
				req.Header.Set("X-Forwarded-Proto", "https")
				req.RemoteAddr = peer
				rec := httptest.NewRecorder()
				s.ServeHTTP(rec, req)
				return rec
			}
			for n := 0; n < newSessionBurst; n++ {
				if rec := post(1, n); rec.Code != http.StatusSeeOther {
					t.Fatalf("request %d of client 1: status %d, want 303", n+1, rec.Code)
				}
			}
			for n := newSessionBurst; n < newSessionBurst+len(targets); n++ {
				rec := post(1, n)
				if rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") == "" || len(rec.Result().Cookies()) != 0 {
					t.Errorf("request %d of client 1 (%s): status %d, Retry-After %q, cookies %v; want 429, a Retry-After, no cookie",
						n+1, targets[n%len(targets)], rec.Code, rec.Header().Get("Retry-After"), rec.Result().Cookies())
				}
			}
			if rec := post(2, 0); rec.Code != http.StatusSeeOther {
				t.Errorf("client 2: status %d, want 303", rec.Code)
			}
		})
	}
}

// testSecret signs the test servers' session cookies.
var testSecret = []byte(strings.Repeat("k", 32))

// testSessions returns a session store in s's cache.
func testSessions(s *Server) *session.Store {
	return session.NewStore(s.cache, session.Options{}, testSecret)
}

// TestCrossSiteLoginIsRefused: logging in or out from another site's form
// gets 403 and no session; the app's own form works.
func TestCrossSiteLoginIsRefused(t *testing.T) {
	for _, target := range []string{"/session/login", "/session/logout"} {
		t.Run(target, func(t *testing.T) {
			s, _ := newTestServer(t, Options{})
			s.UseSessions(testSessions(s))
			attacker := newBrowser(t, s)
			attacker.header.Set("Sec-Fetch-Site", "cross-site")
			attacker.header.Set("Origin", "https://evil.example")
			rec := attacker.do(http.MethodPost, target, nil)
			if rec.Code != http.StatusForbidden || len(rec.Result().Cookies()) != 0 {
				t.Errorf("cross-site: got status %d and cookies %v, want 403 and none", rec.Code, rec.Result().Cookies())
			}
			visitor := newBrowser(t, s)
			visitor.header.Set("Sec-Fetch-Site", "same-origin")
			if rec := visitor.do(http.MethodPost, "/session/login", nil); rec.Code != http.StatusSeeOther || visitor.cookies[sessionName] == nil {
				t.Errorf("same origin: got status %d and session cookie %v, want 303 and a cookie", rec.Code, visitor.cookies[sessionName])
			}
		})
	}
}

// TestSessionCookieFlags: the session cookie carries the app's cookie
// flags, as the flash cookie does: HttpOnly, SameSite=Lax, Path=/, and
// Secure exactly when the visitor came over https, as Heroku's router says.
func TestSessionCookieFlags(t *testing.T) {
	s, _ := newTestServer(t, Options{})
	s.UseSessions(testSessions(s))
	for _, proto := range []string{"", "http", "https"} {
		b := newBrowser(t, s)
		if proto != "" {
			b.header.Set("X-Forwarded-Proto", proto)
		}
		b.do(http.MethodPost, "/session/login", nil)
		ck := b.cookies[sessionName]
		if ck == nil {
			t.Fatalf("X-Forwarded-Proto %q: no session cookie", proto)
		}
		if !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/" || ck.Secure != (proto == "https") {
			t.Errorf("X-Forwarded-Proto %q: cookie %+v, want HttpOnly, SameSite=Lax, Path=/, Secure=%v", proto, ck, proto == "https")
		}
	}
}

// TestLoginOnHerokuIsHTTPSOnly: on Heroku, logging in over plain http is
// refused and stores no session; over https the session cookie is Secure,
// on both caches.
func TestLoginOnHerokuIsHTTPSOnly(t *testing.T) {
	for name, newServer := range cachesWith(t, onHeroku) {
		t.Run(name, func(t *testing.T) {
			s := newServer(t)
			s.UseSessions(testSessions(s))
			b := newBrowser(t, s)
			b.header.Set("X-Forwarded-Proto", "http")
			if rec := b.do(http.MethodPost, "/session/login", nil); rec.Code != http.StatusForbidden || len(rec.Result().Cookies()) != 0 {
				t.Errorf("log in over http: status %d, cookies %v; want 403 and none", rec.Code, rec.Result().Cookies())
			}
			b.header.Set("X-Forwarded-Proto", "https")
			rec := b.do(http.MethodPost, "/session/login", nil)
			ck := b.cookies[sessionName]
			if rec.Code != http.StatusSeeOther || ck == nil || !ck.Secure || !ck.HttpOnly {
				t.Errorf("log in over https: status %d, cookie %+v; want 303 and a Secure, HttpOnly cookie", rec.Code, ck)
			}
			if body := b.get("/session/").Body.String(); !strings.Contains(body, "Logged in as") {
				t.Errorf("after logging in over https:\n%s", body)
			}
		})
	}
}

// TestLoginName: a visitor logs in under the name they type, trimmed, or
// as the demo visitor without one; a name too long, or with control or
// text-direction characters, is refused with 400 and starts no session.
func TestLoginName(t *testing.T) {
	tests := []struct {
		name, typed, shown string
		status             int
	}{
		{"typed", "  Alice  ", "Alice", http.StatusSeeOther},
		{"empty", "", demoUser, http.StatusSeeOther},
		{"too long", strings.Repeat("é", maxUserName+1), "", http.StatusBadRequest},
		{"direction override", "Alice\u202Egnp.exe", "", http.StatusBadRequest},
		{"line break", "Alice\nBob", "", http.StatusBadRequest},
		{"invalid UTF-8", "Alice\xff", "", http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := newTestServer(t, Options{})
			s.UseSessions(testSessions(s))
			b := newBrowser(t, s)
			rec := b.do(http.MethodPost, "/session/login", url.Values{"name": {tt.typed}})
			if rec.Code != tt.status {
				t.Fatalf("log in as %q: status %d, want %d", tt.typed, rec.Code, tt.status)
			}
			if tt.status != http.StatusSeeOther {
				if b.cookies[sessionName] != nil {
					t.Errorf("a refused name started a session")
				}
				return
			}
			want := "Logged in as <strong>" + template.HTMLEscapeString(tt.shown) + "</strong>"
			if body := b.get("/session/").Body.String(); !strings.Contains(body, want) {
				t.Errorf("the header lacks %q:\n%s", want, body)
			}
		})
	}
}
