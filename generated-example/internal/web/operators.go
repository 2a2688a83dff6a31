package web

import (
	"crypto/sha256"
	"crypto/subtle"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
)

// operatorsOnly is the rule for the pages meant for whoever runs the app
// rather than its visitors, such as the cache dashboard, which shows the
// cache's figures and its servers' addresses. Add it to each such route.
//
// With DASHBOARD_PASSWORD set, such a page asks for it with HTTP basic
// authentication; any user name will do, since the password alone is the
// secret. Without one, the pages are open locally, for development, and
// on Heroku (DYNO set) they are not there at all: 404, as for a page that
// does not exist.
func operatorsOnly(dashboardPassword string, onHeroku bool) echo.MiddlewareFunc {
	if dashboardPassword == "" {
		if onHeroku {
			return func(echo.HandlerFunc) echo.HandlerFunc {
				return func(echo.Context) error { return echo.ErrNotFound }
			}
		}
		return func(next echo.HandlerFunc) echo.HandlerFunc { return next }
	}
	// Comparing digests takes the same time whatever the guess and
	// whatever its length, so the answer's timing tells nothing about
	// the password.
	want := sha256.Sum256([]byte(dashboardPassword))
	return middleware.BasicAuthWithConfig(middleware.BasicAuthConfig{
		Realm: "operators",
		Validator: func(_, password string, _ echo.Context) (bool, error) {
			got := sha256.Sum256([]byte(password))
			return subtle.ConstantTimeCompare(got[:], want[:]) == 1, nil
		},
	})
}
