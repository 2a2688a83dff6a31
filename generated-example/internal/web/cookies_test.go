package web

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/echocache/scaffold/generated-example/internal/config"

	"github.com/echocache/scaffold/generated-example/internal/tasks"
)

// TestFlashCookieFlags: the flash cookie carries every flag, and Secure
// exactly when the visitor came over https, as Heroku's router says.
func TestFlashCookieFlags(t *testing.T) {
	s, _ := newTestServer(t, config.Config{})
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
