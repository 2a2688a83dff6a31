package web

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/labstack/echo/v4"
)

// TestFlash: a message set while answering a post is shown on that
// visitor's next page alone, once, on a page no cache may store; its
// cookie carries every flag.
func TestFlash(t *testing.T) {
	s, _ := newTestServer(t, Options{})
	const msg = "Saved: 100% <done>"
	s.echo.POST("/save", func(c echo.Context) error {
		setFlash(c, msg)
		return c.Redirect(http.StatusSeeOther, "/saved")
	})
	s.echo.GET("/saved", func(c echo.Context) error {
		return c.String(http.StatusOK, "["+takeFlash(c)+"]")
	})
	alice, bob := newBrowser(t, s), newBrowser(t, s)

	alice.do(http.MethodPost, "/save", url.Values{})
	cookie := alice.cookies[flashCookie]
	if cookie == nil {
		t.Fatal("no flash cookie after the post")
	}
	if !cookie.HttpOnly || cookie.SameSite != http.SameSiteLaxMode || cookie.Path != "/" || cookie.Secure {
		t.Errorf("flash cookie %+v, want HttpOnly, SameSite=Lax, Path=/ and not Secure over http", cookie)
	}
	page := alice.get("/saved")
	if got, want := page.Body.String(), "["+msg+"]"; got != want {
		t.Errorf("alice's next page: got %q, want %q", got, want)
	}
	if got := page.Header().Get("Cache-Control"); got != "no-store" {
		t.Errorf("the page with the message: Cache-Control %q, want no-store", got)
	}
	if got := alice.get("/saved").Body.String(); got != "[]" {
		t.Errorf("alice's page after that: got %q, want the message gone", got)
	}
	if got := bob.get("/saved").Body.String(); got != "[]" {
		t.Errorf("bob's page: got %q, want no message", got)
	}
}
