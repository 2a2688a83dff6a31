package web

import (
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"path"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/echocache/scaffold/generated-example/internal/cache"
)

// Views: a base layout, one file per page, and partials (named templates
// that pages share, such as cached fragments).
const (
	layout   = "views/layout.html"
	partials = "views/partials/*.html"
)

// renderer holds one parsed template set per page: the layout, the page
// and the partials, parsed once at start-up.
type renderer struct {
	pages map[string]*template.Template
}

// newRenderer parses every page. Each set gets the fragment-cache
// template functions bound to itself.
func newRenderer(fsys fs.FS, fragments *cache.Fragments) (*renderer, error) {
	names, err := fs.Glob(fsys, "views/*.html")
	if err != nil {
		return nil, err
	}
	r := &renderer{pages: make(map[string]*template.Template)}
	for _, name := range names {
		if name == layout {
			continue
		}
		var t *template.Template
		t, err = template.New(path.Base(name)).
			Funcs(fragments.Funcs(&t)).
			Funcs(template.FuncMap{
				"now":    func() string { return time.Now().Format(timeFormat) },
				"mul100": func(f float64) float64 { return f * 100 },
			}).
			ParseFS(fsys, layout, partials, name)
		if err != nil {
			return nil, fmt.Errorf("parse view %s: %w", name, err)
		}
		r.pages[path.Base(name)] = t
	}
	return r, nil
}

// Render implements echo.Renderer. Echo renders into a buffer, so a
// template error never sends half a page.
func (r *renderer) Render(w io.Writer, name string, data any, c echo.Context) error {
	t, ok := r.pages[name]
	if !ok {
		return fmt.Errorf("render: no view named %q", name)
	}
	return t.ExecuteTemplate(w, "layout", data)
}
