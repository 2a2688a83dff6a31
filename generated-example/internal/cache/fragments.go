package cache

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"io"
	"strings"
	"time"
)

// FragmentKey is the key of a cached template fragment, the same as
// Flask-Caching's make_template_fragment_key(name, vary_on=[...]):
// "_template_fragment_cache_" + name, then "_" + each vary value. Use it to
// invalidate a fragment: c.Delete(cache.FragmentKey("task", "12")).
func FragmentKey(name string, vary ...string) string {
	// Built in one piece: a page builds a key per row.
	n := len(fragmentGroup) + len(name)
	for _, v := range vary {
		n += 1 + len(v)
	}
	var b strings.Builder
	b.Grow(n)
	b.WriteString(fragmentGroup)
	b.WriteString(name)
	for _, v := range vary {
		b.WriteByte('_')
		b.WriteString(v)
	}
	return b.String()
}

// Fragments caches rendered pieces of html/template pages, like Jinja2's
// {% cache %} block in Flask-Caching. html/template has no block tags, so a
// fragment is a named template, rendered by a template function:
//
//	{{cache "task" . .ID}}            renders template "task" with data ., cached for the default TTL
//	{{cacheFor 60 "task" . .ID}}      the same, cached for 60 seconds (0: until evicted or deleted)
//
// The values after the data vary the key (see FragmentKey); they are
// formatted with fmt.Sprint, as Jinja2 formats them with str(). The
// rendered HTML was escaped by html/template when it was first rendered
// and is returned as template.HTML.
//
// Each {{cache}} is one round trip. For a list, where a page holds one
// fragment per row, use RenderAll: one round trip for all the rows.
//
// A cache failure never fails the page: the fragment is rendered uncached.
// An error in the fragment's own template fails the page, as it would
// uncached.
type Fragments struct {
	cache  *Cache
	ttl    time.Duration
	flight flight[template.HTML]
}

// maxFragmentWriters bounds the goroutines that store the misses of
// RenderAll, for a Cache and its namespaces together: past it, misses are
// not stored (the next page stores them), so a slow or hung cache can
// neither hold up pages nor pile up goroutines.
const maxFragmentWriters = 4

// NewFragments returns Fragments on c whose "cache" function keeps
// fragments for defaultTTL.
func NewFragments(c *Cache, defaultTTL time.Duration) *Fragments {
	return &Fragments{cache: c, ttl: defaultTTL}
}

// Funcs returns the "cache" and "cacheFor" template functions for the
// template set t, which must hold the fragments' named templates. Call it
// on a template before parsing it, with a pointer that will hold the
// parsed set.
func (f *Fragments) Funcs(t **template.Template) template.FuncMap {
	execute := func(name string, data any) func(io.Writer) error {
		return func(w io.Writer) error { return (*t).ExecuteTemplate(w, name, data) }
	}
	return template.FuncMap{
		"cache": func(name string, data any, vary ...any) (template.HTML, error) {
			return f.Render(name, f.ttl, varyStrings(vary), execute(name, data))
		},
		"cacheFor": func(seconds int, name string, data any, vary ...any) (template.HTML, error) {
			return f.Render(name, time.Duration(seconds)*time.Second, varyStrings(vary), execute(name, data))
		},
	}
}

// Render returns the cached fragment name/vary, or renders it with render
// and caches it for ttl. Concurrent misses render once.
func (f *Fragments) Render(name string, ttl time.Duration, vary []string, render func(io.Writer) error) (template.HTML, error) {
	key := FragmentKey(name, vary...)
	if data, ok := f.cache.Get(key); ok {
		f.cache.CountHit(LayerFragments)
		return template.HTML(data), nil
	}
	f.cache.CountMiss(LayerFragments)
	html, err, _ := f.flight.do(key, func() (template.HTML, error) {
		var b bytes.Buffer
		if err := render(&b); err != nil {
			return "", fmt.Errorf("fragment %s: %w", name, err)
		}
		if f.cache.Set(key, b.Bytes(), ttl) != nil { // the failure is counted and logged by the cache
			f.cache.CountError(LayerFragments)
		}
		return template.HTML(b.String()), nil
	})
	return html, err
}

// RenderAll writes one fragment per key to w, in order, as Render would
// return them, but fetches them all with one GetMulti, so a page costs one
// round trip however many rows it has. render(i, w) renders the fragment
// of keys[i] on a miss; the misses are stored for ttl in the background,
// after the page has them. With a near cache (MemcachedOptions.NearCacheTTL)
// fragments read in the last TTL cost no round trip: deleting any
// fragment drops this process's copies of them all, and other processes
// see a delete within the TTL. Build the keys with FragmentKey, from values
// that change whenever the fragment's content could (an ID and an
// updated-at time). On an error, discard what was written to w.
func (f *Fragments) RenderAll(w io.Writer, keys []string, ttl time.Duration, render func(i int, w io.Writer) error) error {
	got := f.fetch(keys)
	if g, ok := w.(interface{ Grow(int) }); ok {
		// Make room for the cached rows at once: a 20-row page would
		// otherwise grow a buffer through every size up to its own.
		size := 0
		for _, data := range got {
			size += len(data)
		}
		g.Grow(size)
	}
	var missed []int
	var rendered [][]byte
	for i, key := range keys {
		if data := got[i]; data != nil {
			f.cache.CountHit(LayerFragments)
			if _, err := w.Write(data); err != nil {
				return err
			}
			continue
		}
		f.cache.CountMiss(LayerFragments)
		var b bytes.Buffer
		if err := render(i, &b); err != nil {
			return fmt.Errorf("fragment %s: %w", key, err)
		}
		if _, err := w.Write(b.Bytes()); err != nil {
			return err
		}
		missed = append(missed, i)
		rendered = append(rendered, b.Bytes())
	}
	if len(missed) > 0 {
		f.store(keys, missed, rendered, ttl)
	}
	return nil
}

// fetch returns the fragments under keys that are cached, got[i] for
// keys[i] and nil for a miss: from the near cache if there is one, and the
// rest with one GetMulti, which the near cache then keeps.
func (f *Fragments) fetch(keys []string) [][]byte {
	got := make([][]byte, len(keys))
	near := f.cache.near
	var gen uint64
	if near != nil {
		gen = near.fragments(f.cache.prefix, keys, got)
	}
	var far []string
	for i, key := range keys {
		if got[i] == nil {
			far = append(far, key)
		}
	}
	if len(far) == 0 {
		return got
	}
	read := f.cache.now()
	found := f.cache.GetMulti(far)
	if len(found) == 0 {
		return got
	}
	for i, key := range keys {
		data, ok := found[key]
		if got[i] != nil || !ok {
			continue
		}
		if data == nil {
			data = []byte{} // an empty fragment is a hit too
		}
		got[i] = data
		near.put(f.cache.prefix, key, fragmentGroup, gen, read, data, len(f.cache.prefix)+len(key)+len(data)+nearEntryOverhead)
	}
	return got
}

// Wait waits until the misses RenderAll is storing in the background, on
// f's Cache and its namespaces, are stored, for tests that look for them in
// the cache.
func (f *Fragments) Wait() { f.cache.fragmentsPending.Wait() }

// store writes the missed fragments (keys[missed[j]] is rendered[j]) in a
// goroutine of its own, if one of maxFragmentWriters is free, and drops
// them if not.
func (f *Fragments) store(keys []string, missed []int, rendered [][]byte, ttl time.Duration) {
	c := f.cache
	select {
	case c.fragmentWriters <- struct{}{}:
	default:
		return
	}
	c.fragmentsPending.Add(1)
	go func() {
		defer func() { <-c.fragmentWriters; c.fragmentsPending.Done() }()
		for j, i := range missed {
			// A failure is counted and logged by the cache. Stop at the
			// first that is not the fragment's size: the cache is down.
			err := f.cache.Set(keys[i], rendered[j], ttl)
			if err != nil {
				f.cache.CountError(LayerFragments)
			}
			if err != nil && !errors.Is(err, ErrTooLarge) {
				return
			}
		}
	}()
}

func varyStrings(vary []any) []string {
	out := make([]string, len(vary))
	for i, v := range vary {
		out[i] = fmt.Sprint(v)
	}
	return out
}
