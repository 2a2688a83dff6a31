package web

import (
	"net/http"
	"strings"
	"testing"

	"github.com/echocache/scaffold/generated-example/internal/session"

	"github.com/echocache/scaffold/generated-example/internal/config"
)

// TestSessionDemo mirrors MemCachier's Flask example (/set/ and /get/)
// and walks through the counter, log in and log out.
func TestSessionDemo(t *testing.T) {
	for name, newServer := range caches(t) {
		t.Run(name, func(t *testing.T) {
			s := newServer(t)
			s.UseSessions(testSessions(s))
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

// testSessions returns a session store in s's cache.
func testSessions(s *Server) *session.Store {
	return session.NewStore(s.cache, session.Options{}, []byte(strings.Repeat("k", 32)))
}

// TestCrossSiteLoginIsRefused: logging in or out from another site's form
// gets 403 and no session; the app's own form works.
func TestCrossSiteLoginIsRefused(t *testing.T) {
	for _, target := range []string{"/session/login", "/session/logout"} {
		t.Run(target, func(t *testing.T) {
			s, _ := newTestServer(t, config.Config{})
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

// TestLoginOnHerokuIsHTTPSOnly: on Heroku, logging in over plain http is
// refused and stores no session; over https the session cookie is Secure,
// on both caches.
func TestLoginOnHerokuIsHTTPSOnly(t *testing.T) {
	for name, newServer := range cachesWith(t, loadConfig(t, onHeroku)) {
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
