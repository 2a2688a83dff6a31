package cache

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
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
	// Lifetimes say how long a page is served: fresh, then stale while a
	// background refresh renders it again, and on failure to render a
	// fresh one, marked X-Cache: STALE (see Lifetimes).
	Lifetimes
	// Tags are what the route's pages carry besides their path's tag
	// (PathTag): InvalidateTags with any of them retires the pages.
	Tags []string
	// Digest names the markup the pages are rendered with, such as a
	// digest of their templates. It is part of the key, so a deploy that
	// changes the templates never serves the previous release's pages,
	// without a flush, and two releases running side by side each get
	// their own.
	Digest string
	// Query names the query parameters that change the page, such as
	// "page". Views removes every other parameter from the request before
	// the handler sees it and answers with the page of the named ones
	// alone: /?utm_source=x gets the page of /. So a made-up query string
	// can neither add an entry nor get a page the handler did not mean.
	Query []string
	// MaxVariants bounds how many pages with a query string one path
	// stores between invalidations (and within one lifetime); past it they
	// are rendered and not stored. Zero means DefaultMaxVariants.
	MaxVariants int
	// Fill, if set, fills the page's holes: its personal parts, such as
	// an account box, which the page marks with Hole. Views stores the
	// page with its holes empty, and on every answer has Fill write the
	// content of each for the request it answers, into the page, without
	// storing it. Nothing else in the page may depend on the visitor: a
	// page that reads the session outside a hole is not stored (see
	// MarkPersonal). With Fill set, a visitor marked with MarkVisitor,
	// such as one with a session, is answered from the cache too.
	Fill func(w io.Writer, r *http.Request, hole string) error
	// Unless, when it returns true, bypasses the cache for the request:
	// neither served from it nor stored. Use it for requests that will see
	// something of their own, such as a pending flash message.
	Unless func(r *http.Request) bool
	// Refresh is what a background refresh of a stale page sends its
	// request through: the app's whole handler, so that the page is
	// rendered as for a new visitor, through the same middleware. The
	// request is a copy of the one that found the page stale, without its
	// cookies and credentials. Nil sends it to the handler Views wraps.
	Refresh http.Handler
}

// DefaultMaxVariants is ViewOptions.MaxVariants when it is zero.
const DefaultMaxVariants = 100

// ViewKey is the key of a page, after the view layer's tag and the
// route's digest: "view/" + path, the key Flask-Caching's @cache.cached()
// uses. The path is the one the request was sent with, escapes and all
// (u.EscapedPath()), so /a%2Fb and /a/b, which a router may tell apart,
// never share a page; an ordinary path reads the same either way. The
// query string, if any (Views keeps only the parameters a route
// declares), is part of the key, with its parameters sorted, so ?a=1&b=2
// and ?b=2&a=1 share an entry and ?q=a and ?q=b do not. The host is not
// part of the key: pages must not print the request's Host or
// X-Forwarded-Host.
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

// PageKey is the memcached key that Views with opts stores the page of u
// under: the cache's prefix, the view layer's tag ("v:"), any namespace,
// the route's digest and a colon, and ViewKey(u).
func (c *Cache) PageKey(opts ViewOptions, u *url.URL) string {
	key := ViewKey(u)
	if opts.Digest != "" {
		key = opts.Digest + ":" + key
	}
	return c.InLayer(LayerViews).Key(key)
}

// viewVariantsKey counts the pages with a query string stored for path
// while its tag has one version.
func viewVariantsKey(path, version string) string {
	return "variants:" + version + ":" + path
}

// DeleteView invalidates every cached page of path, such as "/": the one
// without a query string and all those with one, as
// InvalidateTags(ctx, PathTag(path)) does. It is what Flask's
// cache.delete("view/" + path) does, and more. The path is written as in
// a URL, escapes and all ("/a%2Fb"), as ViewKey has it.
func (c *Cache) DeleteView(path string) error {
	return c.InvalidateTags(context.Background(), PathTag(path))
}

// Views is net/http middleware that caches whole pages, like
// Flask-Caching's @cache.cached(), without that decorator's known faults:
//
//   - Only a 200 answer to a GET is stored, and not one that sets a cookie,
//     varies on a request header, or says Cache-Control private, no-store or
//     no-cache; error pages are never stored (Flask-Caching issue 180), nor
//     is an answer the handler never wrote or marked with DoNotStore.
//   - Nothing personal is shared: a request marked with MarkPersonal before
//     Views sees it bypasses the cache, and so does one marked with
//     MarkVisitor (session middleware marks every visitor who has a
//     session) unless the route has holes; a response marked while it was
//     being rendered (the handler read or saved a session) is not stored.
//   - A page's personal parts are holes (see ViewOptions.Fill and Hole):
//     stored empty, and filled on every answer for the request answered,
//     so that a logged-in visitor gets the cached page with their own
//     account box, and the page around the holes is the same bytes for
//     everyone.
//   - A HEAD is answered from the GET entry but never stored, so a GET is
//     never answered with a HEAD's empty body (Flask-Caching issue 270).
//   - Only the query parameters the route declares vary the page (see
//     ViewOptions.Query), and a path stores a bounded number of variants.
//   - Every page carries its path's tag and the route's tags, read in the
//     same multi-get as the page: DeleteView or InvalidateTags retires
//     every variant at once, and a page rendered while its data changed is
//     stored as already retired.
//   - A page is stored with its content type and no other header, so a hit
//     carries the caching headers the app sets on every response, never
//     ones from the cache. A stored page is checked before it is replayed
//     (status 200, the content type alone, sizes that add up): the cache
//     may be shared with other apps, and anything else is a miss, counted
//     and logged as a cache error.
//   - A page past its fresh lifetime but within its stale window is served
//     at once while one background refresh, across instances, renders it
//     again. When rendering a fresh page fails (a 5xx answer, one marked
//     with RenderFailed, or data served stale by a memoized function), a
//     page within its grace window is served instead, marked X-Cache:
//     STALE, counted and logged.
//   - Concurrent misses for one page run the handler once; the others get
//     its answer if it can be shared, and run the handler themselves if not.
//     If it failed, they get the stale page if there is one, and 503
//     Service Unavailable at once if not, rather than fail again as slowly.
//   - A request whose cache lookup failed is rendered without the cache,
//     so it never waits on a failing server twice.
//
// On memcached with a near cache (MemcachedOptions.NearCacheTTL), a fresh
// page read from or stored in memcached is also kept in this process and
// served from there, with no round trip, for at most the near-cache TTL;
// the rules above hold for it too. An invalidation drops this process's
// copies at once; other processes see it within the TTL.
//
// Responses carry X-Cache: HIT, MISS, STALE, or BYPASS when the cache
// stepped aside. Route both GET and HEAD through it; other methods pass
// untouched. Views depends on no web framework: the web package adapts it
// to Echo.
func (c *Cache) Views(opts ViewOptions) func(http.Handler) http.Handler {
	return c.views(opts, new(flight[*page]))
}

// viewRoute is what Views keeps of a route's options, ready for requests.
type viewRoute struct {
	opts     ViewOptions
	pages    *Cache   // c in the view layer
	tags     *Cache   // c in the layer of tag versions
	tagKeys  []string // the keys of opts.Tags
	keyStart string   // the digest and a colon, or nothing
	group    *flight[*page]
	// public is the last page of the route whose holes were filled for a
	// visitor who carries nothing of theirs (see Cache.answer).
	public atomic.Pointer[publicFill]
}

// views is Views, with the flight that concurrent misses share given, for
// tests that watch it.
func (c *Cache) views(opts ViewOptions, group *flight[*page]) func(http.Handler) http.Handler {
	if opts.MaxVariants <= 0 {
		opts.MaxVariants = DefaultMaxVariants
	}
	rt := &viewRoute{opts: opts, pages: c.InLayer(LayerViews), tags: c.tagCache(), group: group}
	for _, tag := range opts.Tags {
		rt.tagKeys = append(rt.tagKeys, rt.tags.Key(tag))
	}
	if opts.Digest != "" {
		rt.keyStart = opts.Digest + ":"
	}
	return func(next http.Handler) http.Handler {
		var self http.Handler
		self = http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			head := req.Method == http.MethodHead
			if req.Method != http.MethodGet && !head {
				next.ServeHTTP(w, req)
				return
			}
			keepQuery(req, opts.Query)
			if refreshing(req) {
				c.renderRefresh(w, req, next, rt)
				return
			}
			visitor := visitorOf(req)
			if visitor.personal.Load() || (visitor.known.Load() && opts.Fill == nil) || (opts.Unless != nil && opts.Unless(req)) {
				h := w.Header()
				h.Set("X-Cache", "BYPASS")
				// Nor may a shared cache in front of the app keep it.
				h.Set("Cache-Control", "private, no-store")
				next.ServeHTTP(w, req)
				return
			}

			stored, served := c.serveStored(w, req, self, rt, head)
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
			c.renderAndStore(w, req, next, stored, rt)
		})
		return self
	}
}

// storedView is what serveStored found for a request it could not answer,
// which renderAndStore carries on from.
type storedView struct {
	path     string       // the request's path, escapes and all
	key      string       // the page's key in the view layer: digest, ViewKey
	full     string       // the page's memcached key
	tags     []string     // the page's tags: its path's, then the route's
	tagKeys  []string     // their keys
	marks    []nearMark   // the near cache's generations, taken before the lookup
	read     time.Time    // when the lookup began
	versions []tagVersion // the tags' current versions
	rescue   *page        // a page to serve if rendering fails; nil: none
	err      error        // the cache's failure to answer, already counted and logged
}

// serveStored answers the request from the cache, and reports whether it
// did: from this process's near cache, or else from a page that memcached
// holds under the current versions of its tags, which it then keeps in the
// near cache if fresh, or refreshes in the background, through views (the
// route's handler, this view cache included), if stale. A stored
// entry that is not a valid page is counted and logged as a cache error,
// and is a miss. On a miss it returns what it found, for renderAndStore.
func (c *Cache) serveStored(w http.ResponseWriter, req *http.Request, views http.Handler, rt *viewRoute, head bool) (storedView, bool) {
	sv := storedView{path: req.URL.EscapedPath()}
	sv.key = rt.keyStart + ViewKey(req.URL)
	sv.full = rt.pages.Key(sv.key)
	if near := c.near.page(sv.full); near != nil {
		c.CountHit(LayerViews)
		c.answer(w, req, rt, near, "HIT", head)
		return sv, true
	}
	sv.tags = append([]string{PathTag(sv.path)}, rt.opts.Tags...)
	sv.tagKeys = append([]string{rt.tags.Key(sv.tags[0])}, rt.tagKeys...)
	sv.marks = c.near.marks(sv.full, sv.tagKeys)
	sv.read = c.now()
	var got map[string][]byte
	got, sv.err = c.getFull(append([]string{sv.full}, sv.tagKeys...))
	if sv.err != nil {
		return sv, false
	}
	sv.versions = rt.tags.versions(sv.tags, sv.tagKeys, got)
	data, ok := got[sv.full]
	if !ok {
		return sv, false
	}
	e, p, err := decodeStoredPage(data)
	if err != nil {
		c.fail("view "+sv.key, err)
		c.CountError(LayerViews)
		return sv, false
	}
	switch e.condition(sv.read, sv.versions) {
	case fresh:
		c.CountHit(LayerViews)
		c.near.putPage(sv.full, sv.marks, sv.read, e.fresh, p)
		c.answer(w, req, rt, p, "HIT", head)
		return sv, true
	case stale:
		c.CountHit(LayerViews)
		c.layers[LayerViews].stale.Add(1)
		c.refreshPage(req, views, rt, sv)
		c.answer(w, req, rt, p, "HIT", head)
		return sv, true
	case spent:
		sv.rescue = p
	}
	return sv, false
}

// renderAndStore answers a GET that serveStored could not, by running
// next, and stores the answer when it may be shared: not a personal one
// (see record), not one made from stale data, and with a query string only
// while the path has room for another variant. Concurrent misses for the
// page share one render; the others get its answer if it can be shared,
// render their own if not. If the render fails, each serves the stale page
// it found, if any, and otherwise the leader's failure stands and the
// others get 503 at once.
func (c *Cache) renderAndStore(w http.ResponseWriter, req *http.Request, next http.Handler, sv storedView, rt *viewRoute) {
	// The tags' versions were read before rendering: an invalidation
	// during the render then retires the page as soon as it is stored.
	// And requests share a render only if they saw the same versions, so
	// one that comes after an invalidation renders afresh.
	said := new(recording)
	p, err, leader := rt.group.do(flightKey(sv.key, sv.versions), func() (*page, error) {
		p, err := c.record(w, req, next, said, rt, sv.rescue != nil)
		if err != nil || p == nil {
			return nil, err
		}
		c.storePage(rt, sv, p, req.URL.RawQuery != "")
		return p, nil
	})
	switch {
	case err != nil && sv.rescue != nil && !(leader && errors.Is(err, errFailureSent)):
		c.rescue(LayerViews, sv.key, err)
		said.rescued.Store(true)
		c.answer(w, req, rt, sv.rescue, "STALE", false)
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
		c.answer(w, req, rt, p, "MISS", false)
	default:
		// The leader's answer was not shareable: render our own.
		w.Header().Set("X-Cache", "MISS")
		next.ServeHTTP(w, req)
	}
}

// storePage stores p for sv's request, unless it has a query string and
// its path has no room for another variant. A failure is counted and
// logged by the cache; the near cache keeps only what memcached took.
func (c *Cache) storePage(rt *viewRoute, sv storedView, p *page, query bool) {
	if query && !c.admitVariant(rt, sv.path, sv.versions[0].version) {
		return
	}
	e := newEnvelope(sv.read, rt.opts.Lifetimes, sv.versions, p.encode())
	data := e.encode()
	if len(data) > MaxValueSize {
		return
	}
	if rt.pages.Set(sv.key, data, e.ttl(c.now())) == nil {
		c.near.putPage(sv.full, sv.marks, sv.read, e.fresh, p)
	}
}

// refreshPage renders the page of req again in the background, through
// rt.opts.Refresh (or views, the route's view cache itself), for a copy
// of req without its cookies and credentials, marked so that Views
// renders and stores it without looking it up.
func (c *Cache) refreshPage(req *http.Request, views http.Handler, rt *viewRoute, sv storedView) {
	h := rt.opts.Refresh
	if h == nil {
		h = views
	}
	c.refresh(rt.pages, LayerViews, sv.key, func(ctx context.Context) bool {
		if !c.stillStale(sv.full, sv.tags, rt.tags, sv.tagKeys) {
			return false
		}
		r := req.Clone(context.WithValue(ctx, refreshKey{}, true))
		r.Header.Del("Cookie")
		r.Header.Del("Authorization")
		r.Method = http.MethodGet
		h.ServeHTTP(&discardWriter{header: make(http.Header)}, r)
		return true
	})
}

// stillStale reports whether the entry under the full key, with tags
// (whose keys in the cache of tag versions tc are tagKeys), is still
// stale: a refresh that took its lock after another had already made a
// fresh one, or after the entry was invalidated, has nothing to do.
func (c *Cache) stillStale(full string, tags []string, tc *Cache, tagKeys []string) bool {
	got, err := c.getFull(append([]string{full}, tagKeys...))
	if err != nil {
		return false
	}
	data, ok := got[full]
	if !ok {
		return false
	}
	e, err := decodeEnvelope(data)
	return err == nil && e.condition(c.now(), tc.versions(tags, tagKeys, got)) == stale
}

// renderRefresh is Views for a refresh's request: render the page and
// store it if it may be shared, looking up nothing.
func (c *Cache) renderRefresh(w http.ResponseWriter, req *http.Request, next http.Handler, rt *viewRoute) {
	sv := storedView{path: req.URL.EscapedPath(), key: rt.keyStart + ViewKey(req.URL)}
	sv.full = rt.pages.Key(sv.key)
	sv.tags = append([]string{PathTag(sv.path)}, rt.opts.Tags...)
	sv.tagKeys = append([]string{rt.tags.Key(sv.tags[0])}, rt.tagKeys...)
	sv.marks = c.near.marks(sv.full, sv.tagKeys)
	sv.read = c.now()
	got, err := c.getFull(sv.tagKeys)
	if err != nil {
		return
	}
	sv.versions = rt.tags.versions(sv.tags, sv.tagKeys, got)
	if p, err := c.record(w, req, next, new(recording), rt, false); err == nil && p != nil {
		c.storePage(rt, sv, p, req.URL.RawQuery != "")
	}
}

// refreshKey marks, in its context, the request of a background refresh.
type refreshKey struct{}

// refreshing reports whether r is a background refresh's request.
func refreshing(r *http.Request) bool {
	ok, _ := r.Context().Value(refreshKey{}).(bool)
	return ok
}

// rescue counts and logs that layer l served key stale because making a
// fresh one failed with err.
func (c *Cache) rescue(l Layer, key string, err error) {
	c.layers[l].stale.Add(1)
	c.layers[l].rescued.Add(1)
	c.rescues.record(l.String()+" "+key, err)
}

// recordingKey is where Views keeps, in the context of a request it is
// recording, what DoNotStore, RenderFailed and memoized functions say
// about it.
type recordingKey struct{}

// recording is what a handler, and what it called, have said about the
// response Views records, and what Views did with it.
type recording struct {
	noStore, failed, stale atomic.Bool
	// rescued is set when Views answered with a stale page instead.
	rescued atomic.Bool
	// holes are the marks of the page's holes, on a route with holes.
	holes *holeMarks
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
// other than a client error: it is not stored, Views answers with a stale
// page instead if it has one within its grace window (then Rescued
// reports it, and the framework must not answer again), and requests
// waiting for the same page get that, or 503 Service Unavailable, instead
// of rendering it again. A 5xx status written through Views says as much
// by itself. Outside a request that Views is recording it does nothing.
func RenderFailed(r *http.Request) {
	if rec, ok := r.Context().Value(recordingKey{}).(*recording); ok {
		rec.noStore.Store(true)
		rec.failed.Store(true)
	}
}

// Rescued reports whether Views answered r, whose render failed, with a
// stale page (see RenderFailed).
func Rescued(r *http.Request) bool {
	rec, ok := r.Context().Value(recordingKey{}).(*recording)
	return ok && rec.rescued.Load()
}

// servedStale records, in ctx, that what a request is answered with is
// made from stale data (a memoized result served because computing a
// fresh one failed): Views neither stores the response nor calls it
// fresh, and marks it X-Cache: STALE.
func servedStale(ctx context.Context) {
	if rec, ok := ctx.Value(recordingKey{}).(*recording); ok {
		rec.noStore.Store(true)
		rec.stale.Store(true)
	}
}

// errRenderFailed is what requests waiting on a failed render get, and
// errFailureSent what the request that rendered it gets when the failure
// has already gone to its client, so that it cannot be answered with
// anything else.
var (
	errRenderFailed = errors.New("cache: the page's render failed")
	errFailureSent  = fmt.Errorf("%w, and was sent", errRenderFailed)
)

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
// stored for path while its tag has version. A failing count stores
// nothing.
func (c *Cache) admitVariant(rt *viewRoute, path, version string) bool {
	n, err := rt.pages.Increment(viewVariantsKey(path, version), 1, max(rt.opts.Fresh+rt.opts.Grace, 0))
	return err == nil && n <= uint64(rt.opts.MaxVariants)
}

// page is a stored response.
type page struct {
	status int
	header http.Header
	body   []byte
	// holes are the page's personal parts, empty in body (see Hole).
	holes []hole
	// public is body with its holes filled for a request that carries
	// nothing of its visitor's, once one has been answered (see answer).
	public atomic.Pointer[filledBody]
}

// storedHeaders are the response headers a cached page keeps: the
// content type alone. Security and caching headers are not among them: the
// app's middleware sets them on every response, a stored copy of them
// could only be out of date, and an entry written by someone else must
// not be able to loosen them or make browsers keep a page for a year.
var storedHeaders = []string{"Content-Type"}

// record runs next, on the route rt, and returns the response as a page
// if it may be shared and stored, or nil: not if it was marked personal
// while it was rendered (see MarkPersonal). The response goes through to
// w as it is written, unless buffer is set: then it is held until next
// returns, so that a failure can be answered with something else, and
// sent then, but for a page too large to keep, which goes through once it
// is. It returns errRenderFailed if the handler failed (not for a client
// that went away, which is no reason for others to fail); then, buffered,
// nothing was sent.
//
// On a route with holes (ViewOptions.Fill) the whole response is held:
// next writes marks where the holes go (see Hole), and w gets the page
// with the marks taken out and the holes filled for req, while the page
// returned has them empty. Whether it may be shared is settled first:
// filling the holes may read this visitor's session.
func (c *Cache) record(w http.ResponseWriter, req *http.Request, next http.Handler, said *recording, rt *viewRoute, buffer bool) (*page, error) {
	w.Header().Set("X-Cache", "MISS")
	if rt.opts.Fill != nil {
		said.holes = newHoleMarks()
	}
	rec := &recorder{ResponseWriter: w, said: said, buffer: buffer || said.holes != nil, whole: said.holes != nil}
	next.ServeHTTP(rec, req.WithContext(context.WithValue(req.Context(), recordingKey{}, said)))
	// Anything rendered from now on, such as an error page, has its holes
	// rendered in place.
	marks := said.holes
	said.holes = nil
	if (said.failed.Load() || rec.status >= 500) && req.Context().Err() == nil {
		if rec.sent {
			return nil, errFailureSent
		}
		if marks != nil && !buffer {
			// Held only for its holes: send the failure, or let the
			// framework's answer to it through.
			if rec.status == 0 {
				rec.whole, rec.buffer = false, false
				return nil, errRenderFailed
			}
			rec.flushFilled(func(body []byte) []byte {
				p := &page{status: rec.status, body: body}
				p.body, p.holes, _ = marks.take(body)
				return c.fill(req, rt, p)
			})
			return nil, errFailureSent
		}
		return nil, errRenderFailed
	}
	h := w.Header()
	share := rec.status != 0 && !rec.tooBig && !said.noStore.Load() && !IsPersonal(req) && shareable(rec.status, h)
	p := &page{status: rec.status, header: make(http.Header), body: rec.body.Bytes()}
	for _, name := range storedHeaders {
		if v := h.Values(name); len(v) > 0 {
			p.header[name] = v
		}
	}
	if marks == nil || rec.status == 0 {
		rec.whole = false
		rec.flush()
	} else {
		var complete bool
		p.body, p.holes, complete = marks.take(p.body)
		share = share && complete
		// What is written after this, such as an error page, goes through.
		rec.buffer, rec.whole, rec.sent = false, false, true
		c.answer(w, req, rt, p, h.Get("X-Cache"), false)
	}
	if !share {
		return nil, nil
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
// MaxValueSize, and holds the response back while buffer is set.
type recorder struct {
	http.ResponseWriter
	said   *recording
	buffer bool // hold the response until flush
	whole  bool // hold all of it, even past what a page may store
	sent   bool // the status went through to the client
	status int  // 0 until the handler writes
	body   bytes.Buffer
	tooBig bool
}

// WriteHeader passes code on, or holds it, and keeps the first final
// status sent; an informational one, such as 103 Early Hints, is not the
// answer.
func (r *recorder) WriteHeader(code int) {
	if code < 200 {
		if !r.buffer {
			r.ResponseWriter.WriteHeader(code)
		}
		return
	}
	if r.status != 0 {
		return
	}
	r.status = code
	if r.said.stale.Load() {
		r.Header().Set("X-Cache", "STALE")
	}
	if !r.buffer {
		r.sent = true
		r.ResponseWriter.WriteHeader(code)
	}
}

// Write passes p on, or holds it, and keeps a copy while the page fits in
// an item. A held page that outgrows one is sent as it is so far, and the
// rest goes through.
func (r *recorder) Write(p []byte) (int, error) {
	if r.status == 0 {
		r.WriteHeader(http.StatusOK)
	}
	if !r.tooBig && r.body.Len()+len(p) > MaxValueSize {
		r.tooBig = true
		if r.buffer && !r.whole {
			r.flush()
		}
		if !r.whole {
			r.body = bytes.Buffer{}
		}
	}
	if r.tooBig && !r.whole {
		return r.ResponseWriter.Write(p)
	}
	r.body.Write(p)
	if r.buffer {
		return len(p), nil
	}
	return r.ResponseWriter.Write(p)
}

// flush sends what the recorder holds, if it holds it, and lets the rest
// go through.
func (r *recorder) flush() {
	if !r.buffer {
		return
	}
	r.buffer = false
	if r.status != 0 {
		r.sent = true
		r.ResponseWriter.WriteHeader(r.status)
		r.ResponseWriter.Write(r.body.Bytes())
	}
}

// flushFilled is flush for a response held for its holes: what is sent
// is the body that fill makes of it.
func (r *recorder) flushFilled(fill func(body []byte) []byte) {
	r.buffer, r.whole = false, false
	body := fill(r.body.Bytes())
	r.sent = true
	r.Header().Set("Content-Length", strconv.Itoa(len(body)))
	r.ResponseWriter.WriteHeader(r.status)
	r.ResponseWriter.Write(body)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// discardWriter is the response writer of a background refresh: what is
// rendered is stored, and nobody reads the response.
type discardWriter struct {
	header http.Header
}

func (w *discardWriter) Header() http.Header         { return w.header }
func (w *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *discardWriter) WriteHeader(int)             {}

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
	p.send(w, p.body, xcache, head)
}

// send is write with body in place of p's, such as p's with its holes
// filled.
func (p *page) send(w http.ResponseWriter, body []byte, xcache string, head bool) {
	h := w.Header()
	for k, v := range p.header {
		h[k] = v
	}
	h.Set("X-Cache", xcache)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(p.status)
	if !head {
		w.Write(body)
	}
}

// Limits of a stored page's header lines, checked when it is read back.
const maxHeaderValue = 4096

// errBadPage is why a stored entry is not replayed.
var errBadPage = errors.New("cache: invalid cached page")

// A stored page is an entry (see entry.encode) whose payload is "page3",
// the status, the body's length, header lines, a blank line and the body,
// each line ending in \n (header values cannot contain one). A page with
// holes is a "page4", with a line for each hole after the headers (see
// encodeHoles).
func (p *page) encode() []byte {
	var b bytes.Buffer
	b.Grow(len(p.body) + 128)
	if len(p.holes) > 0 {
		b.WriteString("page4\n")
	} else {
		b.WriteString("page3\n")
	}
	b.WriteString(strconv.Itoa(p.status))
	b.WriteByte('\n')
	b.WriteString(strconv.Itoa(len(p.body)))
	b.WriteByte('\n')
	for _, k := range storedHeaders {
		for _, v := range p.header[k] {
			b.WriteString(k + ": " + v + "\n")
		}
	}
	p.encodeHoles(&b)
	b.WriteByte('\n')
	b.Write(p.body)
	return b.Bytes()
}

// decodeStoredPage reads a stored page and its entry, and checks
// everything that will be replayed: the cache may be shared, and an entry
// may have been written by another program. Only a 200 with the headers
// Views stores, a body of the recorded length, and values without control
// characters pass.
func decodeStoredPage(data []byte) (*envelope, *page, error) {
	e, err := decodeEnvelope(data)
	if err != nil {
		return nil, nil, err
	}
	p, err := decodePage(e.body)
	return e, p, err
}

// decodePage reads a page's encoding.
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

	magic, ok := next()
	if !ok || (magic != "page3" && magic != "page4") {
		return bad("not a page")
	}
	if status, ok := next(); !ok || status != "200" {
		return bad("status is not 200")
	}
	line, ok := next()
	length, err := strconv.Atoi(line)
	if !ok || err != nil || length < 0 || length > MaxItemSize {
		return bad("bad body length")
	}
	p := &page{status: http.StatusOK, header: make(http.Header, len(storedHeaders))}
	for lines := 0; ; {
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
		case magic == "page4" && strings.HasPrefix(line, "@"):
			h, ok := decodeHole(line, length, p.holes)
			if !ok || len(p.holes) == maxHoles {
				return bad(fmt.Sprintf("hole %.40q", line))
			}
			p.holes = append(p.holes, h)
			continue
		case lines == 2*len(storedHeaders):
			return bad("too many headers")
		}
		lines++
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
