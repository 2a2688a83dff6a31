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
	"sort"
	"strings"
	"text/template"
)

// Options are the inputs of a generation. The zero value is not valid: use
// [Resolve] to build Options from what the user typed.
type Options struct {
	// Module is the Go module path of the new app, such as github.com/acme/shop.
	Module string
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

// Generate renders every file of the template tree tmpl for opts and returns
// the files sorted by path. Go files are gofmt-formatted. An error means the
// template tree itself is broken (a parse error, a missing field, Go that does
// not format), never that the user's input was bad: [Resolve] checks that.
func Generate(tmpl fs.FS, opts Options) ([]File, error) {
	data := struct {
		Module  string
		Name    string
		RepoURL string
	}{opts.Module, opts.Name(), opts.RepoURL()}

	var files []File
	err := fs.WalkDir(tmpl, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		src, err := fs.ReadFile(tmpl, p)
		if err != nil {
			return err
		}
		out := p
		if strings.HasSuffix(p, templateSuffix) {
			out = strings.TrimSuffix(p, templateSuffix)
			src, err = render(p, src, data)
			if err != nil {
				return err
			}
		}
		if path.Ext(out) == ".go" {
			src, err = format.Source(src)
			if err != nil {
				return fmt.Errorf("template %s: gofmt: %w", p, err)
			}
		}
		files = append(files, File{Path: out, Data: src, Mode: modeFor(out)})
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	for i := 1; i < len(files); i++ {
		if files[i].Path == files[i-1].Path {
			return nil, fmt.Errorf("template tree writes %s twice", files[i].Path)
		}
	}
	return files, nil
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
