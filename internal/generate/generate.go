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
	"maps"
	"path"
	"slices"
	"sort"
	"strings"
	"text/template"
)

// Options are the inputs of a generation. The zero value is not valid: use
// [Resolve] to build Options from what the user typed.
type Options struct {
	// Module is the Go module path of the new app, such as github.com/acme/shop.
	Module string
	// Demo includes the task list: the demo of every caching layer, its
	// PostgreSQL store and migrations. Without it the app has a home page
	// to replace with the user's own routes.
	Demo bool
	// Sessions includes server-side sessions kept in the cache, with the
	// demo's log-in pages.
	Sessions bool
}

// features maps each optional part of an app, as layer names spell it, to
// whether o includes it.
func (o Options) features() map[string]bool {
	return map[string]bool{"demo": o.Demo, "sessions": o.Sessions}
}

// baseLayer is the layer that every app includes.
const baseLayer = "app"

// includes reports whether the app includes the template tree's top-level
// directory layer. The base layer is in every app. Any other layer's name
// is a list of conditions joined by "+", each a feature or "no-" and a
// feature, and the layer is in the app when every condition holds:
// "sessions" with sessions, "no-demo" without the demo, "demo+sessions"
// only with both.
func (o Options) includes(layer string) (bool, error) {
	if layer == baseLayer {
		return true, nil
	}
	features := o.features()
	in := true
	for _, cond := range strings.Split(layer, "+") {
		feature, negated := strings.CutPrefix(cond, "no-")
		has, ok := features[feature]
		if !ok {
			return false, fmt.Errorf("template layer %q: %q is not a feature (want %s, or no- and one of them)", layer, cond, strings.Join(slices.Sorted(maps.Keys(features)), ", "))
		}
		if has == negated {
			in = false
		}
	}
	return in, nil
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

// Generate renders the template tree tmpl for opts and returns the files
// sorted by path. Go files are gofmt-formatted. An error means the template
// tree itself is broken (a parse error, a missing field, Go that does not
// format, two layers writing one file), never that the user's input was
// bad: [Resolve] checks that.
//
// Each top-level directory of tmpl is a layer (see the README's "Working on
// scaffold"): the files of the layers that opts includes are merged, each
// at its path inside its layer. An optional feature is whole files, never
// a condition inside Go code: Go templates substitute values only, and
// other text files may also test .Demo and .Sessions.
func Generate(tmpl fs.FS, opts Options) ([]File, error) {
	data := struct {
		Module   string
		Name     string
		RepoURL  string
		Demo     bool
		Sessions bool
	}{opts.Module, opts.Name(), opts.RepoURL(), opts.Demo, opts.Sessions}

	layers, err := fs.ReadDir(tmpl, ".")
	if err != nil {
		return nil, err
	}
	var files []File
	for _, layer := range layers {
		if !layer.IsDir() {
			return nil, fmt.Errorf("template tree: %s is outside every layer", layer.Name())
		}
		in, err := opts.includes(layer.Name())
		if err != nil {
			return nil, err
		}
		if !in {
			continue
		}
		sub, err := fs.Sub(tmpl, layer.Name())
		if err != nil {
			return nil, err
		}
		err = fs.WalkDir(sub, ".", func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			f, err := renderFile(sub, path.Join(layer.Name(), p), p, data)
			if err != nil {
				return err
			}
			files = append(files, f)
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	for i := 1; i < len(files); i++ {
		if files[i].Path == files[i-1].Path {
			return nil, fmt.Errorf("template tree writes %s twice: two layers of this app hold it", files[i].Path)
		}
	}
	return files, nil
}

// renderFile reads the file p of a layer, renders it when it is a template
// and formats it when it is Go. name is its path in the template tree, for
// errors.
func renderFile(layer fs.FS, name, p string, data any) (File, error) {
	src, err := fs.ReadFile(layer, p)
	if err != nil {
		return File{}, err
	}
	out := p
	if strings.HasSuffix(p, templateSuffix) {
		out = strings.TrimSuffix(p, templateSuffix)
		src, err = render(name, src, data)
		if err != nil {
			return File{}, err
		}
	}
	if path.Ext(out) == ".go" {
		src, err = format.Source(src)
		if err != nil {
			return File{}, fmt.Errorf("template %s: gofmt: %w", name, err)
		}
	}
	return File{Path: out, Data: src, Mode: modeFor(out)}, nil
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
