package web

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// indexPage is the data of views/index.html.
type indexPage struct {
	MemcachedServers int
	Authenticated    bool
	SessionSecretSet bool
	DatabaseSet      bool
}

func (s *Server) handleIndex(c echo.Context) error {
	return c.Render(http.StatusOK, "index.html", indexPage{
		MemcachedServers: len(s.config.MemcachedServers),
		Authenticated:    s.config.MemcachedUsername != "",
		SessionSecretSet: s.config.SessionSecret != "",
		DatabaseSet:      s.config.DatabaseURL != "",
	})
}

// handleHealthz answers load balancers and uptime checks.
func (s *Server) handleHealthz(c echo.Context) error {
	return c.String(http.StatusOK, "ok")
}
