package web

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"text/template/parse"
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
// fragments that handlers render. It also names the markup of each page
// and partial with a digest, which cached pages and fragments carry in
// their keys, so that a release with other markup never serves the cached
// markup of the one before.
type renderer struct {
	pages    map[string]*template.Template
	partials *template.Template
	// pageDigests and fragmentDigests name the markup of each page and
	// partial.
	pageDigests, fragmentDigests map[string]string
	// sections are the parts of the app that every page's header links
	// to (see Server.addSection). They are added before the app serves,
	// and only read after that.
	sections []section
	// holes give each hole's partial its data (see Server.addHole). They
	// too are added before the app serves.
	holes map[string]holeFunc
}

// newRenderer parses every page. Each set gets the fragment-cache
// template functions bound to itself.
func newRenderer(fsys fs.FS, fragments *cache.Fragments) (*renderer, error) {
	names, err := fs.Glob(fsys, "views/*.html")
	if err != nil {
		return nil, err
	}
	r := &renderer{pages: make(map[string]*template.Template), holes: make(map[string]holeFunc)}
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
	r.pageDigests, r.fragmentDigests = make(map[string]string), make(map[string]string)
	for name, t := range r.pages {
		r.pageDigests[name] = digest(t.Templates())
	}
	for _, t := range r.partials.Templates() {
		r.fragmentDigests[t.Name()] = digest(calledBy(r.partials, t.Name()))
	}
	return r, nil
}

// digest names the markup of templates: the first 12 hex digits of a
// SHA-256 of their parsed form, in name order. Their parsed form changes
// with their markup and not with the files' spacing outside actions, nor
// when other templates change.
func digest(templates []*template.Template) string {
	slices.SortFunc(templates, func(a, b *template.Template) int { return strings.Compare(a.Name(), b.Name()) })
	h := sha256.New()
	for _, t := range templates {
		if t.Tree == nil || t.Tree.Root == nil {
			continue
		}
		fmt.Fprintf(h, "%s\x00%s\x00", t.Name(), t.Tree.Root.String())
	}
	return hex.EncodeToString(h.Sum(nil))[:12]
}

// calledBy returns the template name in set and every template it calls,
// through {{template}} and through the fragment functions {{cache}} and
// {{cacheFor}} with a constant name.
func calledBy(set *template.Template, name string) []*template.Template {
	var out []*template.Template
	seen := make(map[string]bool)
	var visit func(name string)
	visit = func(name string) {
		t := set.Lookup(name)
		if seen[name] || t == nil || t.Tree == nil {
			return
		}
		seen[name] = true
		out = append(out, t)
		walk(t.Tree.Root, func(called string) { visit(called) })
	}
	visit(name)
	return out
}

// walk calls found with the name of every template that node and what it
// holds call.
func walk(node parse.Node, found func(name string)) {
	switch n := node.(type) {
	case *parse.ListNode:
		if n == nil {
			return
		}
		for _, c := range n.Nodes {
			walk(c, found)
		}
	case *parse.TemplateNode:
		found(n.Name)
	case *parse.ActionNode:
		walkPipe(n.Pipe, found)
	case *parse.IfNode:
		walkPipe(n.Pipe, found)
		walk(n.List, found)
		walk(n.ElseList, found)
	case *parse.RangeNode:
		walkPipe(n.Pipe, found)
		walk(n.List, found)
		walk(n.ElseList, found)
	case *parse.WithNode:
		walkPipe(n.Pipe, found)
		walk(n.List, found)
		walk(n.ElseList, found)
	}
}

// walkPipe finds the fragments that a pipeline renders: {{cache "name" …}}
// and {{cacheFor N "name" …}}.
func walkPipe(pipe *parse.PipeNode, found func(name string)) {
	if pipe == nil {
		return
	}
	for _, cmd := range pipe.Cmds {
		if len(cmd.Args) < 2 {
			continue
		}
		fn, ok := cmd.Args[0].(*parse.IdentifierNode)
		if !ok {
			continue
		}
		arg := 1
		if fn.Ident == "cacheFor" {
			arg = 2
		} else if fn.Ident != "cache" {
			continue
		}
		if arg < len(cmd.Args) {
			if s, ok := cmd.Args[arg].(*parse.StringNode); ok {
				found(s.Text)
			}
		}
	}
}

// pageDigest names the markup of the page name: its layout, itself and
// every partial, which its handler may render into it.
func (r *renderer) pageDigest(name string) string { return r.pageDigests[name] }

// fragmentDigest names the markup of the partial name and the partials it
// calls.
func (r *renderer) fragmentDigest(name string) string { return r.fragmentDigests[name] }

// timeFormat is how pages show times: to the millisecond, so that a
// reload shows whether a part of the page was rendered again.
const timeFormat = "15:04:05.000"

// view is what the layout is executed with: the page's own data, which
// the page's "content" template gets, and the request, for the parts of
// the layout that depend on who is visiting (its holes: see Personal).
type view struct {
	Page     any
	Sections []section // the header's links
	c        echo.Context
	views    *renderer
}

// view returns what the layout, or a hole, is executed with for c.
func (r *renderer) view(data any, c echo.Context) view {
	return view{Page: data, Sections: r.sections, c: c, views: r}
}

// Personal renders the hole name: a personal part of the page, such as
// the header's account box, whose content is the partial of that name,
// executed with what the hole's function (see Server.addHole) returns for
// the request. On a page the view cache keeps, the hole is left empty in
// the stored page and filled for each visitor on every answer (see
// cache.Hole), so the partial may show the visitor's session or flash
// message; nothing else on such a page may.
func (v view) Personal(name string) (template.HTML, error) {
	if mark, ok := cache.Hole(v.c.Request(), name); ok {
		return template.HTML(mark), nil
	}
	var b strings.Builder
	if err := v.views.hole(&b, name, v.c); err != nil {
		return "", err
	}
	return template.HTML(b.String()), nil
}

// A holeFunc returns the data that a hole's partial shows for the
// request c: the visitor's own, such as who is logged in.
type holeFunc func(c echo.Context) (any, error)

// addHole sets the function that gives the partial of the hole name its
// data. The partial of a hole without one is executed with nil: the
// account box of a server without sessions is empty. Add holes before the
// app serves: pages read them without a lock.
func (s *Server) addHole(name string, data holeFunc) {
	s.views.holes[name] = data
}

// hole writes the content of the hole name for c: its partial, executed
// with its function's data. The partial gets the data itself, not the
// view, so that filling a hole calls no method through reflection, which
// would cost a cached page more than the rest of the template.
func (r *renderer) hole(w io.Writer, name string, c echo.Context) error {
	var data any
	if f := r.holes[name]; f != nil {
		var err error
		if data, err = f(c); err != nil {
			return err
		}
	}
	return r.partial(w, name, data)
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
	if err := t.ExecuteTemplate(buf, "layout", r.view(data, c)); err != nil {
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
