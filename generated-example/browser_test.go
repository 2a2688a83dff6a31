package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// submitTask types title into the form and submits it.
func submitTask(t *testing.T, ctx context.Context, title string) *network.Response {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.CSS("#title"), title)); err != nil {
		t.Fatalf("type %q: %v", title, err)
	}
	return click(t, ctx, `form.add button[type="submit"]`)
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
