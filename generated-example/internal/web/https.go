package web

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// strictTransportSecurity tells browsers to use https alone for this host
// for two years. It leaves out includeSubDomains: on a custom domain that
// would bind every other site under it to https as well.
const strictTransportSecurity = "max-age=63072000"

// isHTTPS reports whether the visitor connected over https, directly or
// through a router that terminates TLS and says so in X-Forwarded-Proto,
// as Heroku's does. It is the app's one answer to "must this request's
// cookies be Secure" (see cookieFlags), and with FORCE_HTTPS every
// request that reaches a handler has passed it.
func isHTTPS(r *http.Request) bool {
	return r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https"
}

// cookieFlags returns the flags of every cookie the app sets in its answer
// to r, set explicitly rather than left to a library's defaults: HttpOnly
// (no script reads it), SameSite=Lax (not sent with cross-site posts),
// Path=/, and Secure whenever the visitor came over https. The session
// middleware and the flash cookie (newCookie) both take them from here;
// each adds its cookie's name, value and lifetime.
func cookieFlags(r *http.Request) http.Cookie {
	return http.Cookie{
		Path:     "/",
		HttpOnly: true,
		Secure:   isHTTPS(r),
		SameSite: http.SameSiteLaxMode,
	}
}

// requireHTTPS keeps plain http away from the app, for FORCE_HTTPS (on by
// default on Heroku, whose router also answers http://). A GET or HEAD
// that came over http is redirected to the same host, path and query on
// https, with 308 so that the method is kept; any other method is refused
// with 403 before a handler, or the session, sees it: whatever it carried
// has already crossed the network in the clear. Every answer over https
// carries Strict-Transport-Security, cached pages included, so a browser
// that has seen the app once never asks over http again.
func requireHTTPS() echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			r := c.Request()
			if isHTTPS(r) {
				c.Response().Header().Set("Strict-Transport-Security", strictTransportSecurity)
				return next(c)
			}
			if r.Method != http.MethodGet && r.Method != http.MethodHead {
				return echo.NewHTTPError(http.StatusForbidden, "https required")
			}
			// Built as a URL rather than by pasting strings, so that a
			// Host with an "@" or a "/" in it cannot point elsewhere.
			u := *r.URL
			u.Scheme, u.Host, u.User = "https", r.Host, nil
			return c.Redirect(http.StatusPermanentRedirect, u.String())
		}
	}
}
