package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/echocache/scaffold/generated-example/internal/memcachedtest"
)

// The TestBrowser tests drive the app in a real headless Chromium, the way
// a visitor does: they type, click and read what the page shows. They
// need Chromium (apt-get install chromium; or Google Chrome): without it
// they skip, unless CI is set, in which case they fail. One browser serves
// the whole run; each test gets its own browser context, with its own
// cookies. When a test fails, a screenshot and the page's HTML are saved
// in a temporary directory whose path the test prints.

// browser is the Chromium of this package's tests, started by the first
// test that needs it and stopped by TestMain.
var browser sharedBrowser

type sharedBrowser struct {
	once   sync.Once
	ctx    context.Context // the browser's; nil if it could not start
	cancel context.CancelFunc
	err    error
}

// browserNames are the programs tried, in order.
var browserNames = []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "headless-shell"}

func (b *sharedBrowser) start() {
	var path string
	for _, name := range browserNames {
		if p, err := exec.LookPath(name); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		b.err = fmt.Errorf("no Chromium found (looked for %s): apt-get install chromium", strings.Join(browserNames, ", "))
		return
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.DisableGPU,
		// Nothing but the app is reachable from a test: no updates, no
		// connections of the browser's own.
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-quic", true),
	)
	if os.Geteuid() == 0 {
		opts = append(opts, chromedp.NoSandbox) // Chromium's sandbox refuses to run as root
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(alloc)
	// Start the browser now, so that a broken install fails here once.
	if err := chromedp.Do(ctx); err != nil {
		cancel()
		cancelAlloc()
		b.err = fmt.Errorf("start %s: %w", path, err)
		return
	}
	b.ctx = ctx
	b.cancel = func() { cancel(); cancelAlloc() }
}

// Close stops the browser, if it was started.
func (b *sharedBrowser) Close() {
	if b.cancel != nil {
		b.cancel()
	}
}

// newPage returns a tab in a new browser context (its own cookies) that
// lives until the test ends, and saves a screenshot and the HTML of the
// page when the test fails.
func newPage(t *testing.T) context.Context {
	t.Helper()
	browser.once.Do(browser.start)
	if browser.err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("browser tests need Chromium in CI: %v", browser.err)
		}
		t.Skipf("skipping browser test: %v", browser.err)
	}
	ctx, cancel := chromedp.NewContext(browser.ctx, chromedp.WithNewBrowserContext())
	ctx, cancelTimeout := context.WithTimeout(ctx, 60*time.Second)
	t.Cleanup(func() { cancelTimeout(); cancel() })
	t.Cleanup(func() {
		if t.Failed() {
			saveEvidence(t, ctx)
		}
	})
	return ctx
}

// saveEvidence writes a screenshot and the HTML of the page to a new
// temporary directory and prints its path.
func saveEvidence(t *testing.T, ctx context.Context) {
	dir, err := os.MkdirTemp("", "browser-"+strings.ReplaceAll(t.Name(), "/", "-")+"-")
	if err != nil {
		t.Logf("cannot save a screenshot: %v", err)
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)); err == nil {
		os.WriteFile(filepath.Join(dir, "screenshot.png"), png, 0o644)
	}
	if html, err := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("html"))); err == nil {
		os.WriteFile(filepath.Join(dir, "page.html"), []byte(html), 0o644)
	}
	t.Logf("screenshot and HTML of the page: %s", dir)
}

// visit loads url and returns the response to it.
func visit(t *testing.T, ctx context.Context, url string) *network.Response {
	t.Helper()
	resp, err := chromedp.Run(ctx, chromedp.NavigateResponse(url))
	if err != nil {
		t.Fatalf("open %s: %v", url, err)
	}
	return resp
}

// click clicks the element that sel finds and waits for the page it leads
// to, returning the final response (after any redirect).
func click(t *testing.T, ctx context.Context, sel string) *network.Response {
	t.Helper()
	resp, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("click %s: %v", sel, err)
	}
	return resp
}

// submitTask types title into the form and submits it.
func submitTask(t *testing.T, ctx context.Context, title string) *network.Response {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.CSS("#title"), title)); err != nil {
		t.Fatalf("type %q: %v", title, err)
	}
	return click(t, ctx, `form.add button[type="submit"]`)
}

// text returns the visible text of the page.
func text(t *testing.T, ctx context.Context) string {
	t.Helper()
	// Read it in the page rather than through DOM node IDs, which a page
	// that is still settling may have replaced.
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string]("document.body ? document.body.innerText : ''"))
	if err != nil {
		t.Fatalf("read the page: %v", err)
	}
	return s
}

// count returns how many elements sel finds.
func count(t *testing.T, ctx context.Context, sel string) int {
	t.Helper()
	n, err := chromedp.Run(ctx, chromedp.Evaluate[int](fmt.Sprintf("document.querySelectorAll(%q).length", sel)))
	if err != nil {
		t.Fatalf("count %s: %v", sel, err)
	}
	return n
}

func header(resp *network.Response, name string) string {
	for k, v := range resp.Headers {
		if strings.EqualFold(k, name) {
			return fmt.Sprint(v)
		}
	}
	return ""
}

// startFullApp runs the app on a real memcached and a migrated PostgreSQL
// database, as it runs on Heroku.
func startFullApp(t *testing.T) string {
	t.Helper()
	mc := memcachedtest.Start(t)
	base, shutdown := startApp(t, map[string]string{
		"MEMCACHIER_SERVERS": mc.Addr,
		"DATABASE_URL":       migratedDatabase(t),
	})
	t.Cleanup(func() { shutdown() })
	return base
}

// TestBrowserTasks adds two tasks, deletes one, submits an empty title and
// sees its message exactly once, then reloads and gets the cached view.
func TestBrowserTasks(t *testing.T) {
	base := startFullApp(t)
	ctx := newPage(t)

	if resp := visit(t, ctx, base+"/"); resp.Status != http.StatusOK || !strings.Contains(text(t, ctx), "No tasks yet.") {
		t.Fatalf("home page: status %d:\n%s", resp.Status, text(t, ctx))
	}
	for _, title := range []string{"Buy milk", "Walk the dog"} {
		resp := submitTask(t, ctx, title)
		page := text(t, ctx)
		if resp.Status != http.StatusOK || !strings.Contains(page, "Task added.") || !strings.Contains(page, title) {
			t.Fatalf("after adding %q: status %d:\n%s", title, resp.Status, page)
		}
	}
	click(t, ctx, `button[aria-label="Delete Buy milk"]`)
	page := text(t, ctx)
	if !strings.Contains(page, "Task deleted.") || strings.Contains(page, "Buy milk") || !strings.Contains(page, "Walk the dog") {
		t.Fatalf("after deleting Buy milk:\n%s", page)
	}

	// The form requires a title, so only spaces get past the browser; the
	// server trims them and says why it stored nothing.
	submitTask(t, ctx, "   ")
	if n := count(t, ctx, ".flash"); n != 1 || !strings.Contains(text(t, ctx), "Give the task a title.") {
		t.Errorf("after an empty title: %d messages, want 1:\n%s", n, text(t, ctx))
	}
	if err := chromedp.Do(ctx, chromedp.Reload()); err != nil {
		t.Fatal(err)
	}
	if n := count(t, ctx, ".flash"); n != 0 {
		t.Errorf("after a reload the message is still shown (%d)", n)
	}
	if n := count(t, ctx, "ul.tasks li"); n != 1 {
		t.Errorf("the list has %d rows, want 1", n)
	}

	visit(t, ctx, base+"/")
	if resp := visit(t, ctx, base+"/"); header(resp, "X-Cache") != "HIT" {
		t.Errorf("a reload without changes: X-Cache %q, want HIT", header(resp, "X-Cache"))
	}
}

// TestBrowserRefusesCrossSitePost: a page on another site that makes the
// visitor's browser post the add-task form gets 403, and nothing is added.
func TestBrowserRefusesCrossSitePost(t *testing.T) {
	base := startFullApp(t)
	// localhost and 127.0.0.1 are different sites to a browser.
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<form method="post" action="%s/tasks"><input name="title" value="planted"><button id="go">Win a prize</button></form>`, base)
	}))
	t.Cleanup(evil.Close)
	evilURL := strings.Replace(evil.URL, "127.0.0.1", "localhost", 1)

	ctx := newPage(t)
	visit(t, ctx, evilURL)
	if resp := click(t, ctx, "#go"); resp.Status != http.StatusForbidden {
		t.Errorf("cross-site post: status %d, want 403", resp.Status)
	}
	visit(t, ctx, base+"/")
	if page := text(t, ctx); strings.Contains(page, "planted") {
		t.Errorf("the cross-site post added a task:\n%s", page)
	}
}
