// Package web is the app's HTTP side: the routes, their handlers, the views
// and the static files. Views and static files are embedded in the binary,
// so the app reads nothing from disk at run time.
package web

import (
	"embed"
	"errors"
	"io/fs"
	"log/slog"
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/echocache/scaffold/generated-example/internal/cache"
)

//go:embed views static
var assets embed.FS

// Server is the app's http.Handler. Build one with NewServer, then add
// the app's pages to it.
type Server struct {
	echo      *echo.Echo
	logger    *slog.Logger
	views     *renderer
	cache     *cache.Cache
	fragments *cache.Fragments
	opts      Options             // the settings NewServer was given
	layers    []cache.Layer       // the caching layers in use, for the dashboard
	operators echo.MiddlewareFunc // guards the pages for the app's operators
	metrics   *metrics            // what /metrics serves
}

// Options are the settings a Server reads, which run.go takes from the
// app's configuration.
type Options struct {
	// MaxBodyBytes is the largest request body accepted, in bytes; larger
	// ones are answered 413. Zero means DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// OnHeroku is whether requests come through Heroku's router, which
	// appends the client's address to X-Forwarded-For (see clientIP); it
	// also hides the operators' pages when there is no DashboardPassword.
	OnHeroku bool
	// ForceHTTPS redirects plain http to https and sends
	// Strict-Transport-Security (see requireHTTPS).
	ForceHTTPS bool
	// DashboardPassword guards the pages for the app's operators (see
	// operatorsOnly).
	DashboardPassword string
	// Views, Memoize and Fragments say how long each caching layer serves
	// what it stores: whole pages, memoized results and fragments.
	Views, Memoize, Fragments Lifetimes
	// NoViews turns the view layer off: pages are rendered for every
	// request (see Server.cachedView).
	NoViews bool
}

// Lifetimes say how long a caching layer serves an entry (see
// cache.Lifetimes).
type Lifetimes = cache.Lifetimes

// NewServer returns a Server with the routes every app has: /healthz, the
// cache dashboard (for operators only: see operatorsOnly) and the static
// files. It parses the views once; a broken view is an error here, not at
// request time.
func NewServer(opts Options, c *cache.Cache, logger *slog.Logger) (*Server, error) {
	return newServer(opts, c, logger, assets)
}

// newServer is NewServer with the views and static files in fsys, for
// tests that change them as a new release would.
func newServer(opts Options, c *cache.Cache, logger *slog.Logger, fsys fs.FS) (*Server, error) {
	var views *renderer
	fragments := cache.NewFragments(c, cache.FragmentOptions{
		Lifetimes: opts.Fragments,
		Digest:    func(name string) string { return views.fragmentDigest(name) },
	})
	views, err := newRenderer(fsys, fragments)
	if err != nil {
		return nil, err
	}
	s := &Server{
		echo:      echo.New(),
		logger:    logger,
		views:     views,
		cache:     c,
		fragments: fragments,
		opts:      opts,
		layers:    []cache.Layer{cache.LayerViews},
		operators: operatorsOnly(opts.DashboardPassword, opts.OnHeroku),
	}
	s.echo.HideBanner = true
	s.echo.HidePort = true
	s.echo.Renderer = views
	s.echo.HTTPErrorHandler = s.handleError
	s.echo.IPExtractor = clientIP(opts.OnHeroku)
	maxBody := opts.MaxBodyBytes
	if maxBody <= 0 {
		maxBody = DefaultMaxBodyBytes
	}
	s.metrics = newMetrics(s)
	s.echo.Use(s.logRequests(), s.metrics.observe, s.recoverPanics())
	if opts.ForceHTTPS {
		s.echo.Use(requireHTTPS())
	}
	s.echo.Use(securityHeaders(), crossOriginProtection(), limitBodies(maxBody))
	s.routes(fsys)
	s.addHole("flash", flashHole)
	return s, nil
}

// newFragments returns fragments on c (the server's cache, or a namespace
// of it) with the server's lifetimes for fragments and the partials'
// digests in their keys, as the "cache" template functions have them.
func (s *Server) newFragments(c *cache.Cache) *cache.Fragments {
	return cache.NewFragments(c, cache.FragmentOptions{Lifetimes: s.opts.Fragments, Digest: s.views.fragmentDigest})
}

// routes registers the routes every app has. The app's own pages add
// theirs with their own methods, which main calls (see run.go).
func (s *Server) routes(fsys fs.FS) {
	s.echo.GET("/healthz", s.handleHealthz)
	s.echo.GET("/cache/", s.handleCacheDashboard, s.operators)
	s.echo.GET("/cache/stats", s.handleCacheStats, s.operators)
	s.echo.GET("/metrics", s.handleMetrics, s.operators)
	s.echo.StaticFS("/static", echo.MustSubFS(fsys, "static"))
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
	if c.Request().Method == http.MethodHead {
		err = c.NoContent(code)
	} else {
		err = c.String(code, http.StatusText(code))
	}
	if err != nil {
		s.logger.Error("write error response", "err", err)
	}
}

// handleHealthz answers load balancers and uptime checks. It does not
// check memcached: the app serves without it.
func (s *Server) handleHealthz(c echo.Context) error {
	return c.String(http.StatusOK, "ok")
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
			attrs := make([]slog.Attr, 0, 7)
			attrs = appendCut(attrs, "method", v.Method)
			attrs = appendCut(attrs, "uri", v.URI)
			attrs = append(attrs,
				slog.Int("status", v.Status),
				slog.Duration("latency", v.Latency),
			)
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

// maxLoggedBytes is how much of a request's method and URI the request log
// keeps. The app's own addresses are far shorter, and net/http accepts a
// request line of up to 1 MB: logged whole, every such request would
// write a megabyte of log.
const maxLoggedBytes = 1024

// appendCut appends the attribute key=value to attrs, with value cut to
// maxLoggedBytes and ending in "..." when it is longer; key_bytes then
// says how long it was.
func appendCut(attrs []slog.Attr, key, value string) []slog.Attr {
	if len(value) <= maxLoggedBytes {
		return append(attrs, slog.String(key, value))
	}
	return append(attrs,
		slog.String(key, value[:maxLoggedBytes]+"..."),
		slog.Int(key+"_bytes", len(value)))
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
