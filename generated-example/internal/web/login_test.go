package web

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/echocache/scaffold/generated-example/internal/tasks"
)

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
				s.UseSessions(testSessions(s))
				s.ServeTasks(tasks.NewMemory())
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
	s, _ := newTestServer(t, Options{})
	s.UseSessions(testSessions(s))
	s.ServeTasks(tasks.NewMemory())
	b := newBrowser(t, s)
	b.do(http.MethodPost, "/set/", nil)
	rec := b.get("/")
	if len(rec.Result().Cookies()) != 0 {
		t.Errorf("the task page set cookies: %v", rec.Result().Cookies())
	}
	if rec.Header().Get("X-Cache") != "BYPASS" {
		t.Errorf("a visitor with a session: X-Cache %q, want BYPASS", rec.Header().Get("X-Cache"))
	}
}

// TestAnonymousGetsStoreNothingWithTasks is TestAnonymousGetsStoreNothing
// with the task list as the home page: once its shared page, list and
// rows are cached, anonymous GETs add nothing more.
func TestAnonymousGetsStoreNothingWithTasks(t *testing.T) {
	checkAnonymousGetsStoreNothing(t, func(s *Server) {
		store := tasks.NewMemory()
		if _, err := store.Add(context.Background(), "a task"); err != nil {
			t.Fatal(err)
		}
		s.ServeTasks(store)
	})
}
