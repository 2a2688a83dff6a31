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

// fragmentKeyStart starts every fragment's key, as in Flask-Caching.
const fragmentKeyStart = "_template_fragment_cache_"

// FragmentKey is the key of a cached template fragment, the same as
// Flask-Caching's make_template_fragment_key(name, vary_on=[...]):
// "_template_fragment_cache_" + name, then "_" + each vary value.
// Fragments.Key puts the template's digest before it.
func FragmentKey(name string, vary ...string) string {
	return fragmentKey("", name, vary)
}

// fragmentKey is FragmentKey(name, vary...) after digest and a colon, if
// digest is not empty, built in one piece: a page builds a key per row.
func fragmentKey(digest, name string, vary []string) string {
	n := len(fragmentKeyStart) + len(name)
	if digest != "" {
		n += len(digest) + 1
	}
	for _, v := range vary {
		n += 1 + len(v)
	}
	var b strings.Builder
	b.Grow(n)
	if digest != "" {
		b.WriteString(digest)
		b.WriteByte(':')
	}
	b.WriteString(fragmentKeyStart)
	b.WriteString(name)
	for _, v := range vary {
		b.WriteByte('_')
		b.WriteString(v)
	}
	return b.String()
}

// FragmentOptions configure Fragments.
type FragmentOptions struct {
	// Lifetimes of the fragments that {{cache}} and RenderAll store;
	// {{cacheFor N}} keeps its fragment fresh for N seconds instead.
	Lifetimes
	// Digest names the markup of the named template, such as a digest of
	// its source and of the templates it calls. It is part of the
	// fragment's key (see Key), so a deploy that changes the template
	// never serves the previous release's fragment, and fragments whose
	// templates did not change stay cached across it. Nil: no digest.
	Digest func(name string) string
}

// Fragments caches rendered pieces of html/template pages, like Jinja2's
// {% cache %} block in Flask-Caching. html/template has no block tags, so a
// fragment is a named template, rendered by a template function:
//
//	{{cache "task" . .ID}}            renders template "task" with data ., cached for the default lifetimes
//	{{cacheFor 60 "task" . .ID}}      the same, fresh for 60 seconds (0: until evicted or invalidated)
//
// The values after the data vary the key (see Key); they are formatted
// with fmt.Sprint, as Jinja2 formats them with str(). The rendered HTML was
// escaped by html/template when it was first rendered and is returned as
// template.HTML.
//
// Each {{cache}} is one round trip. For a list, where a page holds one
// fragment per row, use RenderAll: one round trip for all the rows.
//
// Build keys from values that change whenever the fragment's content
// could (an ID and an updated-at time): a changed row then has a new key,
// and needs no invalidation. Fragments can also carry tags (Tagged). A
// fragment past its fresh lifetime but within its stale window is served
// and rendered again in the background.
//
// A cache failure never fails the page: the fragment is rendered uncached.
// An error in the fragment's own template fails the page, as it would
// uncached, unless a copy within its grace window is at hand.
type Fragments struct {
	cache   *Cache // in the fragments layer
	tags    *Cache // in the layer of tag versions
	opts    FragmentOptions
	tagList []string
	tagKeys []string
	flight  *flight[template.HTML]
}

// maxFragmentWriters bounds the goroutines that store the misses of
// RenderAll, for a Cache and its namespaces together: past it, misses are
// not stored (the next page stores them), so a slow or hung cache can
// neither hold up pages nor pile up goroutines.
const maxFragmentWriters = 4

// NewFragments returns Fragments on c.
func NewFragments(c *Cache, opts FragmentOptions) *Fragments {
	return &Fragments{cache: c.InLayer(LayerFragments), tags: c.tagCache(), opts: opts, flight: new(flight[template.HTML])}
}

// Tagged returns Fragments whose fragments also carry tags, so that
// InvalidateTags with any of them retires them all.
func (f *Fragments) Tagged(tags ...string) *Fragments {
	t := *f
	t.tagList = tags
	t.tagKeys = make([]string, len(tags))
	for i, tag := range tags {
		t.tagKeys[i] = f.tags.Key(tag)
	}
	return &t
}

// Key is the key of the fragment of template name for the vary values: the
// template's digest (see FragmentOptions.Digest), a colon, and
// FragmentKey(name, vary...).
func (f *Fragments) Key(name string, vary ...string) string {
	if f.opts.Digest == nil {
		return fragmentKey("", name, vary)
	}
	return fragmentKey(f.opts.Digest(name), name, vary)
}

// Delete drops the fragment under key (see Key), in memcached and in this
// process's near cache. A fragment whose key names one version of its
// content never needs it to be correct; it frees the space at once.
func (f *Fragments) Delete(key string) error { return f.cache.Delete(key) }

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
			return f.Render(f.Key(name, varyStrings(vary)...), f.opts.Lifetimes, execute(name, data))
		},
		"cacheFor": func(seconds int, name string, data any, vary ...any) (template.HTML, error) {
			life := f.opts.Lifetimes
			life.Fresh = time.Duration(seconds) * time.Second
			return f.Render(f.Key(name, varyStrings(vary)...), life, execute(name, data))
		},
	}
}

// Render returns the cached fragment under key (see Key), or renders it
// with render and caches it for life. Concurrent misses render once.
func (f *Fragments) Render(key string, life Lifetimes, render func(io.Writer) error) (template.HTML, error) {
	read := f.cache.now()
	full := f.cache.Key(key)
	got, err := f.cache.getFull(append([]string{full}, f.tagKeys...))
	var versions []tagVersion
	var rescue []byte
	if err == nil {
		versions = f.tags.versions(f.tagList, f.tagKeys, got)
		if data, ok := got[full]; ok {
			if e, derr := decodeEnvelope(data); derr != nil {
				f.cache.fail("fragment "+key, derr)
				f.cache.CountError(LayerFragments)
			} else {
				switch e.condition(read, versions) {
				case fresh:
					f.cache.CountHit(LayerFragments)
					return template.HTML(e.body), nil
				case stale:
					// Rendering a fragment takes less than a round trip:
					// serve the stale copy, and store a fresh one after.
					f.cache.CountHit(LayerFragments)
					f.cache.layers[LayerFragments].stale.Add(1)
					f.cache.layers[LayerFragments].refreshes.Add(1)
					var b bytes.Buffer
					if render(&b) == nil {
						f.store([]string{key}, []int{0}, [][]byte{b.Bytes()}, life, read, versions)
					}
					return template.HTML(e.body), nil
				case spent:
					rescue = e.body
				}
			}
		}
	}
	f.cache.CountMiss(LayerFragments)
	html, rerr, _ := f.flight.do(flightKey(key, versions), func() (template.HTML, error) {
		var b bytes.Buffer
		if err := render(&b); err != nil {
			return "", fmt.Errorf("fragment %s: %w", key, err)
		}
		if versions != nil {
			e := newEnvelope(read, life, versions, b.Bytes())
			if f.cache.Set(key, e.encode(), e.ttl(f.cache.now())) != nil { // the failure is counted and logged by the cache
				f.cache.CountError(LayerFragments)
			}
		}
		return template.HTML(b.String()), nil
	})
	if rerr != nil && rescue != nil {
		f.cache.rescue(LayerFragments, key, rerr)
		return template.HTML(rescue), nil
	}
	return html, rerr
}

// RenderAll writes one fragment per key (see Key) to w, in order, as Render
// would return them, but fetches them all with one multi-get, so a page
// costs one round trip however many rows it has. render(i, w) renders the
// fragment of keys[i] on a miss; the misses, and the fresh copies of
// stale fragments, are stored in the background, after the page has them.
// With a near cache (MemcachedOptions.NearCacheTTL) fragments read in the
// last TTL cost no round trip. On an error, discard what was written to w.
func (f *Fragments) RenderAll(w io.Writer, keys []string, render func(i int, w io.Writer) error) error {
	got, staleRows, rescues, read, versions := f.fetch(keys)
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
			if staleRows[i] {
				f.cache.layers[LayerFragments].stale.Add(1)
				var b bytes.Buffer
				if render(i, &b) == nil {
					missed = append(missed, i)
					rendered = append(rendered, b.Bytes())
				}
			}
			continue
		}
		f.cache.CountMiss(LayerFragments)
		var b bytes.Buffer
		if err := render(i, &b); err != nil {
			if rescues[i] == nil {
				return fmt.Errorf("fragment %s: %w", key, err)
			}
			f.cache.rescue(LayerFragments, key, err)
			b.Reset()
			b.Write(rescues[i])
		} else if versions != nil {
			missed = append(missed, i)
			rendered = append(rendered, b.Bytes())
		}
		if _, err := w.Write(b.Bytes()); err != nil {
			return err
		}
	}
	if len(missed) > 0 {
		f.store(keys, missed, rendered, f.opts.Lifetimes, read, versions)
	}
	return nil
}

// fetch returns the fragments under keys that are cached and fresh or
// stale, got[i] for keys[i] and nil for a miss, with stale[i] set for a
// stale one and rescues[i] holding a spent one that may stand in for a
// failed render: from the near cache if there is one, and the rest with
// one multi-get with the tags' versions, which the near cache then keeps
// if fresh. versions is nil when the cache failed: then nothing is stored.
func (f *Fragments) fetch(keys []string) (got [][]byte, staleRows []bool, rescues [][]byte, read time.Time, versions []tagVersion) {
	got = make([][]byte, len(keys))
	staleRows = make([]bool, len(keys))
	rescues = make([][]byte, len(keys))
	full := f.cache.keys(keys)
	near := f.cache.near
	var marks [][]nearMark
	if near != nil {
		marks = near.fragments(full, f.tagKeys, got)
	}
	far := append([]string(nil), f.tagKeys...)
	for i := range keys {
		if got[i] == nil {
			far = append(far, full[i])
		}
	}
	read = f.cache.now()
	if len(far) == len(f.tagKeys) && near != nil {
		return got, staleRows, rescues, read, []tagVersion{}
	}
	found, err := f.cache.getFull(far)
	if err != nil {
		return got, staleRows, rescues, read, nil
	}
	versions = f.tags.versions(f.tagList, f.tagKeys, found)
	for i, key := range keys {
		data, ok := found[full[i]]
		if got[i] != nil || !ok {
			continue
		}
		e, err := decodeEnvelope(data)
		if err != nil {
			f.cache.fail("fragment "+key, err)
			f.cache.CountError(LayerFragments)
			continue
		}
		switch e.condition(read, versions) {
		case fresh:
			got[i] = e.body
			if marks != nil {
				near.put(full[i], marks[i], read, e.fresh, e.body, len(full[i])+len(e.body)+nearEntryOverhead)
			}
		case stale:
			got[i], staleRows[i] = e.body, true
		case spent:
			rescues[i] = e.body
		}
	}
	return got, staleRows, rescues, read, versions
}

// Wait waits until the fragments that RenderAll is storing in the
// background, on f's Cache and its namespaces, are stored, for tests that
// look for them in the cache.
func (f *Fragments) Wait() { f.cache.fragmentsPending.Wait() }

// store writes the rendered fragments (keys[which[j]] is rendered[j]),
// made from what was there at read under versions, in a goroutine of its
// own, if one of maxFragmentWriters is free, and drops them if not.
func (f *Fragments) store(keys []string, which []int, rendered [][]byte, life Lifetimes, read time.Time, versions []tagVersion) {
	c := f.cache
	select {
	case c.fragmentWriters <- struct{}{}:
	default:
		return
	}
	c.fragmentsPending.Add(1)
	go func() {
		defer func() { <-c.fragmentWriters; c.fragmentsPending.Done() }()
		for j, i := range which {
			e := newEnvelope(read, life, versions, rendered[j])
			// A failure is counted and logged by the cache. Stop at the
			// first that is not the fragment's size: the cache is down.
			err := f.cache.Set(keys[i], e.encode(), e.ttl(c.now()))
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
