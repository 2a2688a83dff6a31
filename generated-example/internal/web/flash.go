package web

import (
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"
)

// flashCookie carries a one-time message to the next page this visitor
// sees, such as "Task added." after a redirect.
const flashCookie = "flash"

// setFlash stores msg for the visitor's next page.
func setFlash(c echo.Context, msg string) {
	c.SetCookie(newCookie(c.Request(), flashCookie, url.QueryEscape(msg), 60))
}

// takeFlash returns the visitor's message, if any, and clears it. The
// response is then marked no-store: it is this visitor's alone, and the
// view cache will not keep it (nor would it, as it sets a cookie).
func takeFlash(c echo.Context) string {
	cookie, err := c.Cookie(flashCookie)
	if err != nil {
		return ""
	}
	c.SetCookie(newCookie(c.Request(), flashCookie, "", -1))
	c.Response().Header().Set("Cache-Control", "no-store")
	msg, err := url.QueryUnescape(cookie.Value)
	if err != nil {
		return ""
	}
	return msg
}

// hasFlash tells the view cache to step aside for a visitor with a
// message waiting: the cached page is everyone's and cannot show it.
func hasFlash(r *http.Request) bool {
	_, err := r.Cookie(flashCookie)
	return err == nil
}
