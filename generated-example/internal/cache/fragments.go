package cache

import (
	"bytes"
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
	if len(vary) == 0 {
		return "_template_fragment_cache_" + name
	}
	return "_template_fragment_cache_" + name + "_" + strings.Join(vary, "_")
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
// A cache failure never fails the page: the fragment is rendered uncached.
// An error in the fragment's own template fails the page, as it would
// uncached.
type Fragments struct {
	cache  *Cache
	ttl    time.Duration
	flight flight[template.HTML]
}

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

func varyStrings(vary []any) []string {
	out := make([]string, len(vary))
	for i, v := range vary {
		out[i] = fmt.Sprint(v)
	}
	return out
}
