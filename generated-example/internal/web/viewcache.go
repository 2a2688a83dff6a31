package web

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"

	"github.com/echocache/scaffold/generated-example/internal/cache"
)

// cachedView is the view cache of a route that renders page: viewCache
// with the server's lifetimes for pages (unless opts has its own), the
// page's digest in the key, background refreshes sent through the whole
// server, as a new visitor's requests are, and the page's holes (see
// view.Personal) filled for each visitor. With the view layer off
// (Options.NoViews), pages are rendered for every request, holes and all.
func (s *Server) cachedView(c *cache.Cache, page string, opts cache.ViewOptions) echo.MiddlewareFunc {
	if s.opts.NoViews {
		return func(next echo.HandlerFunc) echo.HandlerFunc { return next }
	}
	if opts.Lifetimes == (cache.Lifetimes{}) {
		opts.Lifetimes = s.opts.Views
	}
	opts.Digest = s.views.pageDigest(page)
	opts.Refresh = s
	opts.Fill = s.fillHole
	return viewCache(c, opts)
}

// fillHole writes the content of the hole name, a partial, for the
// request r that the view cache answers with a cached page.
func (s *Server) fillHole(w io.Writer, r *http.Request, name string) error {
	c, ok := r.Context().Value(echoContextKey{}).(echo.Context)
	if !ok {
		return errNoContext
	}
	return s.views.hole(w, name, c)
}

// echoContextKey is where viewCache keeps, in the context of the request
// it hands the view cache, the request's Echo context, which the page's
// holes are filled from.
type echoContextKey struct{}

// errNoContext is a hole's failure to find its request's Echo context.
var errNoContext = errors.New("web: a hole to fill outside viewCache")

// pageKey is the memcached key of the cached page of page at u, as
// cachedView stores it, or "" with the view layer off.
func (s *Server) pageKey(c *cache.Cache, page string, u *url.URL) string {
	if s.opts.NoViews {
		return ""
	}
	return c.PageKey(cache.ViewOptions{Digest: s.views.pageDigest(page)}, u)
}

// viewCache runs the cache package's net/http view cache, cache.Views, as
// Echo middleware. It does what echo.WrapMiddleware does, plus what Views
// needs from Echo: the query Echo has parsed matches the one Views let
// through; a handler that returns an error leaves nothing in the cache
// even if it wrote first, and unless the error is a client's, such as a
// 404, Views may answer with a stale page instead (then the error is
// Views' to report, not Echo's), and requests waiting for the same page
// get that or a 503 rather than render it again; and a response the
// handler never writes keeps Echo's usual status of 200.
func viewCache(c *cache.Cache, opts cache.ViewOptions) echo.MiddlewareFunc {
	views := c.Views(opts)
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(ctx echo.Context) error {
			res := ctx.Response()
			req := ctx.Request()
			req = req.WithContext(context.WithValue(req.Context(), echoContextKey{}, ctx))
			ctx.SetRequest(req)
			query := req.URL.RawQuery
			var err error
			var recorded *http.Request
			views(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				recorded = r
				ctx.SetRequest(r)
				if r.URL.RawQuery != query {
					// Echo parses the query once and keeps it.
					params := ctx.QueryParams()
					clear(params)
					for name, values := range r.URL.Query() {
						params[name] = values
					}
				}
				if w != http.ResponseWriter(res) {
					// Views records what the handler writes, or drops the
					// body of a HEAD. The new response stays in the context
					// afterwards, so an error page written later goes
					// through it too and runs the hooks the handler set,
					// such as one that saves a session; what passes through it
					// reaches the request's own response, which the request
					// logger reads.
					wrapped := echo.NewResponse(w, ctx.Echo())
					wrapped.Status = res.Status
					ctx.SetResponse(wrapped)
				}
				if err = next(ctx); err != nil {
					var he *echo.HTTPError
					if errors.As(err, &he) && he.Code < http.StatusInternalServerError {
						cache.DoNotStore(r) // an answer for this request alone, such as a 404
					} else {
						cache.RenderFailed(r)
					}
				}
			})).ServeHTTP(res, req)
			if err != nil && recorded != nil && cache.Rescued(recorded) {
				// Views answered with a stale page, and has logged why.
				return nil
			}
			return err
		}
	}
}
