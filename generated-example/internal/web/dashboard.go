package web

import (
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/echocache/scaffold/generated-example/internal/cache"
)

// dashboardPage is the data of views/cache.html.
type dashboardPage struct {
	Kind     string
	Totals   cache.LayerStats
	Layers   []cache.LayerStats
	Servers  []serverRow
	Sections []section // the app's parts, with the routes each caches
}

// serverRow is one memcached server as the dashboard shows it.
type serverRow struct {
	Addr  string
	Up    bool
	State string
}

// handleCacheDashboard shows the cache at work: each layer's hits, misses
// and errors with its hit ratio (the layers this app uses), the backend,
// for memcached each server's state as the ring knows it, and the routes
// that the app's sections cache. It reads counters and states only,
// never memcached itself, so however often it is asked it costs the
// servers nothing. It is this moment's figures, so it is never a cached
// view.
func (s *Server) handleCacheDashboard(c echo.Context) error {
	stats := s.cache.Stats()
	page := dashboardPage{
		Kind:     stats.Kind,
		Totals:   cache.LayerStats{Name: "every key", Hits: stats.Hits, Misses: stats.Misses, Errors: stats.Errors},
		Sections: s.views.sections,
	}
	for l, st := range stats.Layers {
		if slices.Contains(s.layers, cache.Layer(l)) {
			page.Layers = append(page.Layers, st)
		}
	}
	now := time.Now()
	for _, st := range s.cache.Servers() {
		row := serverRow{Addr: st.Addr, Up: st.Up, State: "up"}
		if !st.Up {
			row.State = fmt.Sprintf("out of the ring since %s (%s ago); next retry %s",
				st.DownSince.Format(timeFormat), now.Sub(st.DownSince).Round(time.Second), st.NextRetry.Format(timeFormat))
		}
		page.Servers = append(page.Servers, row)
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return s.render(c, http.StatusOK, "cache.html", page)
}

// handleCacheStats shows the cache's hit, miss and error counters.
func (s *Server) handleCacheStats(c echo.Context) error {
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, s.cache.Stats())
}
