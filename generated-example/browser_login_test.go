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
