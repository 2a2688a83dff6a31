package web

import (
	"bytes"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"path"
	"strconv"
	"sync"
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
// and the partials, parsed once at start-up; and the partials alone, for
// fragments that handlers render.
type renderer struct {
	pages    map[string]*template.Template
	partials *template.Template
	// sections are the parts of the app that every page's header links
	// to (see Server.addSection). They are added before the app serves,
	// and only read after that.
	sections []section
}

// newRenderer parses every page. Each set gets the fragment-cache
// template functions bound to itself.
func newRenderer(fsys fs.FS, fragments *cache.Fragments) (*renderer, error) {
	names, err := fs.Glob(fsys, "views/*.html")
	if err != nil {
		return nil, err
	}
	r := &renderer{pages: make(map[string]*template.Template)}
	funcs := template.FuncMap{
		"now":    func() string { return time.Now().Format(timeFormat) },
		"mul100": func(f float64) float64 { return f * 100 },
	}
	shared, err := fs.Glob(fsys, partials)
	if err != nil {
		return nil, err
	}
	r.partials = template.New("partials").Funcs(fragments.Funcs(&r.partials)).Funcs(funcs)
	if len(shared) > 0 {
		if _, err := r.partials.ParseFS(fsys, shared...); err != nil {
			return nil, fmt.Errorf("parse partials: %w", err)
		}
	}
	for _, name := range names {
		if name == layout {
			continue
		}
		var t *template.Template
		t, err = template.New(path.Base(name)).
			Funcs(fragments.Funcs(&t)).
			Funcs(funcs).
			ParseFS(fsys, append(append([]string{layout}, shared...), name)...)
		if err != nil {
			return nil, fmt.Errorf("parse view %s: %w", name, err)
		}
		r.pages[path.Base(name)] = t
	}
	return r, nil
}

// timeFormat is how pages show times: to the millisecond, so that a
// reload shows whether a part of the page was rendered again.
const timeFormat = "15:04:05.000"

// view is what the layout is executed with: the page's own data, which
// the page's "content" template gets, and the request, for the parts of
// the layout that depend on who is visiting (methods on view, such as the
// header's log-in state, read it).
type view struct {
	Page     any
	Sections []section // the header's links
	c        echo.Context
}

// buffers hold pages while they are rendered. html/template writes a page
// in many small pieces: into a reused buffer, that costs no allocation.
var buffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// Render implements echo.Renderer, for handlers that call c.Render. The
// app's own handlers call Server.render, which spares the copy.
func (r *renderer) Render(w io.Writer, name string, data any, c echo.Context) error {
	return r.execute(name, data, c, func(page []byte) error {
		c.Response().Header().Set(echo.HeaderContentLength, strconv.Itoa(len(page)))
		_, err := w.Write(page)
		return err
	})
}

// execute renders the page name with data into a pooled buffer and hands
// the whole page to send, so that a template error never sends half a
// page.
func (r *renderer) execute(name string, data any, c echo.Context, send func(page []byte) error) error {
	t, ok := r.pages[name]
	if !ok {
		return fmt.Errorf("render: no view named %q", name)
	}
	buf := buffers.Get().(*bytes.Buffer)
	defer func() { buf.Reset(); buffers.Put(buf) }()
	if err := t.ExecuteTemplate(buf, "layout", view{Page: data, Sections: r.sections, c: c}); err != nil {
		return err
	}
	return send(buf.Bytes())
}

// render answers with the page name rendered with data. c.Render would
// render into a new buffer and copy it into the response: for a page of a
// few KB that is a dozen allocations and a copy per request. The page's
// length is set too: without one, net/http sends a page of more than 2 KB
// in chunks, which costs an extra write to the connection.
func (s *Server) render(c echo.Context, code int, name string, data any) error {
	return s.views.execute(name, data, c, func(page []byte) error {
		res := c.Response()
		res.Header().Set(echo.HeaderContentType, echo.MIMETextHTMLCharsetUTF8)
		res.Header().Set(echo.HeaderContentLength, strconv.Itoa(len(page)))
		res.WriteHeader(code)
		_, err := res.Write(page)
		return err
	})
}

// partial renders the named partial, such as "task", with data.
func (r *renderer) partial(w io.Writer, name string, data any) error {
	return r.partials.ExecuteTemplate(w, name, data)
}
