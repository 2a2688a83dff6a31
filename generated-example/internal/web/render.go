package web

import (
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"path"

	"github.com/labstack/echo/v4"
)

// layout is the base template every page is rendered into.
const layout = "views/layout.html"

// renderer holds one parsed template set per page: the layout plus the
// page, parsed once at start-up.
type renderer struct {
	pages map[string]*template.Template
}

func newRenderer(fsys fs.FS) (*renderer, error) {
	names, err := fs.Glob(fsys, "views/*.html")
	if err != nil {
		return nil, err
	}
	r := &renderer{pages: make(map[string]*template.Template)}
	for _, name := range names {
		if name == layout {
			continue
		}
		t, err := template.ParseFS(fsys, layout, name)
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
