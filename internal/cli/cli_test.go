package cli

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/echocache/scaffold"
	"github.com/echocache/scaffold/internal/generate"
)

// runCLI runs the scaffold command in-process with stdin closed, as in CI
// or a pipe, and returns what it printed and the error it returned.
func runCLI(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	cmd := NewRootCommand(&out, &errOut)
	stdin, perr := os.Open(os.DevNull)
	if perr != nil {
		t.Fatal(perr)
	}
	defer stdin.Close()
	cmd.SetIn(stdin)
	cmd.SetArgs(args)
	err = cmd.Execute()
	return out.String(), errOut.String(), err
}

// snapshot records every file under dir with its content.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := make(map[string]string)
	err := filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		switch {
		case info.IsDir():
			files[rel+"/"] = ""
			return nil
		case info.Mode()&os.ModeSymlink != 0:
			target, err := os.Readlink(p)
			files[rel] = "-> " + target
			return err
		}
		data, err := os.ReadFile(p)
		files[rel] = string(data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// expectedFiles returns what the generator writes for module with the
// features set, or every feature when set is nil.
func expectedFiles(t *testing.T, module string, set generate.Set) []generate.File {
	t.Helper()
	tmpl := scaffold.Template()
	if set == nil {
		set = tmpl.All()
	}
	files, err := tmpl.Generate(generate.Options{Module: module, Features: set, Version: version()})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func TestNewWritesApp(t *testing.T) {
	t.Chdir(t.TempDir())
	stdout, _, err := runCLI(t, "new", "github.com/acme/shop")
	if err != nil {
		t.Fatalf("new: %v", err)
	}
	for _, f := range expectedFiles(t, "github.com/acme/shop", nil) {
		data, err := os.ReadFile(filepath.Join("shop", f.Path))
		if err != nil {
			t.Errorf("%s: %v", f.Path, err)
			continue
		}
		if !bytes.Equal(data, f.Data) {
			t.Errorf("%s: content differs from the generator's", f.Path)
		}
	}
	for _, want := range []string{"cd shop", "go run .", "go test ./...", "heroku addons:create memcachier:dev", "heroku addons:create heroku-postgresql:essential-0", "go run . migrate", "DASHBOARD_PASSWORD"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("next steps do not mention %q:\n%s", want, stdout)
		}
	}
	if strings.Contains(stdout, "\x1b[") {
		t.Error("output contains terminal escape codes though stdout is not a terminal")
	}
	if leftovers, _ := filepath.Glob("shop/.scaffold-*"); len(leftovers) > 0 {
		t.Errorf("temporary files left behind: %v", leftovers)
	}
}

// TestNewFeatureFlags: --no-demo and --no-sessions write exactly the
// generator's files for those options, and the next steps name only the
// services and settings that app uses.
func TestNewFeatureFlags(t *testing.T) {
	tests := []struct {
		flags     []string
		set       generate.Set
		want, not []string
	}{
		{
			flags: []string{"--no-demo"},
			set:   generate.Set{"db": true, "demo": false, "sessions": true},
			want:  []string{"SESSION_SECRET", "memcachier:dev", "heroku-postgresql:essential-0", "go run . migrate"},
		},
		{
			flags: []string{"--no-sessions"},
			set:   generate.Set{"db": true, "demo": true, "sessions": false},
			want:  []string{"heroku-postgresql:essential-0", "go run . migrate"},
			not:   []string{"SESSION_SECRET"},
		},
		{
			flags: []string{"--no-demo", "--no-db"},
			set:   generate.Set{"db": false, "demo": false, "sessions": true},
			want:  []string{"SESSION_SECRET", "memcachier:dev"},
			not:   []string{"postgres", "migrate", "DATABASE_URL"},
		},
		{
			flags: []string{"--no-demo", "--no-db", "--no-sessions"},
			set:   generate.Set{"db": false, "demo": false, "sessions": false},
			want:  []string{"memcachier:dev", "git push heroku HEAD:main"},
			not:   []string{"SESSION_SECRET", "postgres", "migrate"},
		},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.flags, " "), func(t *testing.T) {
			t.Chdir(t.TempDir())
			stdout, _, err := runCLI(t, append([]string{"new", "shop"}, tt.flags...)...)
			if err != nil {
				t.Fatalf("new: %v", err)
			}
			files := expectedFiles(t, "shop", tt.set)
			var written []string
			err = filepath.WalkDir("shop", func(p string, d fs.DirEntry, err error) error {
				if err == nil && !d.IsDir() {
					written = append(written, filepath.ToSlash(strings.TrimPrefix(p, "shop"+string(filepath.Separator))))
				}
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(written) != len(files) {
				t.Errorf("wrote %d files, want the generator's %d", len(written), len(files))
			}
			for _, f := range files {
				data, err := os.ReadFile(filepath.Join("shop", f.Path))
				if err != nil || !bytes.Equal(data, f.Data) {
					t.Errorf("%s: not the generator's content (%v)", f.Path, err)
				}
			}
			for _, w := range tt.want {
				if !strings.Contains(stdout, w) {
					t.Errorf("next steps do not mention %q:\n%s", w, stdout)
				}
			}
			for _, n := range tt.not {
				if strings.Contains(stdout, n) {
					t.Errorf("next steps mention %q, which this app does not use:\n%s", n, stdout)
				}
			}
		})
	}
}

func TestNewIntoEmptyDirectory(t *testing.T) {
	t.Chdir(t.TempDir())
	if err := os.Mkdir("shop", 0o755); err != nil {
		t.Fatal(err)
	}
	if _, _, err := runCLI(t, "new", "shop"); err != nil {
		t.Fatalf("new into an empty directory: %v", err)
	}
	if _, err := os.Stat("shop/go.mod"); err != nil {
		t.Error(err)
	}
}

func TestNewCreatesMissingParents(t *testing.T) {
	t.Chdir(t.TempDir())
	if _, _, err := runCLI(t, "new", "./apps/my web/shop", "--module", "github.com/acme/shop"); err != nil {
		t.Fatalf("new: %v", err)
	}
	data, err := os.ReadFile("apps/my web/shop/go.mod")
	if err != nil || !strings.Contains(string(data), "module github.com/acme/shop\n") {
		t.Errorf("go.mod: %v %q", err, data)
	}
}

func TestDryRunWritesNothing(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	stdout, _, err := runCLI(t, "new", "github.com/acme/shop", "--dry-run")
	if err != nil {
		t.Fatalf("new --dry-run: %v", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("--dry-run wrote %d entries", len(entries))
	}
	files := expectedFiles(t, "github.com/acme/shop", nil)
	for _, f := range files {
		if !strings.Contains(stdout, filepath.Join("shop", filepath.FromSlash(f.Path))+"\n") {
			t.Errorf("--dry-run does not list %s", f.Path)
		}
	}
	if !strings.Contains(stdout, "nothing was written") {
		t.Errorf("--dry-run does not say that nothing was written:\n%s", stdout)
	}
}

func TestNonEmptyDirectoryRefused(t *testing.T) {
	t.Chdir(t.TempDir())
	if err := os.MkdirAll("shop", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile("shop/notes.txt", []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, "shop")
	for _, args := range [][]string{{"new", "shop"}, {"new", "shop", "--dry-run"}} {
		_, _, err := runCLI(t, args...)
		if err == nil || !strings.Contains(err.Error(), "not empty") || !strings.Contains(err.Error(), "--force") {
			t.Errorf("%v: got %v, want a not-empty error suggesting --force", args, err)
		}
	}
	if after := snapshot(t, "shop"); !equalMaps(before, after) {
		t.Errorf("a refused run changed the directory: %v → %v", before, after)
	}
}

func TestForceKeepsOtherFiles(t *testing.T) {
	t.Chdir(t.TempDir())
	mustWrite(t, "shop/notes.txt", "mine")
	mustWrite(t, "shop/README.md", "old readme")
	mustWrite(t, "shop/.git/HEAD", "ref: refs/heads/main\n")
	if _, _, err := runCLI(t, "new", "shop", "--force"); err != nil {
		t.Fatalf("new --force: %v", err)
	}
	for p, want := range map[string]string{"shop/notes.txt": "mine", "shop/.git/HEAD": "ref: refs/heads/main\n"} {
		if got, _ := os.ReadFile(p); string(got) != want {
			t.Errorf("%s = %q, want it kept as %q", p, got, want)
		}
	}
	if got, _ := os.ReadFile("shop/README.md"); string(got) == "old readme" {
		t.Error("README.md was not replaced by --force")
	}
}

func TestForceRefusesConflicts(t *testing.T) {
	tests := map[string]func(t *testing.T){
		"directory where a file goes": func(t *testing.T) { mustWrite(t, "shop/main.go/keep", "x") },
		"file where a directory goes": func(t *testing.T) { mustWrite(t, "shop/internal", "x") },
		"symbolic link": func(t *testing.T) {
			mustWrite(t, "elsewhere/x", "x")
			if err := os.Symlink("../elsewhere", "shop/internal"); err != nil {
				t.Fatal(err)
			}
		},
	}
	for name, setup := range tests {
		t.Run(name, func(t *testing.T) {
			t.Chdir(t.TempDir())
			mustWrite(t, "shop/notes.txt", "mine")
			setup(t)
			before := snapshot(t, ".")
			_, _, err := runCLI(t, "new", "shop", "--force")
			if err == nil {
				t.Fatal("new --force succeeded, want an error")
			}
			if after := snapshot(t, "."); !equalMaps(before, after) {
				t.Errorf("a refused run changed the tree")
			}
		})
	}
}

// TestFailureMidwayRollsBack makes the third write fail and checks that the
// first two are undone: new files removed, replaced files restored.
func TestFailureMidwayRollsBack(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "shop")
	mustWrite(t, filepath.Join(dir, "keep.txt"), "mine")
	mustWrite(t, filepath.Join(dir, "replaced.txt"), "original")
	before := snapshot(t, dir)
	files := []generate.File{
		{Path: "replaced.txt", Data: []byte("new"), Mode: 0o644},
		{Path: "internal/new.txt", Data: []byte("new"), Mode: 0o644},
		{Path: "internal/new.txt/child", Data: []byte("cannot exist"), Mode: 0o644},
	}
	err := writeFiles(context.Background(), dir, files)
	if err == nil {
		t.Fatal("writeFiles succeeded, want an error")
	}
	if !strings.Contains(err.Error(), "nothing was left behind") {
		t.Errorf("error %q does not say the run was undone", err)
	}
	if after := snapshot(t, dir); !equalMaps(before, after) {
		t.Errorf("rollback incomplete:\nbefore %v\nafter  %v", before, after)
	}
}

func TestFailureInNewDirectoryRemovesIt(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "a", "shop")
	files := []generate.File{
		{Path: "x.txt", Data: []byte("x"), Mode: 0o644},
		{Path: "x.txt/y", Data: []byte("y"), Mode: 0o644},
	}
	if err := writeFiles(context.Background(), dir, files); err == nil {
		t.Fatal("writeFiles succeeded, want an error")
	}
	if entries, _ := os.ReadDir(parent); len(entries) != 0 {
		t.Errorf("left %d entries in the parent directory", len(entries))
	}
}

func TestBadInput(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no name", []string{"new"}, "exactly one NAME"},
		{"two names", []string{"new", "a", "b"}, "exactly one NAME"},
		{"empty name", []string{"new", ""}, "app name is empty"},
		{"space", []string{"new", "my shop"}, "white space"},
		{"reserved", []string{"new", "con"}, "Windows"},
		{"bad module", []string{"new", "shop", "--module", "github.com/acme/shop!"}, "not a valid Go module path"},
		{"v1 suffix", []string{"new", "github.com/acme/shop/v1"}, "major-version suffix"},
		{"unknown flag", []string{"new", "shop", "--frobnicate"}, "unknown flag"},
		{"file in the way", []string{"new", "./taken"}, "not a directory"},
		{"leading dot", []string{"new", ".hidden"}, "starts with a dot"},
		{"standard library name", []string{"new", "std"}, "standard library"},
		{"unexpanded home", []string{"new", "~/shop"}, "'~'"},
		{"parent is a file", []string{"new", "./taken/shop"}, "not a directory"},
		{"demo without its database", []string{"new", "shop", "--no-db"}, "the demo feature needs the db feature: add --no-demo too"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			t.Chdir(dir)
			mustWrite(t, "taken", "x")
			before := snapshot(t, dir)
			stdout, _, err := runCLI(t, tt.args...)
			if err == nil {
				t.Fatalf("%v succeeded, want an error containing %q", tt.args, tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %q, want it to contain %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error %q spans lines, want one", err)
			}
			if stdout != "" {
				t.Errorf("printed %q on stdout for a failed run", stdout)
			}
			if after := snapshot(t, dir); !equalMaps(before, after) {
				t.Errorf("a failed run changed the directory")
			}
		})
	}
}

func TestVersionAndHelp(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"version"}, "scaffold "},
		{[]string{"--version"}, "scaffold "},
		{[]string{"--help"}, "scaffold new"},
		{[]string{"new", "--help"}, "--dry-run"},
		{[]string{"completion", "bash"}, "bash completion"},
	} {
		stdout, _, err := runCLI(t, tt.args...)
		if err != nil {
			t.Errorf("%v: %v", tt.args, err)
		}
		if !strings.Contains(stdout, tt.want) {
			t.Errorf("%v: output does not contain %q:\n%s", tt.args, tt.want, stdout)
		}
	}
}

func mustWrite(t *testing.T, p, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}
