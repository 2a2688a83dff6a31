package main

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// logIn types name into the header's log-in form and submits it.
func logIn(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.CSS(`header form[action="/session/login"] input[name="name"]`), name)); err != nil {
		t.Fatalf("type %q: %v", name, err)
	}
	click(t, ctx, `header form[action="/session/login"] button`)
	if page := text(t, ctx); !strings.Contains(page, "Logged in as "+name) {
		t.Fatalf("after logging in as %s:\n%s", name, page)
	}
}

// TestBrowserLogin logs two visitors in under their own names, in two
// browser contexts, and sees each name in the header of the home page
// served from the cache, while a third, anonymous context sees a Log in
// button there; logging out brings the button back.
func TestBrowserLogin(t *testing.T) {
	base := startFullApp(t)
	alice, bob, anonymous := newPage(t), newPage(t), newPage(t)

	visit(t, anonymous, base+"/")
	visit(t, alice, base+"/")
	if n := count(t, alice, `header form[action="/session/login"]`); n != 1 || strings.Contains(text(t, alice), "Logged in as") {
		t.Fatalf("before logging in the header has %d Log in buttons:\n%s", n, text(t, alice))
	}
	logIn(t, alice, "Alice")
	visit(t, bob, base+"/")
	logIn(t, bob, "Bob")

	for _, v := range []struct {
		ctx  context.Context
		name string
	}{{alice, "Alice"}, {bob, "Bob"}, {anonymous, ""}} {
		resp := visit(t, v.ctx, base+"/")
		page := text(t, v.ctx)
		if header(resp, "X-Cache") != "HIT" {
			t.Errorf("%q's home page: X-Cache %q, want HIT", v.name, header(resp, "X-Cache"))
		}
		switch v.name {
		case "":
			if strings.Contains(page, "Logged in as") || count(t, v.ctx, `header form[action="/session/login"]`) != 1 {
				t.Errorf("the anonymous home page's header:\n%s", page)
			}
		default:
			other := map[string]string{"Alice": "Bob", "Bob": "Alice"}[v.name]
			if !strings.Contains(page, "Logged in as "+v.name) || strings.Contains(page, other) {
				t.Errorf("%s's home page's header:\n%s", v.name, page)
			}
			if cc := header(resp, "Cache-Control"); cc != "private, no-store" {
				t.Errorf("%s's home page: Cache-Control %q, want private, no-store", v.name, cc)
			}
		}
	}

	click(t, alice, `header form[action="/session/logout"] button`)
	if page := text(t, alice); strings.Contains(page, "Logged in as") || count(t, alice, `header form[action="/session/login"]`) != 1 {
		t.Errorf("after logging out:\n%s", page)
	}
	visit(t, alice, base+"/")
	if page := text(t, alice); strings.Contains(page, "Logged in as") {
		t.Errorf("home page after logging out still shows the name:\n%s", page)
	}
}

// TestBrowserSessionForms: loading /session/ and /set/ starts no session;
// their buttons do, and /get/ then reads the value /set/ stored.
func TestBrowserSessionForms(t *testing.T) {
	base := startFullApp(t)
	ctx := newPage(t)

	visit(t, ctx, base+"/session/")
	if page := text(t, ctx); strings.Contains(page, "seen this page") || count(t, ctx, `form[action="/session/start"]`) != 1 {
		t.Fatalf("/session/ without a session: want no count and a Start button:\n%s", page)
	}
	click(t, ctx, `form[action="/session/start"] button`)
	if page := text(t, ctx); !strings.Contains(page, "seen this page 1 time") {
		t.Errorf("after Start a session:\n%s", page)
	}

	visit(t, ctx, base+"/set/")
	click(t, ctx, `main form[action="/set/"] button`)
	if page := text(t, ctx); page != "value" {
		t.Errorf("after storing a value, /get/ says %q, want value", page)
	}
}
