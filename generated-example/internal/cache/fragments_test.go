package cache

import (
	"errors"
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
			f := NewFragments(c, time.Minute)
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
			if got, ok := c.Get("_template_fragment_cache_item_1"); !ok || string(got) != "<b>&lt;script&gt;alert(1)&lt;/script&gt;</b>" {
				t.Errorf("stored fragment = %q, %v", got, ok)
			}

			// Invalidate one row the way the Flask guide does.
			c.Delete(FragmentKey("item", "2"))
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
	f := NewFragments(c, time.Minute)
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
	tmpl, _ := fragmentPage(t, NewFragments(c, time.Minute), `{{cache "item" . .ID}}`)
	for i := 0; i < 2; i++ {
		got, err := execute(t, tmpl, item{1, "ok"})
		if err != nil || got != "<b>ok</b>" {
			t.Errorf("with the cache down: %q, %v; want the fragment rendered uncached", got, err)
		}
	}
}

func TestFragmentTemplateErrorFailsThePage(t *testing.T) {
	f := NewFragments(NewMemory(0, discard()), time.Minute)
	_, err := f.Render("broken", 0, nil, func(io.Writer) error { return errors.New("bad template") })
	if err == nil || !strings.Contains(err.Error(), "bad template") {
		t.Errorf("got %v, want the template's error", err)
	}
	if _, ok := f.cache.Get(FragmentKey("broken")); ok {
		t.Error("a failed render was cached")
	}
}
