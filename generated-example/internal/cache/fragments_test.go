package cache

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"io"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestFragmentKey(t *testing.T) {
	// make_template_fragment_key("item", vary_on=[...]) in Flask-Caching.
	tests := []struct {
		name string
		vary []string
		want string
	}{
		{"item", nil, "_template_fragment_cache_item"},
		{"item", []string{"12"}, "_template_fragment_cache_item_12"},
		{"item", []string{"12", "en"}, "_template_fragment_cache_item_12_en"},
		{"task-fragment", []string{"12"}, "_template_fragment_cache_task-fragment_12"},
	}
	for _, tt := range tests {
		if got := FragmentKey(tt.name, tt.vary...); got != tt.want {
			t.Errorf("FragmentKey(%q, %q) = %q, want %q", tt.name, tt.vary, got, tt.want)
		}
	}
}

// fragmentPage parses a page that renders template "item" as a cached
// fragment per element, counting how often "item" really renders.
func fragmentPage(t *testing.T, f *Fragments, body string) (*template.Template, *atomic.Int64) {
	t.Helper()
	var renders atomic.Int64
	var tmpl *template.Template
	tmpl = template.Must(template.New("page").
		Funcs(f.Funcs(&tmpl)).
		Funcs(template.FuncMap{"count": func() string { renders.Add(1); return "" }}).
		Parse(`{{define "item"}}{{count}}<b>{{.Name}}</b>{{end}}` + body))
	return tmpl, &renders
}

func execute(t *testing.T, tmpl *template.Template, data any) (string, error) {
	t.Helper()
	var b strings.Builder
	err := tmpl.Execute(&b, data)
	return b.String(), err
}

type item struct {
	ID   int
	Name string
}

func TestFragments(t *testing.T) {
	for name, c := range backends(t) {
		t.Run(name, func(t *testing.T) {
			f := NewFragments(c, FragmentOptions{Lifetimes: Lifetimes{Fresh: time.Minute}})
			tmpl, renders := fragmentPage(t, f, `{{range .}}{{cache "item" . .ID}}{{end}}`)
			items := []item{{1, "<script>alert(1)</script>"}, {2, "two"}}

			first, err := execute(t, tmpl, items)
			if err != nil {
				t.Fatal(err)
			}
			want := "<b>&lt;script&gt;alert(1)&lt;/script&gt;</b><b>two</b>"
			if first != want {
				t.Fatalf("got %q, want %q", first, want)
			}
			second, _ := execute(t, tmpl, items)
			if second != first || renders.Load() != 2 {
				t.Errorf("second render %q after %d item renders, want the cached %q after 2", second, renders.Load(), first)
			}
			if got, ok := storedBody(t, f.cache, "_template_fragment_cache_item_1"); !ok || string(got) != "<b>&lt;script&gt;alert(1)&lt;/script&gt;</b>" {
				t.Errorf("stored fragment = %q, %v", got, ok)
			}

			// Drop one row, as a delete of its key does.
			f.cache.Delete(f.Key("item", "2"))
			items[1].Name = "deux"
			third, _ := execute(t, tmpl, items)
			if !strings.Contains(third, "<b>deux</b>") || renders.Load() != 3 {
				t.Errorf("after deleting fragment 2: %q, %d renders", third, renders.Load())
			}
		})
	}
}

func TestFragmentTTL(t *testing.T) {
	c := NewMemory(0, discard())
	now := time.Unix(1_800_000_000, 0)
	c.now = func() time.Time { return now }
	f := NewFragments(c, FragmentOptions{Lifetimes: Lifetimes{Fresh: time.Minute}})
	tmpl, renders := fragmentPage(t, f, `{{cache "item" .}}{{cacheFor 10 "item" . "short"}}{{cacheFor 0 "item" . "forever"}}`)
	execute(t, tmpl, item{Name: "x"})
	if renders.Load() != 3 {
		t.Fatalf("%d renders, want 3", renders.Load())
	}
	now = now.Add(30 * time.Second) // past 10s, within the default minute
	execute(t, tmpl, item{Name: "x"})
	if renders.Load() != 4 {
		t.Errorf("after 30s: %d renders, want 4 (only the 10s fragment expired)", renders.Load())
	}
	now = now.Add(24 * time.Hour)
	execute(t, tmpl, item{Name: "x"})
	if renders.Load() != 6 {
		t.Errorf("after a day: %d renders, want 6 (all but the 0 TTL fragment)", renders.Load())
	}
}

func TestFragmentsWithCacheDown(t *testing.T) {
	c := newMemcachedCache(t, fastOptions("127.0.0.1:1"), discard())
	tmpl, _ := fragmentPage(t, NewFragments(c, FragmentOptions{Lifetimes: Lifetimes{Fresh: time.Minute}}), `{{cache "item" . .ID}}`)
	for i := 0; i < 2; i++ {
		got, err := execute(t, tmpl, item{1, "ok"})
		if err != nil || got != "<b>ok</b>" {
			t.Errorf("with the cache down: %q, %v; want the fragment rendered uncached", got, err)
		}
	}
}

func TestFragmentTemplateErrorFailsThePage(t *testing.T) {
	f := NewFragments(NewMemory(0, discard()), FragmentOptions{Lifetimes: Lifetimes{Fresh: time.Minute}})
	_, err := f.Render(f.Key("broken"), Lifetimes{}, func(io.Writer) error { return errors.New("bad template") })
	if err == nil || !strings.Contains(err.Error(), "bad template") {
		t.Errorf("got %v, want the template's error", err)
	}
	if _, ok := f.cache.Get(FragmentKey("broken")); ok {
		t.Error("a failed render was cached")
	}
}

// storedBody returns the payload of the entry stored under key in c.
func storedBody(t *testing.T, c *Cache, key string) ([]byte, bool) {
	t.Helper()
	data, ok := c.Get(key)
	if !ok {
		return nil, false
	}
	e, err := decodeEnvelope(data)
	if err != nil {
		t.Fatalf("entry under %s: %v", key, err)
	}
	return e.body, true
}

// tripCounter counts the reads and writes that reach the backend: each is one
// round trip to memcached (per server for a multi-get).
type tripCounter struct {
	backend
	gets, sets atomic.Int64
}

func (b *tripCounter) get(key string) ([]byte, error) {
	b.gets.Add(1)
	return b.backend.get(key)
}

func (b *tripCounter) getMulti(keys []string) (map[string][]byte, error) {
	b.gets.Add(1)
	return b.backend.getMulti(keys)
}

func (b *tripCounter) set(key string, value []byte, exp int32) error {
	b.sets.Add(1)
	return b.backend.set(key, value, exp)
}

func countTrips(c *Cache) *tripCounter {
	b := &tripCounter{backend: c.backend}
	c.backend = b
	return b
}

// renderRows renders one fragment per item with RenderAll, counting the
// items rendered.
func renderRows(t *testing.T, f *Fragments, items []item, renders *atomic.Int64) string {
	t.Helper()
	keys := make([]string, len(items))
	for i, it := range items {
		keys[i] = f.Key("row", fmt.Sprint(it.ID))
	}
	var out strings.Builder
	err := f.RenderAll(&out, keys, func(i int, w io.Writer) error {
		renders.Add(1)
		_, err := fmt.Fprintf(w, "<li>%s</li>", template.HTMLEscapeString(items[i].Name))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out.String()
}

func TestRenderAllIsOneRoundTrip(t *testing.T) {
	for name, c := range backends(t) {
		t.Run(name, func(t *testing.T) {
			b := countTrips(c)
			f := NewFragments(c, FragmentOptions{Lifetimes: Lifetimes{Fresh: time.Minute}})
			items := make([]item, 20)
			for i := range items {
				items[i] = item{ID: 1000 + i, Name: fmt.Sprintf("row <%d>", i)}
			}
			var renders atomic.Int64

			cold := renderRows(t, f, items, &renders)
			f.Wait()
			if renders.Load() != 20 || b.gets.Load() != 1 || b.sets.Load() != 20 {
				t.Errorf("cold: %d renders, %d reads, %d writes; want 20, 1, 20", renders.Load(), b.gets.Load(), b.sets.Load())
			}
			if !strings.HasPrefix(cold, "<li>row &lt;0&gt;</li><li>row &lt;1&gt;</li>") || strings.Count(cold, "<li>") != 20 {
				t.Errorf("rows = %q, want 20 in order", cold)
			}

			renders.Store(0)
			b.gets.Store(0)
			warm := renderRows(t, f, items, &renders)
			if renders.Load() != 0 || b.gets.Load() != 1 {
				t.Errorf("warm: %d renders, %d reads; want 0, 1", renders.Load(), b.gets.Load())
			}
			if warm != cold {
				t.Errorf("warm rows %q differ from cold %q", warm, cold)
			}

			// One row changed (a new key): only it is rendered.
			f.cache.Delete(f.Key("row", "1005"))
			renders.Store(0)
			renderRows(t, f, items, &renders)
			if renders.Load() != 1 {
				t.Errorf("after deleting one row: %d renders, want 1", renders.Load())
			}
		})
	}
}

// TestPageIsTwoRoundTrips: a page made of a memoized list and a fragment
// per row reads the cache twice, whatever the number of rows.
func TestPageIsTwoRoundTrips(t *testing.T) {
	for _, n := range []int{2, 20, 100} {
		c := NewMemory(0, discard())
		b := countTrips(c)
		items := make([]item, n)
		for i := range items {
			items[i] = item{ID: i, Name: "row"}
		}
		list := Memoize(c, "rows", time.Minute, func(context.Context, struct{}) ([]item, error) { return items, nil })
		f := NewFragments(c, FragmentOptions{Lifetimes: Lifetimes{Fresh: time.Minute}})
		page := func() {
			rows, err := list.Call(context.Background(), struct{}{})
			if err != nil {
				t.Fatal(err)
			}
			var renders atomic.Int64
			renderRows(t, f, rows, &renders)
		}
		page()
		f.Wait()
		b.gets.Store(0)
		page()
		if got := b.gets.Load(); got != 2 {
			t.Errorf("%d rows: %d round trips, want 2", n, got)
		}
	}
}

// TestRenderAllBoundsWriters: with every writer busy, misses are rendered
// and not stored, and the page does not wait.
func TestRenderAllBoundsWriters(t *testing.T) {
	c := NewMemory(0, discard())
	b := countTrips(c)
	f := NewFragments(c, FragmentOptions{Lifetimes: Lifetimes{Fresh: time.Minute}})
	for i := 0; i < maxFragmentWriters; i++ {
		f.cache.fragmentWriters <- struct{}{}
	}
	var renders atomic.Int64
	out := renderRows(t, f, []item{{1, "one"}}, &renders)
	if out != "<li>one</li>" || b.sets.Load() != 0 {
		t.Errorf("with writers busy: %q, %d writes; want the row and 0 writes", out, b.sets.Load())
	}
	for i := 0; i < maxFragmentWriters; i++ {
		<-f.cache.fragmentWriters
	}
	renderRows(t, f, []item{{1, "one"}}, &renders)
	f.Wait()
	if renders.Load() != 2 || b.sets.Load() != 1 {
		t.Errorf("with writers free: %d renders, %d writes; want 2, 1", renders.Load(), b.sets.Load())
	}
}

func TestRenderAllWithCacheDown(t *testing.T) {
	c := newMemcachedCache(t, fastOptions("127.0.0.1:1"), discard())
	f := NewFragments(c, FragmentOptions{Lifetimes: Lifetimes{Fresh: time.Minute}})
	var renders atomic.Int64
	out := renderRows(t, f, []item{{1, "a"}, {2, "b"}}, &renders)
	f.Wait()
	if out != "<li>a</li><li>b</li>" {
		t.Errorf("with the cache down: %q, want both rows rendered", out)
	}
}

func TestRenderAllTemplateErrorFailsThePage(t *testing.T) {
	f := NewFragments(NewMemory(0, discard()), FragmentOptions{Lifetimes: Lifetimes{Fresh: time.Minute}})
	err := f.RenderAll(io.Discard, []string{"a"}, func(int, io.Writer) error { return errors.New("bad row") })
	if err == nil || !strings.Contains(err.Error(), "bad row") {
		t.Errorf("got %v, want the row's error", err)
	}
}
