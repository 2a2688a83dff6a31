package web

import (
	"net/url"

	"github.com/labstack/echo/v4"

	"github.com/echocache/scaffold/generated-example/internal/cache"
)

// flashCookie carries a one-time message to the next page this visitor
// sees, such as "Task added." after a redirect.
const flashCookie = "flash"

// setFlash stores msg for the visitor's next page.
func setFlash(c echo.Context, msg string) {
	c.SetCookie(newCookie(c.Request(), flashCookie, url.QueryEscape(msg), 60))
}

// takeFlash returns the visitor's message, if any, and clears it. The
// response is marked personal (cache.MarkPersonal): it is this visitor's
// alone, and a page rendered with it is never stored by the view cache,
// whether a message was waiting or not. Show messages in a hole (see
// flashHole), which is filled for each visitor.
func takeFlash(c echo.Context) string {
	cache.MarkPersonal(c.Request())
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

// flashHole gives the layout's "flash" hole the visitor's one-time
// message, if any, and clears it.
func flashHole(c echo.Context) (any, error) {
	return takeFlash(c), nil
}
