package cache

import (
	"bytes"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
)

// ViewOptions configure Views.
type ViewOptions struct {
	// TTL is how long a page is kept; 0 keeps it until it is evicted or
	// deleted.
	TTL time.Duration
	// Unless, when it returns true, bypasses the cache for the request:
	// neither served from it nor stored. Use it for requests that will see
	// something of their own, such as a pending flash message.
	Unless func(c echo.Context) bool
}

// ViewKey is the key a page is cached under: "view/" + path, the key
// Flask-Caching's @cache.cached() uses, so cache.Delete("view/" + path)
// invalidates a page as MemCachier's Flask guide shows. A query string is
// part of the key, with its parameters sorted, so ?a=1&b=2 and ?b=2&a=1
// share an entry and ?q=a and ?q=b do not. The host is not part of the
// key: pages must not print the request's Host or X-Forwarded-Host.
func ViewKey(u *url.URL) string {
	key := "view/" + u.Path
	if u.RawQuery == "" {
		return key
	}
	q := u.Query()
	names := make([]string, 0, len(q))
	for name := range q {
		names = append(names, name)
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString(key)
	b.WriteByte('?')
	for i, name := range names {
		for j, v := range q[name] {
			if i > 0 || j > 0 {
				b.WriteByte('&')
			}
			b.WriteString(url.QueryEscape(name))
			b.WriteByte('=')
			b.WriteString(url.QueryEscape(v))
		}
	}
	return b.String()
}

// DeleteView drops the cached page for path, such as "/".
func (c *Cache) DeleteView(path string) error {
	return c.Delete("view/" + path)
}

// Views is Echo middleware that caches whole pages, like Flask-Caching's
// @cache.cached(), without that decorator's known faults:
//
//   - Only a 200 answer to a GET is stored, and not one that sets a cookie,
//     varies on a request header, or says Cache-Control private, no-store or
//     no-cache; error pages are never stored (Flask-Caching issue 180).
//   - A HEAD is answered from the GET entry but never stored, so a GET is
//     never answered with a HEAD's empty body (Flask-Caching issue 270).
//   - The query string is part of the key (see ViewKey).
//   - Concurrent misses for one page run the handler once; the others get
//     its answer if it can be shared, and run the handler themselves if not.
//
// Responses carry X-Cache: HIT or MISS. Register the route for both GET and
// HEAD.
func (c *Cache) Views(opts ViewOptions) echo.MiddlewareFunc {
	var group flight[*page]
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(ctx echo.Context) error {
			req := ctx.Request()
			head := req.Method == http.MethodHead
			if (req.Method != http.MethodGet && !head) || (opts.Unless != nil && opts.Unless(ctx)) {
				return next(ctx)
			}
			key := ViewKey(req.URL)
			if data, ok := c.Get(key); ok {
				if p, ok := decodePage(data); ok {
					return p.write(ctx.Response(), "HIT", head)
				}
			}
			if head {
				// Render as for GET, send no body, and store nothing.
				res := ctx.Response()
				res.Header().Set("X-Cache", "MISS")
				w := res.Writer
				res.Writer = headWriter{w}
				defer func() { res.Writer = w }()
				return next(ctx)
			}

			p, err, leader := group.do(key, func() (*page, error) {
				p, err := record(ctx, next)
				if err == nil && p != nil {
					if data, ok := p.encode(); ok {
						c.Set(key, data, opts.TTL) // a failure is counted and logged by the cache
					}
				}
				return p, err
			})
			switch {
			case leader:
				return err // the leader's response is already written
			case err == nil && p != nil:
				return p.write(ctx.Response(), "MISS", false)
			default:
				// The leader's answer was not shareable: render our own.
				ctx.Response().Header().Set("X-Cache", "MISS")
				return next(ctx)
			}
		}
	}
}

// page is a stored response.
type page struct {
	status int
	header http.Header
	body   []byte
}

// storedHeaders are the response headers a cached page keeps.
var storedHeaders = []string{"Content-Type", "Content-Language", "Content-Security-Policy", "Cache-Control", "Last-Modified", "Etag"}

// record runs next, writing its response through as usual, and returns the
// response as a page if it may be shared and stored, or nil.
func record(ctx echo.Context, next echo.HandlerFunc) (*page, error) {
	res := ctx.Response()
	res.Header().Set("X-Cache", "MISS")
	rec := &recorder{ResponseWriter: res.Writer}
	res.Writer = rec
	err := next(ctx)
	res.Writer = rec.ResponseWriter
	if err != nil || rec.tooBig || !shareable(res.Status, res.Header()) {
		return nil, err
	}
	p := &page{status: res.Status, header: make(http.Header), body: rec.body.Bytes()}
	for _, h := range storedHeaders {
		if v := res.Header().Values(h); len(v) > 0 {
			p.header[h] = v
		}
	}
	return p, nil
}

// shareable reports whether a response may be served to other visitors.
func shareable(status int, h http.Header) bool {
	if status != http.StatusOK || len(h.Values("Set-Cookie")) > 0 {
		return false
	}
	for _, v := range h.Values("Vary") {
		for _, f := range strings.Split(v, ",") {
			if f = strings.TrimSpace(f); f != "" && !strings.EqualFold(f, "Accept-Encoding") {
				return false
			}
		}
	}
	cc := strings.ToLower(strings.Join(h.Values("Cache-Control"), ","))
	return !strings.Contains(cc, "private") && !strings.Contains(cc, "no-store") && !strings.Contains(cc, "no-cache")
}

// recorder keeps a copy of what a handler writes, up to MaxItemSize.
type recorder struct {
	http.ResponseWriter
	body   bytes.Buffer
	tooBig bool
}

// Write passes p on and keeps a copy while the page fits in an item.
func (r *recorder) Write(p []byte) (int, error) {
	if !r.tooBig {
		if r.body.Len()+len(p) > MaxItemSize {
			r.tooBig = true
			r.body = bytes.Buffer{}
		} else {
			r.body.Write(p)
		}
	}
	return r.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// headWriter drops the body of an answer to HEAD. net/http's server does
// too, but not every http.ResponseWriter (httptest's does not).
type headWriter struct{ http.ResponseWriter }

// Write discards p.
func (w headWriter) Write(p []byte) (int, error) { return len(p), nil }

// Unwrap lets http.ResponseController reach the underlying writer.
func (w headWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (p *page) write(res *echo.Response, xcache string, head bool) error {
	h := res.Header()
	for k, v := range p.header {
		h[k] = v
	}
	h.Set("X-Cache", xcache)
	h.Set("Content-Length", strconv.Itoa(len(p.body)))
	res.WriteHeader(p.status)
	if head {
		return nil
	}
	_, err := res.Write(p.body)
	return err
}

// A stored page is "page1", the status, header lines, a blank line and
// the body, each line ending in \n (header values cannot contain one).
func (p *page) encode() ([]byte, bool) {
	var b bytes.Buffer
	b.Grow(len(p.body) + 256)
	b.WriteString("page1\n")
	b.WriteString(strconv.Itoa(p.status))
	b.WriteByte('\n')
	for _, k := range storedHeaders {
		for _, v := range p.header[k] {
			b.WriteString(k + ": " + v + "\n")
		}
	}
	b.WriteByte('\n')
	b.Write(p.body)
	return b.Bytes(), b.Len() <= MaxItemSize-MaxKeyLength
}

func decodePage(data []byte) (*page, bool) {
	next := func() (string, bool) {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			return "", false
		}
		line := string(data[:i])
		data = data[i+1:]
		return line, true
	}
	if magic, ok := next(); !ok || magic != "page1" {
		return nil, false
	}
	line, ok := next()
	if !ok {
		return nil, false
	}
	status, err := strconv.Atoi(line)
	if err != nil {
		return nil, false
	}
	p := &page{status: status, header: make(http.Header, len(storedHeaders))}
	for {
		line, ok := next()
		switch {
		case !ok:
			return nil, false
		case line == "":
			p.body = data
			return p, true
		}
		k, v, ok := strings.Cut(line, ": ")
		if !ok {
			return nil, false
		}
		p.header[k] = append(p.header[k], v)
	}
}
