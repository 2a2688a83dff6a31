package web

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/echocache/scaffold/generated-example/internal/tasks"
)

// TestFlashCookieFlags: the flash cookie carries every flag, and Secure
// exactly when the visitor came over https, as Heroku's router says.
func TestFlashCookieFlags(t *testing.T) {
	s, _ := newTestServer(t, Options{})
	s.ServeTasks(tasks.NewMemory())
	for _, proto := range []string{"", "http", "https"} {
		req := httptest.NewRequest(http.MethodPost, "/tasks", nil)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.PostForm = url.Values{"title": {""}}
		if proto != "" {
			req.Header.Set("X-Forwarded-Proto", proto)
		}
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		var flash *http.Cookie
		for _, c := range rec.Result().Cookies() {
			if c.Name == flashCookie {
				flash = c
			}
		}
		if flash == nil {
			t.Fatalf("X-Forwarded-Proto %q: no flash cookie", proto)
		}
		if !flash.HttpOnly || flash.SameSite != http.SameSiteLaxMode || flash.Path != "/" || flash.Secure != (proto == "https") {
			t.Errorf("X-Forwarded-Proto %q: cookie %+v, want HttpOnly, SameSite=Lax, Path=/, Secure=%v", proto, flash, proto == "https")
		}
	}
}

// TestFlashCookieOnHeroku: on Heroku, a task posted over plain http is
// refused, adds nothing and sets no cookie; over https the flash cookie is
// Secure.
func TestFlashCookieOnHeroku(t *testing.T) {
	s, _ := newTestServer(t, onHeroku)
	s.ServeTasks(tasks.NewMemory())
	b := newBrowser(t, s)
	b.header.Set("X-Forwarded-Proto", "http")
	if rec := b.do(http.MethodPost, "/tasks", url.Values{"title": {"over http"}}); rec.Code != http.StatusForbidden || len(rec.Result().Cookies()) != 0 {
		t.Errorf("post over http: status %d, cookies %v; want 403 and none", rec.Code, rec.Result().Cookies())
	}
	b.header.Set("X-Forwarded-Proto", "https")
	rec := b.do(http.MethodPost, "/tasks", url.Values{"title": {"over https"}})
	flash := b.cookies[flashCookie]
	if rec.Code != http.StatusSeeOther || flash == nil || !flash.Secure {
		t.Errorf("post over https: status %d, flash cookie %+v; want 303 and a Secure cookie", rec.Code, flash)
	}
	if body := b.get("/").Body.String(); strings.Contains(body, "over http<") || !strings.Contains(body, "over https") {
		t.Errorf("want the task posted over https alone:\n%s", body)
	}
}
