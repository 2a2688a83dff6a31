package web

import (
	"net/http"
	"net/netip"
	"strings"

	"github.com/labstack/echo/v4"
)

// clientIP returns how the app tells who sent a request (Echo's
// c.RealIP), for limits per client. Locally, and behind anything but
// Heroku's router, it is the address the connection came from: an
// X-Forwarded-For header could say anything. On Heroku (onHeroku) every
// connection comes from the router, which appends the address it saw to
// X-Forwarded-For: the last entry is the client's, and the entries before
// it are whatever the client sent, so they are never read.
func clientIP(onHeroku bool) echo.IPExtractor {
	peer := echo.ExtractIPDirect()
	if !onHeroku {
		return peer
	}
	return func(r *http.Request) string {
		lines := r.Header.Values("X-Forwarded-For")
		if len(lines) == 0 {
			return peer(r)
		}
		last := lines[len(lines)-1]
		if i := strings.LastIndexByte(last, ','); i >= 0 {
			last = last[i+1:]
		}
		addr, err := netip.ParseAddr(strings.TrimSpace(last))
		if err != nil {
			return peer(r)
		}
		return addr.String()
	}
}
