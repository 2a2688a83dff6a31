package generate_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"go/format"
	"go/parser"
	"go/token"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/echocache/scaffold"
	"github.com/echocache/scaffold/internal/generate"
	"github.com/echocache/scaffold/internal/textdiff"
)

var update = flag.Bool("update", false, "rewrite generated-example/ from the templates")

// maxDiffLines caps the diff printed for one stale file: past it, the
// file is better read with git diff than in a test log.
const maxDiffLines = 80

// exampleDir is the golden tree, relative to this package.
const exampleDir = "../../generated-example"

// exampleVersion is the scaffold version that generated-example's
// .scaffold.json records: the example is always this tree's own output.
const exampleVersion = "(devel)"

func generateExample(t *testing.T) []generate.File {
	t.Helper()
	tmpl := scaffold.Template()
	files, err := tmpl.Generate(generate.Options{Module: generate.ExampleModule, Features: tmpl.All(), Version: exampleVersion})
	if err != nil {
		t.Fatalf("Generate: %v", err)
	}
	return files
}

// TestGolden checks that generated-example/ is exactly what the generator
// writes: the same paths, bytes and executable bits, and nothing more.
// Run "go test ./internal/generate -update" to rewrite it.
func TestGolden(t *testing.T) {
	files := generateExample(t)
	if *update {
		if err := checkUpdateSafe(exampleDir, files); err != nil {
			t.Fatal(err)
		}
		writeGolden(t, files)
	}
	want := make(map[string]generate.File)
	for _, f := range files {
		want[f.Path] = f
	}
	got := readTree(t, exampleDir)
	for p, f := range want {
		g, ok := got[p]
		switch {
		case !ok:
			t.Errorf("%s: missing from generated-example", p)
		case !bytes.Equal(g.Data, f.Data):
			t.Errorf("%s: content differs from the template's output:\n%s", p,
				textdiff.Unified("generated-example/"+p, "generated/"+p, g.Data, f.Data, maxDiffLines))
		case g.Mode&0o111 != f.Mode&0o111:
			t.Errorf("%s: mode %v, want %v", p, g.Mode, f.Mode)
		}
	}
	for p := range got {
		if _, ok := want[p]; !ok {
			t.Errorf("%s: in generated-example but not generated", p)
		}
	}
	if t.Failed() {
		t.Log("generated-example/ is stale: run go test ./internal/generate -update and commit the result")
	}
}

// readTree reads every file under dir, skipping what builds leave there.
func readTree(t *testing.T, dir string) map[string]generate.File {
	t.Helper()
	tree := make(map[string]generate.File)
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if rel == "bin" {
				return filepath.SkipDir
			}
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		tree[rel] = generate.File{Path: rel, Data: data, Mode: info.Mode().Perm()}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return tree
}

// writeGolden replaces generated-example/ with files.
func writeGolden(t *testing.T, files []generate.File) {
	t.Helper()
	if err := os.RemoveAll(exampleDir); err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		p := filepath.Join(exampleDir, filepath.FromSlash(f.Path))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, f.Data, f.Mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, f.Mode); err != nil {
			t.Fatal(err)
		}
	}
}

func TestDeterministic(t *testing.T) {
	a, b := generateExample(t), generateExample(t)
	if len(a) != len(b) {
		t.Fatalf("two runs gave %d and %d files", len(a), len(b))
	}
	for i := range a {
		if a[i].Path != b[i].Path || !bytes.Equal(a[i].Data, b[i].Data) || a[i].Mode != b[i].Mode {
			t.Errorf("two runs differ at %s", a[i].Path)
		}
	}
}

// TestGoFiles checks that every Go file parses and is gofmt-formatted.
func TestGoFiles(t *testing.T) {
	for _, f := range generateExample(t) {
		if !strings.HasSuffix(f.Path, ".go") {
			continue
		}
		if _, err := parser.ParseFile(token.NewFileSet(), f.Path, f.Data, parser.ParseComments); err != nil {
			t.Errorf("%s does not parse: %v", f.Path, err)
		}
		formatted, err := format.Source(f.Data)
		if err != nil {
			t.Errorf("%s: gofmt: %v", f.Path, err)
		} else if !bytes.Equal(formatted, f.Data) {
			t.Errorf("%s is not gofmt-formatted", f.Path)
		}
	}
}

// cruft is what a generator leaves behind: its own name, unexpanded
// placeholders, markers that the code is not finished or not to be
// edited.
var cruft = regexp.MustCompile(`(?i)scaffold|echocache|DO NOT EDIT|TODO|FIXME|XXX|\[\[\s*\.`)

// TestReadsAsHandWritten looks for what a generator leaves behind: its own
// name, unexpanded placeholders, markers that the code is not finished or
// not to be edited.
func TestReadsAsHandWritten(t *testing.T) {
	tmpl := scaffold.Template()
	files, err := tmpl.Generate(generate.Options{Module: "github.com/acme/shop", Features: tmpl.All()})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if f.Path == generate.ManifestPath {
			continue // the generator's own record, by design
		}
		for i, line := range strings.Split(string(f.Data), "\n") {
			// The README tells the owner what the manifest is for, and
			// how to add a resource.
			line = strings.ReplaceAll(line, generate.ManifestPath, "")
			if f.Path == "README.md" {
				line = strings.ReplaceAll(line, "`scaffold generate resource ", "")
			}
			if m := cruft.FindString(line); m != "" {
				t.Errorf("%s:%d: %q in %q", f.Path, i+1, m, line)
			}
		}
	}
}

// compositionRoot lists the Go templates where features meet, which may
// test them: run.go builds the app from its parts, and run_test.go's
// TestMain stops the servers its parts' tests share.
var compositionRoot = map[string]bool{"app/run.go.tmpl": true, "app/run_test.go.tmpl": true}

// TestTemplatesAreScalar enforces that Go templates only substitute
// values: an optional feature is a whole file, never an [[if]] in Go
// code, except in the composition root. Other text files (README,
// app.json, go.mod…) may also keep or drop lines by feature.
func TestTemplatesAreScalar(t *testing.T) {
	tmpl := scaffold.Template()
	action := regexp.MustCompile(`\[\[(.*?)\]\]`)
	scalar := map[string]bool{".Module": true, ".Name": true, ".RepoURL": true}
	err := fs.WalkDir(tmpl.FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".tmpl") {
			return err
		}
		data, err := fs.ReadFile(tmpl.FS, p)
		if err != nil {
			return err
		}
		conditional := !strings.HasSuffix(p, ".go.tmpl") || compositionRoot[p]
		for _, m := range action.FindAllStringSubmatch(string(data), -1) {
			a := strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(m[1], "-"), "-"))
			switch {
			case scalar[a]:
			case conditional && isCondition(tmpl, a):
			case conditional:
				t.Errorf("%s: template action %q; only %v and conditions on the features are allowed", p, m[0], slices.Sorted(maps.Keys(scalar)))
			default:
				t.Errorf("%s: template action %q; Go templates may only substitute %v (conditions belong in run.go)", p, m[0], slices.Sorted(maps.Keys(scalar)))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// isCondition reports whether a is if, else if, else or end, with a
// condition made only of the features' fields, not, and, or and
// parentheses.
func isCondition(tmpl generate.Template, a string) bool {
	if a == "else" || a == "end" {
		return true
	}
	rest, ok := strings.CutPrefix(a, "if ")
	if !ok {
		if rest, ok = strings.CutPrefix(a, "else if "); !ok {
			return false
		}
	}
	fields := make(map[string]bool)
	for _, f := range tmpl.Features {
		fields["."+f.Field] = true
	}
	words := strings.Fields(strings.NewReplacer("(", " ", ")", " ").Replace(rest))
	for _, w := range words {
		if !fields[w] && w != "not" && w != "and" && w != "or" {
			return false
		}
	}
	return len(words) > 0
}

// TestFeatureCombinations generates the app for every combination of
// features: no two overlays write one file, the output is the same from run
// to run, and each feature's files come and go with it.
func TestFeatureCombinations(t *testing.T) {
	tmpl := scaffold.Template()
	sets := tmpl.Combinations()
	if len(sets) != 6 {
		t.Errorf("%d combinations, want 6 (the demo needs the database)", len(sets))
	}
	for _, set := range sets {
		db, demo, sessions := set["db"], set["demo"], set["sessions"]
		opts := generate.Options{Module: "github.com/acme/shop", Features: set}
		t.Run(set.String(), func(t *testing.T) {
			first, err := tmpl.Generate(opts)
			if err != nil {
				t.Fatal(err)
			}
			again, err := tmpl.Generate(opts)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(first, again) {
				t.Error("two runs with the same options differ")
			}
			paths := make(map[string]string)
			var all strings.Builder
			for _, f := range first {
				paths[f.Path] = string(f.Data)
				all.Write(f.Data)
			}
			wantPaths, err := tmpl.Paths(set)
			if err != nil {
				t.Fatal(err)
			}
			if got := slices.Sorted(maps.Keys(paths)); !slices.Equal(got, wantPaths) {
				t.Errorf("Paths = %v, want the paths Generate writes: %v", wantPaths, got)
			}
			for path, want := range map[string]bool{
				"internal/db/db.go":                              db,
				"internal/db/migrations/00001_create_tasks.sql":  demo,
				"internal/db/migrations/00001_create_schema.sql": db && !demo,
				"internal/pgtest/pgtest.go":                      db,
				"db.go":                                          db,
				"internal/tasks/tasks.go":                        demo,
				"browser_test.go":                                demo,
				"internal/web/home.go":                           !demo,
				"internal/session/session.go":                    sessions,
				"internal/web/sessions.go":                       sessions,
				"browser_login_test.go":                          demo && sessions,
				".scaffold.json":                                 true,
			} {
				if _, got := paths[path]; got != want {
					t.Errorf("%s written: %t, want %t", path, got, want)
				}
			}
			if got := strings.Contains(paths["go.mod"], "gorilla/sessions"); got != sessions {
				t.Errorf("gorilla/sessions in go.mod: %t, want %t", got, sessions)
			}
			for text, want := range map[string]bool{
				"SESSION_SECRET":    sessions,
				"DATABASE_URL":      db,
				"jackc/pgx":         db,
				"pressly/goose":     db,
				"heroku-postgresql": db,
				"release: bin/shop migrate && bin/shop check": db,
				"release: bin/shop check":                     !db,
				`{"migrate",`:                                 db,
				"srv.ServeTasks(":                             demo,
				"srv.ServeHome()":                             !demo,
			} {
				if got := strings.Contains(all.String(), text); got != want {
					t.Errorf("%q in the app: %t, want %t", text, got, want)
				}
			}
			var m generate.Manifest
			if err := json.Unmarshal([]byte(paths[generate.ManifestPath]), &m); err != nil {
				t.Fatalf("%s: %v", generate.ManifestPath, err)
			}
			if !maps.Equal(m.Features, set) {
				t.Errorf("manifest features = %v, want %v", m.Features, set)
			}
		})
	}
}

func TestHerokuFiles(t *testing.T) {
	files := make(map[string][]byte)
	for _, f := range generateExample(t) {
		files[f.Path] = f.Data
	}

	var app struct {
		Name       string
		Buildpacks []struct{ URL string }
		Addons     []struct{ Plan string }
		Env        map[string]struct {
			Description string
			Generator   string
		}
	}
	dec := json.NewDecoder(bytes.NewReader(files["app.json"]))
	if err := dec.Decode(&app); err != nil {
		t.Fatalf("app.json is not valid JSON: %v", err)
	}
	if dec.More() {
		t.Error("app.json has data after its object")
	}
	if len(app.Addons) != 2 || app.Addons[0].Plan != "memcachier:dev" || app.Addons[1].Plan != "heroku-postgresql:essential-0" {
		t.Errorf("app.json addons = %+v, want memcachier:dev and heroku-postgresql:essential-0", app.Addons)
	}
	if len(app.Buildpacks) != 1 || app.Buildpacks[0].URL != "heroku/go" {
		t.Errorf("app.json buildpacks = %+v, want heroku/go", app.Buildpacks)
	}
	for _, name := range []string{"SESSION_SECRET", "DASHBOARD_PASSWORD"} {
		if got := app.Env[name].Generator; got != "secret" {
			t.Errorf(`app.json %s generator = %q, want "secret"`, name, got)
		}
	}

	gomod := string(files["go.mod"])
	for _, want := range []string{"// +heroku goVersion go1.25\n", "\ngo 1.25.0\n", "module " + generate.ExampleModule + "\n"} {
		if !strings.Contains(gomod, want) {
			t.Errorf("go.mod does not contain %q", want)
		}
	}
	if got, want := string(files["Procfile"]), "web: bin/generated-example\nrelease: bin/generated-example migrate && bin/generated-example check\n"; got != want {
		t.Errorf("Procfile = %q, want %q", got, want)
	}
	if len(files["go.sum"]) == 0 {
		t.Error("go.sum is empty")
	}
}

func TestOptionsNames(t *testing.T) {
	tests := []struct {
		module, name, repo string
	}{
		{"shop", "shop", "https://github.com/you/shop"},
		{"github.com/acme/shop", "shop", "https://github.com/acme/shop"},
		{"github.com/acme/shop/v2", "shop", "https://github.com/acme/shop"},
		{"github.com/acme/mono/services/shop", "shop", "https://github.com/acme/mono"},
		{"example.com/x/my-shop.io", "my-shop.io", "https://example.com/x/my-shop.io"},
		{"gitlab.com/acme/shop/v3", "shop", "https://gitlab.com/acme/shop"},
	}
	for _, tt := range tests {
		o := generate.Options{Module: tt.module}
		if got := o.Name(); got != tt.name {
			t.Errorf("Options{%q}.Name() = %q, want %q", tt.module, got, tt.name)
		}
		if got := o.RepoURL(); got != tt.repo {
			t.Errorf("Options{%q}.RepoURL() = %q, want %q", tt.module, got, tt.repo)
		}
	}
}

func TestGenerateRejectsBrokenTemplates(t *testing.T) {
	features := []generate.Feature{{Name: "demo", Field: "Demo"}}
	on := generate.Set{"demo": true}
	tests := map[string]string{
		"bad action":    "[[ .Module ",
		"unknown field": "[[.Nope]]",
	}
	for name, src := range tests {
		t.Run(name, func(t *testing.T) {
			tmpl := generate.Template{FS: fstest.MapFS{"app/x.txt.tmpl": {Data: []byte(src)}}, Features: features}
			if _, err := tmpl.Generate(generate.Options{Module: "shop", Features: on}); err == nil {
				t.Error("Generate succeeded, want an error")
			}
		})
	}
	for name, fsys := range map[string]fstest.MapFS{
		"an overlay that names no feature": {"app/a.txt": {}, "nope/b.txt": {}},
		"a file outside every overlay":     {"app/a.txt": {}, "b.txt": {}},
		"two overlays writing one file":    {"app/a.txt": {}, "demo/a.txt": {}},
		"an overlay writing the manifest":  {"app/.scaffold.json": {}},
		"Go that does not format":          {"app/main.go.tmpl": {Data: []byte("package main\nfunc {")}},
		"a template for the manifest too":  {"demo/.scaffold.json.tmpl": {}},
	} {
		t.Run(name, func(t *testing.T) {
			tmpl := generate.Template{FS: fsys, Features: features}
			if _, err := tmpl.Generate(generate.Options{Module: "shop", Features: on}); err == nil {
				t.Error("Generate succeeded, want an error")
			}
		})
	}
	t.Run("a set the template refuses", func(t *testing.T) {
		tmpl := generate.Template{FS: fstest.MapFS{"app/a.txt": {}}, Features: features}
		for _, set := range []generate.Set{nil, {"demo": true, "extra": true}} {
			if _, err := tmpl.Generate(generate.Options{Module: "shop", Features: set}); err == nil {
				t.Errorf("Generate with features %v succeeded, want an error", set)
			}
		}
	})
}
