package web

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/echocache/scaffold/generated-example/internal/tasks"
)

// TestCacheDashboard: the page counts each layer's hits and misses as the
// demo is used, and is never a cached view.
func TestCacheDashboard(t *testing.T) {
	s, _ := newTestServer(t, Options{})
	s.UseSessions(testSessions(s))
	store := tasks.NewMemory()
	s.ServeTasks(store)
	b := newBrowser(t, s)
	b.do(http.MethodPost, "/tasks", map[string][]string{"title": {"one"}})
	b.get("/") // view miss: renders the list and its fragment, and the flash in its hole
	s.fragments.Wait()
	s.cache.Namespace(store.Namespace()).DeleteView("/")
	do(s, http.MethodGet, "/") // view miss, memoized list, fragment hit
	do(s, http.MethodGet, "/") // view hit
	b.do(http.MethodPost, "/session/login", nil)
	b.get("/session/") // the session is found

	rec := do(s, http.MethodGet, "/cache/")
	page := rec.Body.String()
	if rec.Code != http.StatusOK || rec.Header().Get("X-Cache") != "" || !strings.Contains(rec.Header().Get("Cache-Control"), "no-store") {
		t.Errorf("got %d, X-Cache %q, Cache-Control %q; want 200, no view cache, no-store", rec.Code, rec.Header().Get("X-Cache"), rec.Header().Get("Cache-Control"))
	}
	for layer, want := range map[string]string{
		"views":     "1 2 0",
		"memoize":   "1 1 0",
		"fragments": "1 1 0",
		"sessions":  "1 0 0",
	} {
		if got := layerRow(t, page, layer); got != want {
			t.Errorf("%s: hits, misses, errors %q, want %q", layer, got, want)
		}
	}
	if !strings.Contains(page, "<strong>memory</strong>") || !strings.Contains(page, `<meter min="0" max="1" value="0.5">`) {
		t.Errorf("the page lacks the backend or the hit ratio bars:\n%s", page)
	}
	if again := do(s, http.MethodGet, "/cache/"); again.Header().Get("X-Cache") != "" {
		t.Error("the dashboard went through the view cache")
	}
}

// layerRow returns the hits, misses and errors the dashboard shows for a
// layer, as a string such as "1 1 0".
func layerRow(t *testing.T, page, layer string) string {
	t.Helper()
	m := regexp.MustCompile(`<th>` + layer + `</th><td>(\d+)</td><td>(\d+)</td><td>(\d+)</td>`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("the dashboard has no row for %s:\n%s", layer, page)
	}
	return m[1] + " " + m[2] + " " + m[3]
}
