package web

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/echocache/scaffold/generated-example/internal/tasks"
)

// TestCrossSitePostsAreRefused: a form posted from another site gets 403
// and changes nothing; the app's own pages and clients that are not
// browsers (no Origin, no Sec-Fetch-Site) keep working.
func TestCrossSitePostsAreRefused(t *testing.T) {
	crossSite := []struct {
		name   string
		header map[string]string
	}{
		{"Sec-Fetch-Site cross-site", map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}},
		{"Sec-Fetch-Site same-site", map[string]string{"Sec-Fetch-Site": "same-site", "Origin": "https://evil.example.com"}},
		{"Origin of another host", map[string]string{"Origin": "https://evil.example"}},
	}
	posts := []struct {
		target string // "{id}" stands for the ID of the owner's task
		form   url.Values
	}{
		{"/tasks", url.Values{"title": {"planted"}}},
		{"/tasks/{id}/delete", nil},
	}
	deleteAction := regexp.MustCompile(`action="/tasks/(\d+)/delete"`)
	for _, cs := range crossSite {
		for _, p := range posts {
			t.Run(cs.name+" "+p.target, func(t *testing.T) {
				s, _ := newTestServer(t, Options{})
				s.ServeTasks(tasks.NewMemory())
				owner := newBrowser(t, s)
				owner.do(http.MethodPost, "/tasks", url.Values{"title": {"mine"}})
				m := deleteAction.FindStringSubmatch(owner.get("/").Body.String())
				if m == nil {
					t.Fatal("the owner's task has no delete form")
				}
				target := strings.ReplaceAll(p.target, "{id}", m[1])

				attacker := newBrowser(t, s)
				for k, v := range cs.header {
					attacker.header.Set(k, v)
				}
				rec := attacker.do(http.MethodPost, target, p.form)
				if rec.Code != http.StatusForbidden {
					t.Errorf("got status %d, want 403", rec.Code)
				}
				if cookies := rec.Result().Cookies(); len(cookies) != 0 {
					t.Errorf("a refused post set cookies: %v", cookies)
				}
				body := owner.get("/").Body.String()
				if strings.Contains(body, "planted") || !strings.Contains(body, "mine") {
					t.Errorf("a refused post changed the task list:\n%s", body)
				}
			})
		}
	}

	sameOrigin := []struct {
		name   string
		header map[string]string
	}{
		{"Sec-Fetch-Site same-origin", map[string]string{"Sec-Fetch-Site": "same-origin", "Origin": "http://example.com"}},
		{"Origin of this host", map[string]string{"Origin": "http://example.com"}},
		{"typed by the visitor", map[string]string{"Sec-Fetch-Site": "none"}},
		{"not a browser", nil},
	}
	for _, so := range sameOrigin {
		t.Run(so.name, func(t *testing.T) {
			s, _ := newTestServer(t, Options{})
			s.ServeTasks(tasks.NewMemory())
			b := newBrowser(t, s)
			for k, v := range so.header {
				b.header.Set(k, v)
			}
			if rec := b.do(http.MethodPost, "/tasks", url.Values{"title": {"wanted"}}); rec.Code != http.StatusSeeOther {
				t.Fatalf("add: got status %d, want 303", rec.Code)
			}
			if body := b.get("/").Body.String(); !strings.Contains(body, "wanted") {
				t.Errorf("the task was not added:\n%s", body)
			}
		})
	}
}

// TestSecurityHeaders: every response carries the headers, whether it was
// rendered, replayed from the view cache, static or an error.
func TestSecurityHeaders(t *testing.T) {
	want := map[string]string{
		"Content-Security-Policy": contentSecurityPolicy,
		"X-Content-Type-Options":  "nosniff",
		"X-Frame-Options":         "DENY",
		"Referrer-Policy":         "strict-origin-when-cross-origin",
	}
	for name, newServer := range caches(t) {
		t.Run(name, func(t *testing.T) {
			s := newServer(t)
			s.ServeTasks(tasks.NewMemory())
			crossSite := httptest.NewRequest(http.MethodPost, "/tasks", nil)
			crossSite.Header.Set("Sec-Fetch-Site", "cross-site")
			tooBig := httptest.NewRequest(http.MethodPost, "/tasks", strings.NewReader(strings.Repeat("x", DefaultMaxBodyBytes+1)))
			requests := []struct {
				name   string
				req    *http.Request
				status int
				xcache string
			}{
				{"page, miss", httptest.NewRequest(http.MethodGet, "/", nil), http.StatusOK, "MISS"},
				{"page, hit", httptest.NewRequest(http.MethodGet, "/", nil), http.StatusOK, "HIT"},
				{"head, hit", httptest.NewRequest(http.MethodHead, "/", nil), http.StatusOK, "HIT"},
				{"static", httptest.NewRequest(http.MethodGet, "/static/style.css", nil), http.StatusOK, ""},
				{"health", httptest.NewRequest(http.MethodGet, "/healthz", nil), http.StatusOK, ""},
				{"not found", httptest.NewRequest(http.MethodGet, "/nope", nil), http.StatusNotFound, ""},
				{"cross-site", crossSite, http.StatusForbidden, ""},
				{"too big", tooBig, http.StatusRequestEntityTooLarge, ""},
			}
			for _, r := range requests {
				rec := httptest.NewRecorder()
				s.ServeHTTP(rec, r.req)
				if rec.Code != r.status || rec.Header().Get("X-Cache") != r.xcache {
					t.Errorf("%s: got status %d, X-Cache %q; want %d, %q", r.name, rec.Code, rec.Header().Get("X-Cache"), r.status, r.xcache)
				}
				for k, v := range want {
					if got := rec.Header().Values(k); len(got) != 1 || got[0] != v {
						t.Errorf("%s: %s is %q, want %q once", r.name, k, got, v)
					}
				}
			}
		})
	}
}

// TestBodyLimit: a body over the limit is a 413 and stores nothing,
// whether its length was declared or it was streamed without one.
func TestBodyLimit(t *testing.T) {
	const limit = 1024
	tests := []struct {
		name     string
		title    string
		streamed bool
		status   int
	}{
		{"small", "fits", false, http.StatusSeeOther},
		{"small, streamed", "fits too", true, http.StatusSeeOther},
		{"declared too big", strings.Repeat("x", limit), false, http.StatusRequestEntityTooLarge},
		{"streamed too big", strings.Repeat("y", limit), true, http.StatusRequestEntityTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := newTestServer(t, Options{MaxBodyBytes: limit})
			s.ServeTasks(tasks.NewMemory())
			var body io.Reader = strings.NewReader(url.Values{"title": {tt.title}}.Encode())
			if tt.streamed {
				body = io.MultiReader(body) // hides the length: sent chunked
			}
			req := httptest.NewRequest(http.MethodPost, "/tasks", body)
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			rec := httptest.NewRecorder()
			s.ServeHTTP(rec, req)
			if rec.Code != tt.status {
				t.Errorf("got status %d, want %d", rec.Code, tt.status)
			}
			page := do(s, http.MethodGet, "/").Body.String()
			if added := strings.Contains(page, tt.title); added != (tt.status == http.StatusSeeOther) {
				t.Errorf("task added: %v, want %v", added, tt.status == http.StatusSeeOther)
			}
		})
	}
}
