// Package generate renders the app template into files.
//
// It is pure: given a template tree and [Options] it returns the same files,
// byte for byte, every time. It does no I/O beyond reading the template tree,
// and it never writes: internal/cli decides where the files go.
package generate

import (
	"bytes"
	"fmt"
	"go/format"
	"io/fs"
	"path"
	"slices"
	"sort"
	"strings"
	"text/template"
)

// Options are the inputs of a generation. The zero value is not valid: use
// [Resolve] to build Options from what the user typed, and set Features.
type Options struct {
	// Module is the Go module path of the new app, such as github.com/acme/shop.
	Module string
	// Features are the optional parts the app has (see [Features]).
	Features Set
	// Version is the scaffold version that generates the app, recorded in
	// its .scaffold.json.
	Version string
	// Resources are the resources that "scaffold generate resource" added
	// to the app, which its manifest keeps recording.
	Resources []ManifestResource
}

// Name is the app's name: the last element of the module path, skipping a
// major-version suffix (github.com/acme/shop/v2 gives "shop"). It is also the
// name of the binary that "go install" builds, which the Procfile runs.
func (o Options) Name() string {
	prefix, _, ok := splitMajor(o.Module)
	if !ok {
		prefix = o.Module
	}
	return path.Base(prefix)
}

// RepoURL is the web address of the app's repository, for the Heroku
// Deploy button: the module path's first three elements on github.com
// (github.com/acme/shop/internal → https://github.com/acme/shop), the
// path without its major-version suffix on other hosts, and a GitHub
// address to adjust for a module path without a host, such as "shop".
func (o Options) RepoURL() string {
	prefix, _, ok := splitMajor(o.Module)
	if !ok {
		prefix = o.Module
	}
	elems := strings.Split(prefix, "/")
	switch {
	case elems[0] == "github.com" && len(elems) >= 3:
		return "https://" + strings.Join(elems[:3], "/")
	case strings.Contains(elems[0], "."):
		return "https://" + prefix
	default:
		return "https://github.com/you/" + o.Name()
	}
}

// File is one generated file.
type File struct {
	// Path is slash-separated and relative to the project directory.
	Path string
	// Data is the file's content.
	Data []byte
	// Mode is the file's permission bits.
	Mode fs.FileMode
}

// templateSuffix marks files that are rendered rather than copied.
const templateSuffix = ".tmpl"

// source is one file of an overlay that an app includes.
type source struct {
	overlay string // the overlay's directory
	path    string // the file's path inside the overlay
}

// out is the path the file is written to in the app.
func (s source) out() string { return strings.TrimSuffix(s.path, templateSuffix) }

// sources returns the files of the overlays that an app with features s
// includes, sorted by the path each is written to. It fails when the
// tree itself is broken: a file outside every overlay, an overlay that names
// no feature, two overlays writing one file.
func (t Template) sources(s Set) ([]source, error) {
	overlays, err := fs.ReadDir(t.FS, ".")
	if err != nil {
		return nil, err
	}
	var out []source
	for _, overlay := range overlays {
		if !overlay.IsDir() {
			return nil, fmt.Errorf("template tree: %s is outside every overlay", overlay.Name())
		}
		in, err := t.includes(s, overlay.Name())
		if err != nil {
			return nil, err
		}
		if !in {
			continue
		}
		err = fs.WalkDir(t.FS, overlay.Name(), func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			out = append(out, source{overlay: overlay.Name(), path: strings.TrimPrefix(p, overlay.Name()+"/")})
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].out() < out[j].out() })
	for i, src := range out {
		if src.out() == ManifestPath {
			return nil, fmt.Errorf("template tree: overlay %s holds %s, which scaffold writes itself", src.overlay, ManifestPath)
		}
		if i > 0 && src.out() == out[i-1].out() {
			return nil, fmt.Errorf("template tree writes %s twice: overlays %s and %s of this app hold it", src.out(), out[i-1].overlay, src.overlay)
		}
	}
	return out, nil
}

// Paths returns the paths of the files that Generate writes for an app
// with features s, sorted, without rendering them.
func (t Template) Paths(s Set) ([]string, error) {
	srcs, err := t.sources(s)
	if err != nil {
		return nil, err
	}
	paths := make([]string, 0, len(srcs)+1)
	for _, src := range srcs {
		paths = append(paths, src.out())
	}
	paths = append(paths, ManifestPath)
	slices.Sort(paths)
	return paths, nil
}

// Generate renders the template for opts and returns the files sorted by
// path: the app's files and its manifest, .scaffold.json. Go files are
// gofmt-formatted. An error means the template tree itself is broken (a
// parse error, a missing field, Go that does not format, two overlays
// writing one file) or opts.Features is a set that [Template.Check]
// refuses, never that the user's other input was bad: [Resolve] checks
// that.
//
// An optional feature is whole files, never a condition inside Go code:
// Go templates substitute values only, except run.go.tmpl, the app's
// composition root, where features meet. Other text files may also test
// features ([[if .Demo]]).
func (t Template) Generate(opts Options) ([]File, error) {
	if err := t.Check(opts.Features); err != nil {
		return nil, err
	}
	data := map[string]any{
		"Module":  opts.Module,
		"Name":    opts.Name(),
		"RepoURL": opts.RepoURL(),
	}
	for _, f := range t.Features {
		data[f.Field] = opts.Features[f.Name]
	}
	srcs, err := t.sources(opts.Features)
	if err != nil {
		return nil, err
	}
	files := make([]File, 0, len(srcs)+1)
	for _, src := range srcs {
		f, err := renderFile(t.FS, src, data)
		if err != nil {
			return nil, err
		}
		files = append(files, f)
	}
	manifest, err := NewManifest(opts, files).Encode()
	if err != nil {
		return nil, err
	}
	files = append(files, File{Path: ManifestPath, Data: manifest, Mode: modeFor(ManifestPath)})
	sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	return files, nil
}

// renderFile reads the file src, renders it when it is a template and
// formats it when it is Go.
func renderFile(fsys fs.FS, src source, data any) (File, error) {
	name := path.Join(src.overlay, src.path) // its path in the tree, for errors
	text, err := fs.ReadFile(fsys, name)
	if err != nil {
		return File{}, err
	}
	out := src.out()
	if strings.HasSuffix(src.path, templateSuffix) {
		text, err = render(name, text, data)
		if err != nil {
			return File{}, err
		}
	}
	if path.Ext(out) == ".go" {
		text, err = format.Source(text)
		if err != nil {
			return File{}, fmt.Errorf("template %s: gofmt: %w", name, err)
		}
	}
	return File{Path: out, Data: text, Mode: modeFor(out)}, nil
}

// render executes one template file. The [[ ]] delimiters leave the app's own
// html/template actions ({{ }}) untouched.
func render(name string, src []byte, data any) ([]byte, error) {
	t, err := template.New(name).Delims("[[", "]]").Option("missingkey=error").Parse(string(src))
	if err != nil {
		return nil, fmt.Errorf("template %s: %w", name, err)
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, data); err != nil {
		return nil, fmt.Errorf("template %s: %w", name, err)
	}
	return buf.Bytes(), nil
}

// modeFor gives scripts the executable bit; embed.FS keeps no modes, so the
// rule lives here.
func modeFor(p string) fs.FileMode {
	if path.Ext(p) == ".sh" || strings.HasPrefix(p, "bin/") {
		return 0o755
	}
	return 0o644
}

// ExampleModule is the module path of generated-example/, the committed
// output of the generator that the repository deploys and tests against.
const ExampleModule = "github.com/echocache/scaffold/generated-example"
