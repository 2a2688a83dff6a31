package session

import (
	"net/http"

	"github.com/gorilla/sessions"
	"github.com/labstack/echo/v4"

	"github.com/echocache/scaffold/generated-example/internal/cache"
)

// Middleware makes store available to Get. A request that never calls Get
// costs no cache round trip. A request that carries a session cookie with
// a valid signature is marked as a known visitor's (cache.MarkVisitor), so
// the view cache hands this visitor a page cached for everyone only with
// its holes filled for them (see cache.Hole), and renders any other page
// for them; checking the signature needs no round trip either.
//
// cookieFlags returns the app's flags for the cookies of its answer to a
// request (Path, HttpOnly, SameSite, Secure...), which the session cookie
// carries with its own name, value and lifetime: the flags, and whom to
// believe about https (a router's X-Forwarded-Proto, say), are the app's
// to decide, once, for all its cookies.
func Middleware(store *Store, cookieFlags func(*http.Request) http.Cookie) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			st := state(c.Request())
			st.store, st.cookieFlags = store, cookieFlags
			if store.hasSessionCookie(c.Request()) {
				cache.MarkVisitor(c.Request())
			}
			return next(c)
		}
	}
}

// Enabled reports whether Middleware runs for the request, so that Get
// can find a store.
func Enabled(c echo.Context) bool {
	st := attached(c.Request())
	return st != nil && st.store != nil
}

// Get returns the named session, loading it on the first call in a
// request. The session is saved, if it changed, just before the response
// is written, so a handler never has to remember to call Save before a
// redirect.
func Get(name string, c echo.Context) (*sessions.Session, error) {
	r := c.Request()
	rs := attached(r)
	if rs == nil || rs.store == nil {
		return nil, errNoStore
	}
	st := rs.get(name)
	sess, err := rs.store.Get(r, name)
	if err != nil {
		return nil, err
	}
	if !st.hooked {
		st.hooked = true
		res := c.Response()
		res.Before(func() {
			// A failure is counted and logged by the cache; the visitor
			// keeps the session they had.
			rs.store.saveIfChanged(r, res, sess)
		})
	}
	return sess, nil
}
