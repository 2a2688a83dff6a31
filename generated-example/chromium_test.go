package main

import (
	"context"
	"fmt"
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
