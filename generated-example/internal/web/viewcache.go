package web

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/echocache/scaffold/generated-example/internal/cache"
)

// viewCache runs the cache package's net/http view cache, cache.Views, as
// Echo middleware. It does what echo.WrapMiddleware does, plus three
// things Views needs from Echo: the query Echo has parsed matches the one
// Views let through, a handler that returns an error leaves nothing in the
// cache even if it wrote first (and, unless the error is a client's, such
// as a 404, requests waiting for the same page get a 503 rather than
// render it again), and a response the handler never writes keeps Echo's
// usual status of 200.
func viewCache(c *cache.Cache, opts cache.ViewOptions) echo.MiddlewareFunc {
	views := c.Views(opts)
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(ctx echo.Context) error {
			res := ctx.Response()
			query := ctx.Request().URL.RawQuery
			var err error
			views(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
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
			})).ServeHTTP(res, ctx.Request())
			return err
		}
	}
}
