package main

import (
	"strings"
	"testing"
)

// TestBrowserLogin logs in and out from the header and sees every page
// follow: the home page is rendered for the logged-in visitor, not served
// from the shared cache.
func TestBrowserLogin(t *testing.T) {
	base := startFullApp(t)
	ctx := newPage(t)
	const loggedIn = "Logged in as demo visitor"

	visit(t, ctx, base+"/")
	if n := count(t, ctx, `header form[action="/session/login"]`); n != 1 || strings.Contains(text(t, ctx), loggedIn) {
		t.Fatalf("before logging in the header has %d Log in buttons:\n%s", n, text(t, ctx))
	}
	click(t, ctx, `header form[action="/session/login"] button`)
	if page := text(t, ctx); !strings.Contains(page, loggedIn) {
		t.Fatalf("after logging in:\n%s", page)
	}
	resp := visit(t, ctx, base+"/")
	if page := text(t, ctx); !strings.Contains(page, loggedIn) || header(resp, "X-Cache") != "BYPASS" {
		t.Errorf("home page when logged in: X-Cache %q, want BYPASS and the name in the header:\n%s", header(resp, "X-Cache"), page)
	}
	click(t, ctx, `header form[action="/session/logout"] button`)
	if page := text(t, ctx); strings.Contains(page, loggedIn) || count(t, ctx, `header form[action="/session/login"]`) != 1 {
		t.Errorf("after logging out:\n%s", page)
	}
	visit(t, ctx, base+"/")
	if page := text(t, ctx); strings.Contains(page, loggedIn) {
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
