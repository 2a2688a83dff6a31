package cache

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// ViewOptions configure Views.
type ViewOptions struct {
	// TTL is how long a page is kept; 0 keeps it until it is evicted or
	// deleted.
	TTL time.Duration
	// Query names the query parameters that change the page, such as
	// "page". Views removes every other parameter from the request before
	// the handler sees it and answers with the page of the named ones
	// alone: /?utm_source=x gets the page of /. So a made-up query string
	// can neither add an entry nor get a page the handler did not mean.
	Query []string
	// MaxVariants bounds how many pages with a query string one path
	// stores between invalidations (and within one TTL); past it they are
	// rendered and not stored. Zero means DefaultMaxVariants.
	MaxVariants int
	// Unless, when it returns true, bypasses the cache for the request:
	// neither served from it nor stored. Use it for requests that will see
	// something of their own, such as a pending flash message.
	Unless func(r *http.Request) bool
}

// DefaultMaxVariants is ViewOptions.MaxVariants when it is zero.
const DefaultMaxVariants = 100

// ViewKey is the key a page is cached under: "view/" + path, the key
// Flask-Caching's @cache.cached() uses, so cache.Delete("view/" + path)
// drops the page as MemCachier's Flask guide shows. The path is the one
// the request was sent with, escapes and all (u.EscapedPath()), so
// /a%2Fb and /a/b, which a router may tell apart, never share a page; an
// ordinary path reads the same either way. The query string, if
// any (Views keeps only the parameters a route declares), is part of the
// key, with its parameters sorted, so ?a=1&b=2 and ?b=2&a=1 share an entry
// and ?q=a and ?q=b do not. The host is not part of the key: pages must
// not print the request's Host or X-Forwarded-Host.
func ViewKey(u *url.URL) string {
	key := "view/" + u.EscapedPath()
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

// viewVersionKey holds the version of path's pages: every stored page
// records the version it was rendered under, and a page whose version is
// not the current one is a miss.
func viewVersionKey(path string) string { return "view-version:" + path }

// viewVariantsKey counts the pages with a query string stored for path
// under one version.
func viewVariantsKey(path string, version []byte) string {
	return "view-variants:" + string(version) + ":" + path
}

// DeleteView invalidates every cached page of path, such as "/": the one
// without a query string and all those with one. It retires the path's
// version, which every stored page records (so even a page being rendered
// right now is stored as stale), and deletes the query-less page, which is
// all that cache.Delete("view/" + path) from Flask's guide does. The path
// is written as in a URL, escapes and all ("/a%2Fb"), as ViewKey has it. This
// process's near cache drops the path's pages at once; other processes'
// near caches serve theirs until the near-cache TTL ends.
func (c *Cache) DeleteView(path string) error {
	// The version goes first: deleting "view/" + path drops the near
	// cache's copies, and a page read before that must be stale already.
	return errors.Join(c.Delete(viewVersionKey(path)), c.Delete("view/"+path))
}

// Views is net/http middleware that caches whole pages, like
// Flask-Caching's @cache.cached(), without that decorator's known faults:
//
//   - Only a 200 answer to a GET is stored, and not one that sets a cookie,
//     varies on a request header, or says Cache-Control private, no-store or
//     no-cache; error pages are never stored (Flask-Caching issue 180), nor
//     is an answer the handler never wrote or marked with DoNotStore.
//   - Nothing personal is shared: a request marked with MarkPersonal before
//     Views sees it (session middleware marks every visitor who has a
//     session) bypasses the cache, and a response marked while it was being
//     rendered (the handler read or saved a session) is not stored.
//   - A HEAD is answered from the GET entry but never stored, so a GET is
//     never answered with a HEAD's empty body (Flask-Caching issue 270).
//   - Only the query parameters the route declares vary the page (see
//     ViewOptions.Query), and a path stores a bounded number of variants.
//     DeleteView invalidates them all.
//   - A page is stored with its content type and no other header, so a hit
//     carries the caching headers the app sets on every response, never
//     ones from the cache. A stored page is checked before it is replayed
//     (status 200, the content type alone, sizes that add up): the cache
//     may be shared with other apps, and anything else is a miss, counted
//     and logged as a cache error.
//   - Concurrent misses for one page run the handler once; the others get
//     its answer if it can be shared, and run the handler themselves if not.
//     If it failed (a 5xx answer, or one marked with RenderFailed), they get
//     503 Service Unavailable at once rather than fail again as slowly.
//   - A request whose cache lookup failed is rendered without the cache,
//     so it never waits on a failing server twice.
//
// On memcached with a near cache (MemcachedOptions.NearCacheTTL), a page
// read from or stored in memcached is also kept in this process and served
// from there, with no round trip, for at most the near-cache TTL; the
// rules above hold for it too. DeleteView drops this process's copies at
// once; other processes see an invalidation within the TTL.
//
// Responses carry X-Cache: HIT, MISS, or BYPASS when the cache stepped
// aside. Route both GET and HEAD through it; other methods pass untouched.
// Views depends on no web framework: the web package adapts it to Echo.
func (c *Cache) Views(opts ViewOptions) func(http.Handler) http.Handler {
	return c.views(opts, new(flight[*page]))
}

// views is Views, with the flight that concurrent misses share given, for
// tests that watch it.
func (c *Cache) views(opts ViewOptions, group *flight[*page]) func(http.Handler) http.Handler {
	if opts.MaxVariants <= 0 {
		opts.MaxVariants = DefaultMaxVariants
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			head := req.Method == http.MethodHead
			if req.Method != http.MethodGet && !head {
				next.ServeHTTP(w, req)
				return
			}
			keepQuery(req, opts.Query)
			visitor := visitorOf(req)
			if visitor.personal.Load() || (opts.Unless != nil && opts.Unless(req)) {
				h := w.Header()
				h.Set("X-Cache", "BYPASS")
				// Nor may a shared cache in front of the app keep it.
				h.Set("Cache-Control", "private, no-store")
				next.ServeHTTP(w, req)
				return
			}

			stored, served := c.serveStored(w, req.URL, head)
			if served {
				return
			}
			c.CountMiss(LayerViews)
			if head {
				// Render as for GET, send no body, and store nothing.
				w.Header().Set("X-Cache", "MISS")
				next.ServeHTTP(headWriter{w}, req)
				return
			}
			if stored.err != nil {
				// The cache has just failed this request (the failure is
				// counted and logged): render without it rather than make
				// the visitor wait on it again to store the page.
				w.Header().Set("X-Cache", "MISS")
				next.ServeHTTP(w, req)
				return
			}
			c.renderAndStore(w, req, next, stored, visitor, opts, group)
		})
	}
}

// storedView is what serveStored found for a request it could not answer,
// which renderAndStore carries on from.
type storedView struct {
	path    string    // the request's path, escapes and all
	key     string    // the page's key, ViewKey
	gen     uint64    // the path's near-cache generation, taken before the lookup
	read    time.Time // when the lookup began
	version []byte    // the path's current version; nil if it has none yet
	err     error     // the cache's failure to answer, already counted and logged
}

// serveStored answers the request for u from the cache, and reports
// whether it did: from this process's near cache, or else from a page
// that memcached holds under the path's current version, which it then
// keeps in the near cache. A stored entry that is not a valid page is
// counted and logged as a cache error, and is a miss. On a miss it
// returns what it found, for renderAndStore.
func (c *Cache) serveStored(w http.ResponseWriter, u *url.URL, head bool) (storedView, bool) {
	path := u.EscapedPath()
	sv := storedView{path: path, key: ViewKey(u), gen: c.near.gen(c.prefix, path)}
	if near := c.near.page(c.prefix, sv.key); near != nil {
		c.CountHit(LayerViews)
		near.write(w, "HIT", head)
		return sv, true
	}
	vkey := viewVersionKey(path)
	sv.read = c.now()
	var got map[string][]byte
	got, sv.err = c.getMulti([]string{vkey, sv.key})
	sv.version = got[vkey]
	if data, ok := got[sv.key]; ok && sv.version != nil {
		p, err := decodePage(data)
		switch {
		case err != nil:
			c.fail("view "+sv.key, err)
			c.CountError(LayerViews)
		case bytes.Equal(p.version, sv.version):
			c.CountHit(LayerViews)
			c.near.putPage(c.prefix, sv.key, path, sv.gen, sv.read, p)
			p.write(w, "HIT", head)
			return sv, true
		}
	}
	return sv, false
}

// renderAndStore answers a GET that serveStored could not, by running
// next, and stores the answer when it may be shared: not a personal one
// (visitor), and with a query string only while the path has room for
// another variant. Concurrent misses for the page share one render; the
// others get its answer if it can be shared, render their own if not, and
// get 503 at once if it failed.
func (c *Cache) renderAndStore(w http.ResponseWriter, req *http.Request, next http.Handler, sv storedView, visitor *visitor, opts ViewOptions, group *flight[*page]) {
	// Take the version before rendering: an invalidation during the
	// render then retires the page as soon as it is stored. And
	// requests share a render only if they saw the same version, so
	// one that comes after an invalidation renders afresh.
	version := sv.version
	if version == nil {
		version = c.newVersion(viewVersionKey(sv.path))
	}
	p, err, leader := group.do(flightKey(sv.key, version), func() (*page, error) {
		p, err := record(w, req, next)
		if err != nil || p == nil || visitor.personal.Load() {
			return nil, err
		}
		if req.URL.RawQuery == "" || c.admitVariant(sv.path, version, opts) {
			p.version = version
			// A failure is counted and logged by the cache; the near
			// cache keeps only what memcached took.
			if data, ok := p.encode(); ok && c.Set(sv.key, data, opts.TTL) == nil {
				c.near.putPage(c.prefix, sv.key, sv.path, sv.gen, sv.read, p)
			}
		}
		return p, nil
	})
	switch {
	case leader:
		// The leader's response is already written.
	case err != nil:
		// The render failed, most likely on something slow that
		// would fail this request as slowly (a database that does
		// not answer): answer at once instead.
		h := w.Header()
		h.Set("X-Cache", "MISS")
		h.Set("Cache-Control", "no-store")
		h.Set("Retry-After", "1")
		http.Error(w, http.StatusText(http.StatusServiceUnavailable), http.StatusServiceUnavailable)
	case p != nil:
		p.write(w, "MISS", false)
	default:
		// The leader's answer was not shareable: render our own.
		w.Header().Set("X-Cache", "MISS")
		next.ServeHTTP(w, req)
	}
}

// recordingKey is where Views keeps, in the context of a request it is
// recording, what DoNotStore and RenderFailed say about it.
type recordingKey struct{}

// recording is what a handler has said about the response Views records.
type recording struct {
	noStore, failed atomic.Bool
}

// DoNotStore tells Views not to store the response to r, though its status
// and headers would allow it: for a handler that fails after it has begun
// to write, such as an Echo handler that returns an error. Outside a
// request that Views is recording it does nothing.
func DoNotStore(r *http.Request) {
	if rec, ok := r.Context().Value(recordingKey{}).(*recording); ok {
		rec.noStore.Store(true)
	}
}

// RenderFailed tells Views that the response to r is a failure that the
// handler's framework answers later, such as an Echo handler's error
// other than a client error: it is not stored, and requests waiting for
// the same page get 503 Service Unavailable instead of rendering it again.
// A 5xx status written through Views says as much by itself. Outside a
// request that Views is recording it does nothing.
func RenderFailed(r *http.Request) {
	if rec, ok := r.Context().Value(recordingKey{}).(*recording); ok {
		rec.noStore.Store(true)
		rec.failed.Store(true)
	}
}

// errRenderFailed is what requests waiting on a failed render get.
var errRenderFailed = errors.New("cache: the page's render failed")

// keepQuery removes from r's URL every query parameter not named in names
// and sorts the rest, so that the handler renders exactly the page that is
// cached for them.
func keepQuery(r *http.Request, names []string) {
	if r.URL.RawQuery == "" {
		return
	}
	all := r.URL.Query()
	kept := make(url.Values, len(names))
	for _, name := range names {
		if v, ok := all[name]; ok {
			kept[name] = v
		}
	}
	r.URL.RawQuery = kept.Encode()
}

// admitVariant reports whether one more page with a query string may be
// stored for path under version. A failing count stores nothing.
func (c *Cache) admitVariant(path string, version []byte, opts ViewOptions) bool {
	n, err := c.Increment(viewVariantsKey(path, version), 1, opts.TTL)
	return err == nil && n <= uint64(opts.MaxVariants)
}

// page is a stored response.
type page struct {
	version []byte // the path's version when the page was rendered
	status  int
	header  http.Header
	body    []byte
}

// storedHeaders are the response headers a cached page keeps: the
// content type alone. Security and caching headers are not among them: the
// app's middleware sets them on every response, a stored copy of them
// could only be out of date, and an entry written by someone else must
// not be able to loosen them or make browsers keep a page for a year.
var storedHeaders = []string{"Content-Type"}

// record runs next, writing its response through to w as usual, and
// returns the response as a page if it may be shared and stored, or nil.
// It returns errRenderFailed if the handler failed (not for a client that
// went away, which is no reason for others to fail).
func record(w http.ResponseWriter, req *http.Request, next http.Handler) (*page, error) {
	w.Header().Set("X-Cache", "MISS")
	said := new(recording)
	rec := &recorder{ResponseWriter: w}
	next.ServeHTTP(rec, req.WithContext(context.WithValue(req.Context(), recordingKey{}, said)))
	if (said.failed.Load() || rec.status >= 500) && req.Context().Err() == nil {
		return nil, errRenderFailed
	}
	h := w.Header()
	if rec.status == 0 || rec.tooBig || said.noStore.Load() || !shareable(rec.status, h) {
		return nil, nil
	}
	p := &page{status: rec.status, header: make(http.Header), body: rec.body.Bytes()}
	for _, name := range storedHeaders {
		if v := h.Values(name); len(v) > 0 {
			p.header[name] = v
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

// recorder keeps the status and a copy of what a handler writes, up to
// MaxValueSize.
type recorder struct {
	http.ResponseWriter
	status int // 0 until the handler writes
	body   bytes.Buffer
	tooBig bool
}

// WriteHeader passes code on and keeps the first final status sent; an
// informational one, such as 103 Early Hints, is not the answer.
func (r *recorder) WriteHeader(code int) {
	if r.status == 0 && code >= 200 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

// Write passes p on and keeps a copy while the page fits in an item.
func (r *recorder) Write(p []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	if !r.tooBig {
		if r.body.Len()+len(p) > MaxValueSize {
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

// write replays p to w, with the body unless the request is a HEAD. An
// error writing the body means the client has gone; there is no one left
// to tell.
func (p *page) write(w http.ResponseWriter, xcache string, head bool) {
	h := w.Header()
	for k, v := range p.header {
		h[k] = v
	}
	h.Set("X-Cache", xcache)
	h.Set("Content-Length", strconv.Itoa(len(p.body)))
	w.WriteHeader(p.status)
	if !head {
		w.Write(p.body)
	}
}

// Limits of a stored page's header lines, checked when it is read back.
const (
	maxVersionLength = 64
	maxHeaderValue   = 4096
)

// errBadPage is why a stored entry is not replayed.
var errBadPage = errors.New("cache: invalid cached page")

// A stored page is "page2", the path's version, the status, the body's
// length, header lines, a blank line and the body, each line ending in \n
// (header values cannot contain one).
func (p *page) encode() ([]byte, bool) {
	var b bytes.Buffer
	b.Grow(len(p.body) + 256)
	b.WriteString("page2\n")
	b.Write(p.version)
	b.WriteByte('\n')
	b.WriteString(strconv.Itoa(p.status))
	b.WriteByte('\n')
	b.WriteString(strconv.Itoa(len(p.body)))
	b.WriteByte('\n')
	for _, k := range storedHeaders {
		for _, v := range p.header[k] {
			b.WriteString(k + ": " + v + "\n")
		}
	}
	b.WriteByte('\n')
	b.Write(p.body)
	return b.Bytes(), b.Len() <= MaxValueSize
}

// decodePage reads a stored page and checks everything that will be
// replayed: the cache may be shared, and an entry may have been written by
// another program. Only a 200 with the headers Views stores, a body of the
// recorded length, and values without control characters pass.
func decodePage(data []byte) (*page, error) {
	next := func() (string, bool) {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			return "", false
		}
		line := string(data[:i])
		data = data[i+1:]
		return line, true
	}
	bad := func(what string) (*page, error) { return nil, fmt.Errorf("%w: %s", errBadPage, what) }

	if magic, ok := next(); !ok || magic != "page2" {
		return bad("not a page")
	}
	version, ok := next()
	if !ok || version == "" || len(version) > maxVersionLength {
		return bad("bad version")
	}
	if status, ok := next(); !ok || status != "200" {
		return bad("status is not 200")
	}
	line, ok := next()
	length, err := strconv.Atoi(line)
	if !ok || err != nil || length < 0 || length > MaxItemSize {
		return bad("bad body length")
	}
	p := &page{version: []byte(version), status: http.StatusOK, header: make(http.Header, len(storedHeaders))}
	for lines := 0; ; lines++ {
		line, ok := next()
		switch {
		case !ok:
			return bad("no end of headers")
		case line == "":
			if len(data) != length {
				return bad("body length does not match")
			}
			p.body = data
			return p, nil
		case lines == 2*len(storedHeaders):
			return bad("too many headers")
		}
		k, v, ok := strings.Cut(line, ": ")
		if !ok || !slices.Contains(storedHeaders, k) || len(v) > maxHeaderValue || !printable(v) {
			return bad(fmt.Sprintf("header %.40q", line))
		}
		p.header[k] = append(p.header[k], v)
	}
}

// printable reports whether s holds no control characters but tabs.
func printable(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < 0x20 && c != '\t') || c == 0x7f {
			return false
		}
	}
	return true
}
