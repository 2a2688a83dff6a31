package web

import (
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"testing"
	"testing/fstest"

	"github.com/labstack/echo/v4"

	"github.com/echocache/scaffold/generated-example/internal/cache"
	"github.com/echocache/scaffold/generated-example/internal/tasks"
	"github.com/echocache/scaffold/generated-example/internal/testlog"
)

// TestOwnHoles adds holes to the layout the way the README tells an owner
// to: a "cart" hole whose function reads the visitor's own cookie, a
// "broken" one whose function fails, and a "bare" one with no function.
// The home page stays one cached page for everyone; each visitor sees
// their own cart in it, a failing hole is left empty, and a hole without
// a function gets nil.
func TestOwnHoles(t *testing.T) {
	fsys := withChangedFile(t, "views/layout.html", `{{- .Personal "flash"}}`,
		`{{- .Personal "flash"}}<p class="cart">{{.Personal "cart"}}</p><p class="broken">{{.Personal "broken"}}</p><p class="bare">{{.Personal "bare"}}</p>`)
	fsys.(fstest.MapFS)["views/partials/own.html"] = &fstest.MapFile{Data: []byte(
		`{{define "cart"}}{{.}} items{{end}}` +
			`{{define "broken"}}{{.}}{{end}}` +
			`{{define "bare"}}{{if .}}data{{else}}nil{{end}}{{end}}`)}
	logs := &testlog.Buffer{}
	logger := slog.New(slog.NewTextHandler(logs, nil))
	s, err := newServer(Options{}, cache.NewMemory(0, logger), logger, fsys)
	if err != nil {
		t.Fatal(err)
	}
	s.ServeTasks(tasks.NewMemory())
	s.addHole("cart", func(c echo.Context) (any, error) {
		cache.MarkPersonal(c.Request()) // the visitor's own
		cookie, err := c.Cookie("cart")
		if err != nil {
			return 0, nil
		}
		return cookie.Value, nil
	})
	s.addHole("broken", func(c echo.Context) (any, error) { return "never shown", errors.New("no cart service") })

	visit := func(cart string) (*httptest.ResponseRecorder, string) {
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		if cart != "" {
			req.AddCookie(&http.Cookie{Name: "cart", Value: cart})
		}
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		return rec, rec.Body.String()
	}
	parts := regexp.MustCompile(`<p class="cart">([^<]*)</p><p class="broken">([^<]*)</p><p class="bare">([^<]*)</p>`)
	check := func(who, cart, xcache, items string) string {
		t.Helper()
		rec, body := visit(cart)
		m := parts.FindStringSubmatch(body)
		if rec.Code != http.StatusOK || rec.Header().Get("X-Cache") != xcache || m == nil {
			t.Fatalf("%s: status %d, X-Cache %q, want 200 %s with the holes filled:\n%s", who, rec.Code, rec.Header().Get("X-Cache"), xcache, body)
		}
		if m[1] != items+" items" || m[2] != "" || m[3] != "nil" {
			t.Errorf("%s: cart %q, broken %q, bare %q; want %q, empty, nil", who, m[1], m[2], m[3], items+" items")
		}
		if cart != "" && rec.Header().Get("Cache-Control") != "private, no-store" {
			t.Errorf("%s: Cache-Control %q, want private, no-store", who, rec.Header().Get("Cache-Control"))
		}
		return parts.ReplaceAllString(body, "")
	}
	anonymous := check("an anonymous visitor", "", "MISS", "0")
	if check("a visitor with 3 items", "3", "HIT", "3") != anonymous || check("a visitor with 5 items", "5", "HIT", "5") != anonymous {
		t.Error("the page around the holes differs between visitors")
	}
	check("the anonymous visitor again", "", "HIT", "0")
	if !regexp.MustCompile(`hole broken of /.*no cart service`).MatchString(logs.String()) {
		t.Errorf("the failing hole was not logged:\n%s", logs.String())
	}
}
