package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/echocache/scaffold"
	"github.com/echocache/scaffold/internal/generate"
)

// matrixCase is one app that the flag matrix generates and checks.
type matrixCase struct {
	name  string
	args  []string
	setup func(t *testing.T) // runs in the working directory first
	dir   string
	set   generate.Set
	// test runs the app's own tests. The NAME forms only change names,
	// so their apps are built and vetted; every combination of features
	// is tested, but the one with every feature, which is
	// generated-example, whose tests CI runs on their own.
	test bool
	// resources are added to the app with "scaffold generate resource"
	// (the arguments after it) before it is checked; every app with a
	// database gets one. With test false, resourceTests runs the tests
	// of the first alone.
	resources     [][]string
	resourceTests bool
}

// The resources that the matrix adds: product to every app with a
// database, and to one of them a second resource with a field of every
// type, required and optional.
var (
	productResource   = []string{"product", "name:string", "price:int", "in_stock:bool"}
	everyTypeResource = []string{"line_item", "title:string", "note:string:optional", "body:text", "summary:text:optional",
		"quantity:int", "limit_count:int:optional", "weight:float", "price:float:optional", "gift:bool",
		"due_at:time", "shipped_at:time:optional"}
)

// matrixCases returns an app for every combination of tmpl's features,
// then the NAME forms, on the app with every feature.
func matrixCases(tmpl generate.Template) []matrixCase {
	var cases []matrixCase
	for i, set := range tmpl.Combinations() {
		args := []string{"new", "shop"}
		for _, f := range tmpl.Features {
			if !set[f.Name] {
				args = append(args, "--no-"+f.Name)
			}
		}
		c := matrixCase{name: set.String(), args: args, dir: "shop", set: set, test: i > 0, resourceTests: i == 0}
		if set["db"] {
			c.resources = [][]string{productResource}
			if !set["demo"] && set["sessions"] {
				c.resources = append(c.resources, everyTypeResource)
			}
		}
		cases = append(cases, c)
	}
	all := tmpl.All()
	product := [][]string{productResource}
	return append(cases,
		matrixCase{name: "module path with dashes", args: []string{"new", "github.com/acme/my-shop"}, dir: "my-shop", set: all, resources: product},
		matrixCase{name: "major version with dots", args: []string{"new", "example.com/acme/shop.io/v2"}, dir: "shop.io", set: all, resources: product},
		matrixCase{name: "--module and a directory path", args: []string{"new", "./apps/web", "--module", "github.com/acme/web-app"}, dir: "apps/web", set: all, resources: product},
		matrixCase{
			name:      "--force into a repository",
			args:      []string{"new", "github.com/acme/shop", "--force"},
			dir:       "shop",
			set:       all,
			resources: product,
			setup: func(t *testing.T) {
				mustWrite(t, "shop/.git/HEAD", "ref: refs/heads/main\n")
				mustWrite(t, "shop/NOTES.md", "keep me\n")
			},
		},
		matrixCase{
			name: "--force from every feature to none",
			args: []string{"new", "shop", "--force", "--no-demo", "--no-db", "--no-sessions"},
			dir:  "shop",
			set:  generate.Set{"db": false, "demo": false, "sessions": false},
			setup: func(t *testing.T) {
				if _, _, err := runCLI(t, "new", "shop"); err != nil {
					t.Fatal(err)
				}
			},
		},
	)
}

// TestFlagMatrix generates an app for every combination of features and
// for each supported NAME form, with a resource in every app that has a
// database (two in one of them), then checks that go.mod and go.sum are
// exactly what "go mod tidy" writes, builds and vets each one with the go
// command (and runs the tests of each combination of features), and
// installs it the way Heroku's buildpack does to check that the Procfile
// runs the binary that gets built. The build cache is shared, so only the
// first case compiles the dependencies.
func TestFlagMatrix(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and tests several generated apps; skipped with -short")
	}
	for _, tt := range matrixCases(scaffold.Template()) {
		t.Run(tt.name, func(t *testing.T) {
			t.Chdir(t.TempDir())
			if tt.setup != nil {
				tt.setup(t)
			}
			if _, _, err := runCLI(t, tt.args...); err != nil {
				t.Fatalf("scaffold %s: %v", strings.Join(tt.args, " "), err)
			}
			for _, r := range tt.resources {
				args := append([]string{"generate", "resource", "--dir", tt.dir}, r...)
				if _, _, err := runCLI(t, args...); err != nil {
					t.Fatalf("scaffold %s: %v", strings.Join(args, " "), err)
				}
			}
			dir, err := filepath.Abs(tt.dir)
			if err != nil {
				t.Fatal(err)
			}
			gobin := filepath.Join(dir, "bin")
			goCmd(t, dir, nil, "mod", "tidy", "-diff")
			goCmd(t, dir, nil, "build", "./...")
			goCmd(t, dir, nil, "vet", "./...")
			if tt.test {
				goCmd(t, dir, nil, "test", "-count=1", "./...")
			} else if tt.resourceTests {
				goCmd(t, dir, nil, "test", "-count=1", "./internal/products/")
				goCmd(t, dir, nil, "test", "-count=1", "-run", "Products", ".", "./internal/web/")
			}
			goCmd(t, dir, []string{"GOBIN=" + gobin}, "install", "-tags", "heroku", ".")

			procfile, err := os.ReadFile(filepath.Join(dir, "Procfile"))
			if err != nil {
				t.Fatal(err)
			}
			procs := processes(t, string(procfile))
			bin := procs["web"]
			if _, err := os.Stat(filepath.Join(dir, bin)); err != nil {
				t.Errorf("Procfile runs %s, which go install did not build: %v", bin, err)
			}
			want := bin + " check"
			if tt.set["db"] {
				want = bin + " migrate && " + want
			}
			if procs["release"] != want {
				t.Errorf("Procfile release = %q, want %q", procs["release"], want)
			}
			// Without DATABASE_URL migrate has nothing to do and the checks
			// pass: the release command must not fail the deploy.
			release := exec.Command("bash", "-c", procs["release"])
			release.Dir = dir
			release.Env = append(os.Environ(), "DATABASE_URL=", "PATH="+dir+string(os.PathListSeparator)+os.Getenv("PATH"))
			if out, err := release.CombinedOutput(); err != nil {
				t.Errorf("release command %q: %v\n%s", procs["release"], err, out)
			}
		})
	}
}

// processes parses a Procfile into its process types and commands, and
// fails the test unless it holds exactly a web and a release process.
func processes(t *testing.T, procfile string) map[string]string {
	t.Helper()
	procs := make(map[string]string)
	for _, line := range strings.Split(strings.TrimSpace(procfile), "\n") {
		name, command, ok := strings.Cut(line, ":")
		if !ok {
			t.Fatalf("Procfile line %q is not \"type: command\"", line)
		}
		procs[name] = strings.TrimSpace(command)
	}
	if len(procs) != 2 || procs["web"] == "" || procs["release"] == "" {
		t.Fatalf("Procfile %q: want a web and a release process", procfile)
	}
	return procs
}

// goCmd runs the go command in dir with a read-only module graph, which
// proves that go.mod and go.sum are complete. VCS stamping is off because
// the --force case has a stand-in .git directory.
func goCmd(t *testing.T, dir string, env []string, args ...string) {
	t.Helper()
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=readonly -buildvcs=false")
	cmd.Env = append(cmd.Env, env...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go %s in %s: %v\n%s", strings.Join(args, " "), dir, err, out)
	}
}
