package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/echocache/scaffold/generated-example/internal/cache"
)

// visitsKey holds the home page's visit counter.
const visitsKey = "visits"

// indexPage is the data of views/index.html.
type indexPage struct {
	// Visits is the counter after this visit; 0 when the cache is down.
	Visits           uint64
	Cache            cache.Stats
	MemcachedServers int
	Authenticated    bool
}

func (s *Server) handleIndex(c echo.Context) error {
	// A cache failure is already counted and logged by the cache; the page
	// says "unavailable" instead of failing.
	visits, _ := s.cache.Increment(visitsKey, 1, 0)
	return c.Render(http.StatusOK, "index.html", indexPage{
		Visits:           visits,
		Cache:            s.cache.Stats(),
		MemcachedServers: len(s.config.MemcachedServers),
		Authenticated:    s.config.MemcachedUsername != "",
	})
}

// handleHealthz answers load balancers and uptime checks. It does not
// check memcached: the app serves without it.
func (s *Server) handleHealthz(c echo.Context) error {
	return c.String(http.StatusOK, "ok")
}

// handleCacheStats shows the cache's hit, miss and error counters.
func (s *Server) handleCacheStats(c echo.Context) error {
	return c.JSON(http.StatusOK, s.cache.Stats())
}
