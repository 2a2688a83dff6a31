// Package web is the app's HTTP side: the routes, their handlers, the views
// and the static files. Views and static files are embedded in the binary,
// so the app reads nothing from disk at run time.
package web

import (
	"embed"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/echocache/scaffold/generated-example/internal/cache"
	"github.com/echocache/scaffold/generated-example/internal/config"
	"github.com/echocache/scaffold/generated-example/internal/session"
	"github.com/echocache/scaffold/generated-example/internal/tasks"
)

// How long each caching layer keeps the demo's data. Adding or deleting a
// task invalidates all three at once, so they can be long.
const (
	viewTTL     = 10 * time.Minute
	memoTTL     = 10 * time.Minute
	fragmentTTL = time.Hour
)

//go:embed views static
var assets embed.FS

// Server is the app's http.Handler. Build one with NewServer.
type Server struct {
	echo      *echo.Echo
	logger    *slog.Logger
	views     *renderer
	cache     *cache.Cache
	fragments *cache.Fragments
	tasks     tasks.Store
	allTasks  *cache.Memo[struct{}, taskList]
}

// NewServer returns a Server with every route registered. It parses the
// views once; a broken view is an error here, not at request time.
func NewServer(cfg config.Config, c *cache.Cache, store tasks.Store, sessions *session.Store, logger *slog.Logger) (*Server, error) {
	fragments := cache.NewFragments(c, fragmentTTL)
	views, err := newRenderer(assets, fragments)
	if err != nil {
		return nil, err
	}
	s := &Server{
		echo:      echo.New(),
		logger:    logger,
		views:     views,
		cache:     c,
		fragments: fragments,
		tasks:     store,
	}
	s.allTasks = cache.Memoize(c, "tasks.all", memoTTL, s.loadTasks)
	s.echo.HideBanner = true
	s.echo.HidePort = true
	s.echo.Renderer = views
	s.echo.HTTPErrorHandler = s.handleError
	maxBody := cfg.MaxBodyBytes
	if maxBody <= 0 {
		maxBody = DefaultMaxBodyBytes
	}
	s.echo.Use(s.logRequests(), s.recoverPanics(), securityHeaders(),
		crossOriginProtection(), limitBodies(maxBody), session.Middleware(sessions))
	s.routes()
	return s, nil
}

// routes registers every route of the app: this is the one place to look.
func (s *Server) routes() {
	s.echo.Match([]string{http.MethodGet, http.MethodHead}, "/", s.handleIndex,
		viewCache(s.cache, cache.ViewOptions{TTL: viewTTL, Unless: hasFlash}))
	s.echo.POST("/tasks", s.handleAddTask)
	s.echo.POST("/tasks/:id/delete", s.handleDeleteTask)

	s.echo.GET("/set/", s.handleSessionSet)
	s.echo.GET("/get/", s.handleSessionGet)
	s.echo.GET("/session/", s.handleSessionPage)
	s.echo.POST("/session/login", s.handleLogin)
	s.echo.POST("/session/logout", s.handleLogout)
	s.echo.GET("/healthz", s.handleHealthz)
	s.echo.GET("/cache/", s.handleCacheDashboard)
	s.echo.GET("/cache/stats", s.handleCacheStats)
	s.echo.StaticFS("/static", echo.MustSubFS(assets, "static"))
}

// ServeHTTP makes Server an http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.echo.ServeHTTP(w, r)
}

// handleError is the one place that turns an error into a status code.
// Handlers return errors; the request logger has already logged them.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	code := http.StatusInternalServerError
	var he *echo.HTTPError
	if errors.As(err, &he) {
		code = he.Code
	}
	if errors.Is(err, tasks.ErrUnavailable) {
		code = http.StatusServiceUnavailable
	}
	if c.Request().Method == http.MethodHead {
		err = c.NoContent(code)
	} else {
		err = c.String(code, http.StatusText(code))
	}
	if err != nil {
		s.logger.Error("write error response", "err", err)
	}
}

// logRequests logs one line per request with log/slog.
func (s *Server) logRequests() echo.MiddlewareFunc {
	return middleware.RequestLoggerWithConfig(middleware.RequestLoggerConfig{
		LogMethod:   true,
		LogURI:      true,
		LogStatus:   true,
		LogLatency:  true,
		LogError:    true,
		HandleError: true,
		LogValuesFunc: func(c echo.Context, v middleware.RequestLoggerValues) error {
			attrs := []slog.Attr{
				slog.String("method", v.Method),
				slog.String("uri", v.URI),
				slog.Int("status", v.Status),
				slog.Duration("latency", v.Latency),
			}
			level := slog.LevelInfo
			if v.Error != nil {
				attrs = append(attrs, slog.String("err", v.Error.Error()))
				if v.Status >= http.StatusInternalServerError {
					level = slog.LevelError
				}
			}
			s.logger.LogAttrs(c.Request().Context(), level, "request", attrs...)
			return nil
		},
	})
}

// recoverPanics turns a panicking handler into a 500 for that request
// instead of a crashed process, and logs the stack.
func (s *Server) recoverPanics() echo.MiddlewareFunc {
	return middleware.RecoverWithConfig(middleware.RecoverConfig{
		DisableStackAll: true,
		LogErrorFunc: func(c echo.Context, err error, stack []byte) error {
			s.logger.Error("panic", "err", err, "stack", string(stack))
			return err
		},
	})
}
