package web

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/echocache/scaffold/generated-example/internal/tasks"
)

// logIn logs b in as name, and fails the test if that does not work.
func logIn(t *testing.T, b *browser, name string) {
	t.Helper()
	if rec := b.do(http.MethodPost, "/session/login", url.Values{"name": {name}}); rec.Code != http.StatusSeeOther || b.cookies[sessionName] == nil {
		t.Fatalf("log in as %s: status %d, session cookie %v", name, rec.Code, b.cookies[sessionName])
	}
}

// loggedInName matches what the header says to a logged-in visitor.
var loggedInName = regexp.MustCompile(`Logged in as <strong>([^<]*)</strong>`)

// checkHeader reports what is wrong with rec as the home page for the
// visitor who, logged in, is called user ("" for an anonymous one): the
// header must name them and nobody else, or offer to log in; a logged-in
// visitor's answer is private, no-store, an anonymous one's is not.
func checkHeader(rec *http.Response, body, user string) error {
	names := loggedInName.FindAllStringSubmatch(body, -1)
	cc := rec.Header.Get("Cache-Control")
	switch {
	case rec.StatusCode != http.StatusOK:
		return fmt.Errorf("status %d", rec.StatusCode)
	case user == "" && (len(names) != 0 || !strings.Contains(body, `action="/session/login"`)):
		return fmt.Errorf("the header names %v or offers no Log in button", names)
	case user != "" && (len(names) != 1 || names[0][1] != user || !strings.Contains(body, `action="/session/logout"`)):
		return fmt.Errorf("the header names %v, want %s alone with a Log out button", names, user)
	case user != "" && cc != "private, no-store":
		return fmt.Errorf("Cache-Control %q, want private, no-store", cc)
	case user == "" && strings.Contains(cc, "private"):
		return fmt.Errorf("Cache-Control %q for the shared page", cc)
	case strings.Contains(body, "<!--hole:"):
		return fmt.Errorf("a hole's mark is left in the page")
	}
	return nil
}

// TestHeaderFollowsLogin: every page's header shows who is logged in. The
// home page is one cached copy for everyone, with the header's account
// box a hole filled for each visitor: a logged-in visitor gets a HIT with
// their own name, whichever order the requests come in, on both caches.
func TestHeaderFollowsLogin(t *testing.T) {
	for name, newServer := range caches(t) {
		for _, order := range []string{"anonymous first", "logged in first"} {
			t.Run(name+"/"+order, func(t *testing.T) {
				s := newServer(t)
				s.UseSessions(testSessions(s))
				s.ServeTasks(tasks.NewMemory())
				alice := newBrowser(t, s)
				logIn(t, alice, "Alice")
				visit := func(b *browser, user, xcache string) string {
					t.Helper()
					if b == nil {
						b = newBrowser(t, s)
					}
					rec := b.get("/")
					body := rec.Body.String()
					if err := checkHeader(rec.Result(), body, user); err != nil {
						t.Errorf("%q's home page: %v:\n%s", user, err, body)
					}
					if got := rec.Header().Get("X-Cache"); got != xcache {
						t.Errorf("%q's home page: X-Cache %q, want %s", user, got, xcache)
					}
					if user == "" && len(rec.Result().Cookies()) != 0 {
						t.Errorf("the home page set cookies for an anonymous visitor: %v", rec.Result().Cookies())
					}
					return body
				}
				var anonymous, alices string
				if order == "anonymous first" {
					visit(nil, "", "MISS")
					anonymous = visit(nil, "", "HIT")
					alices = visit(alice, "Alice", "HIT")
				} else {
					visit(alice, "Alice", "MISS")
					anonymous = visit(nil, "", "HIT")
					alices = visit(alice, "Alice", "HIT")
				}
				if withoutAccount(anonymous) != withoutAccount(alices) {
					t.Errorf("the page around the account box differs:\n%s\n---\n%s", anonymous, alices)
				}
				if body := alice.get("/session/").Body.String(); !strings.Contains(body, "Logged in as <strong>Alice</strong>") {
					t.Errorf("the session page's header lacks alice's name:\n%s", body)
				}
				alice.do(http.MethodPost, "/session/logout", nil)
				visit(alice, "", "HIT")
			})
		}
	}
}

// accountBox matches the header's account box.
var accountBox = regexp.MustCompile(`(?s)<div class="login">.*?</div>`)

// withoutAccount returns page without its account box.
func withoutAccount(page string) string {
	return accountBox.ReplaceAllString(page, "")
}

// TestSessionWithoutLoginSharesThePage: a visitor with a session that
// only holds /set/'s value gets the cached page, with a Log in button in
// its account box, marked private, no-store, and no cookie set.
func TestSessionWithoutLoginSharesThePage(t *testing.T) {
	s, _ := newTestServer(t, Options{})
	s.UseSessions(testSessions(s))
	s.ServeTasks(tasks.NewMemory())
	do(s, http.MethodGet, "/")
	b := newBrowser(t, s)
	b.do(http.MethodPost, "/set/", nil)
	rec := b.get("/")
	if len(rec.Result().Cookies()) != 0 {
		t.Errorf("the task page set cookies: %v", rec.Result().Cookies())
	}
	if rec.Header().Get("X-Cache") != "HIT" || rec.Header().Get("Cache-Control") != "private, no-store" {
		t.Errorf("a visitor with a session: X-Cache %q, Cache-Control %q; want HIT, private, no-store", rec.Header().Get("X-Cache"), rec.Header().Get("Cache-Control"))
	}
	if body := rec.Body.String(); !strings.Contains(body, `action="/session/login"`) {
		t.Errorf("no Log in button:\n%s", body)
	}
}

// TestHolesNeverShared: two logged-in visitors and an anonymous one ask
// for the home page at once, over and over, while another visitor adds
// tasks, so that the page is rendered again and again, by any of them, and
// served from the cache in between. Each only ever sees their own header,
// on both caches, whoever rendered the page first.
func TestHolesNeverShared(t *testing.T) {
	const rounds = 60
	for name, newServer := range caches(t) {
		for _, first := range []string{"", "Alice"} {
			t.Run(fmt.Sprintf("%s/first %q", name, first), func(t *testing.T) {
				s := newServer(t)
				s.UseSessions(testSessions(s))
				s.ServeTasks(tasks.NewMemory())
				visitors := map[string]*browser{"Alice": newBrowser(t, s), "Bob": newBrowser(t, s), "": newBrowser(t, s)}
				logIn(t, visitors["Alice"], "Alice")
				logIn(t, visitors["Bob"], "Bob")
				if rec := visitors[first].get("/"); rec.Header().Get("X-Cache") != "MISS" {
					t.Fatalf("the first visit: X-Cache %q, want MISS", rec.Header().Get("X-Cache"))
				}

				var mu sync.Mutex
				seen := make(map[string]map[string]int) // visitor, X-Cache: count
				for user := range visitors {
					seen[user] = make(map[string]int)
				}
				var wg sync.WaitGroup
				for user, b := range visitors {
					wg.Add(1)
					go func() {
						defer wg.Done()
						for range rounds {
							rec := b.get("/")
							body := rec.Body.String()
							if err := checkHeader(rec.Result(), body, user); err != nil {
								t.Errorf("%q (X-Cache %s): %v:\n%s", user, rec.Header().Get("X-Cache"), err, body)
								return
							}
							mu.Lock()
							seen[user][rec.Header().Get("X-Cache")]++
							mu.Unlock()
						}
					}()
				}
				carol := newBrowser(t, s)
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range rounds / 6 {
						if rec := carol.do(http.MethodPost, "/tasks", url.Values{"title": {fmt.Sprint("task ", i)}}); rec.Code != http.StatusSeeOther {
							t.Errorf("add a task: status %d", rec.Code)
							return
						}
					}
				}()
				wg.Wait()
				for user, counts := range seen {
					if counts["HIT"] == 0 || counts["BYPASS"] != 0 {
						t.Errorf("%q's answers by X-Cache: %v, want hits and no bypass", user, counts)
					}
				}
			})
		}
	}
}
