package web

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// DefaultMaxBodyBytes is the largest request body accepted when
// MAX_BODY_BYTES is not set: plenty for the app's forms, and small enough
// that no request can make the process hold or spool much.
const DefaultMaxBodyBytes = 256 << 10

// contentSecurityPolicy allows what the pages use, and nothing else: the
// stylesheet and images from this origin, and forms that post back to it.
// No script runs, and no other site may frame a page.
const contentSecurityPolicy = "default-src 'none'; style-src 'self'; img-src 'self'; " +
	"form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// securityHeaders sets the headers every response carries, error pages and
// cached views included. They are set before the handler runs, so a page
// replayed from the view cache gets them too.
func securityHeaders() echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			h := c.Response().Header()
			h.Set("Content-Security-Policy", contentSecurityPolicy)
			h.Set("X-Content-Type-Options", "nosniff")
			h.Set("X-Frame-Options", "DENY") // for browsers that predate frame-ancestors
			h.Set("Referrer-Policy", "strict-origin-when-cross-origin")
			return next(c)
		}
	}
}

// crossOriginProtection refuses a POST (or any other unsafe method) that a
// browser sends on behalf of another site, with 403, before the handler,
// or any middleware added after this one, runs. It uses Go's http.CrossOriginProtection, which
// reads the Sec-Fetch-Site and Origin headers that browsers send: no
// tokens, so cached pages and fragments stay the same for everyone.
// Requests with neither header, such as curl's, are not from a browser and
// pass.
func crossOriginProtection() echo.MiddlewareFunc {
	cop := http.NewCrossOriginProtection()
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if err := cop.Check(c.Request()); err != nil {
				return echo.NewHTTPError(http.StatusForbidden).SetInternal(err)
			}
			return next(c)
		}
	}
}

// limitBodies answers 413 to a request whose body is larger than limit
// bytes. A declared length is refused before anything is read; a body sent
// without one is cut off at the limit, and reading past it fails with
// *http.MaxBytesError.
func limitBodies(limit int64) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			req := c.Request()
			if req.ContentLength > limit {
				return echo.NewHTTPError(http.StatusRequestEntityTooLarge)
			}
			req.Body = http.MaxBytesReader(c.Response(), req.Body, limit)
			return next(c)
		}
	}
}
