package cli

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/echocache/scaffold"
	"github.com/echocache/scaffold/internal/generate"
)

// flagsFor returns the --no- flags that choose set.
func flagsFor(set generate.Set) []string {
	var flags []string
	for _, f := range scaffold.Template().Features {
		if !set[f.Name] {
			flags = append(flags, "--no-"+f.Name)
		}
	}
	return flags
}

// appTree returns every file under dir, relative and slash-separated,
// with its content.
func appTree(t *testing.T, dir string) map[string]string {
	t.Helper()
	tree := make(map[string]string)
	for p, content := range snapshot(t, dir) {
		if !strings.HasSuffix(p, "/") {
			tree[filepath.ToSlash(p)] = content
		}
	}
	return tree
}

// TestForceChangesOptions runs "new --force" over an app generated with
// each combination of features, with each other combination: the result
// is exactly a fresh app with the new options (which the flag matrix
// builds and tests) plus the owner's own files, the files of dropped
// features are removed and named, and every replaced file is named.
func TestForceChangesOptions(t *testing.T) {
	sets := scaffold.Template().Combinations()
	for _, from := range sets {
		for _, to := range sets {
			t.Run(from.String()+" → "+to.String(), func(t *testing.T) {
				t.Chdir(t.TempDir())
				if _, _, err := runCLI(t, append([]string{"new", "shop"}, flagsFor(from)...)...); err != nil {
					t.Fatal(err)
				}
				mustWrite(t, "shop/NOTES.md", "mine")
				before := appTree(t, "shop")
				stdout, _, err := runCLI(t, append([]string{"new", "shop", "--force"}, flagsFor(to)...)...)
				if err != nil {
					t.Fatalf("new --force: %v", err)
				}

				want := map[string]string{"NOTES.md": "mine"}
				for _, f := range expectedFiles(t, "shop", to) {
					want[f.Path] = string(f.Data)
				}
				got := appTree(t, "shop")
				for p, content := range want {
					if got[p] != content {
						t.Errorf("%s: not the new app's content", p)
					}
				}
				for p := range got {
					if _, ok := want[p]; !ok {
						t.Errorf("%s is left over from the old options", p)
					}
				}
				for p := range before {
					_, kept := want[p]
					switch {
					case p == "NOTES.md":
					case kept && !strings.Contains(stdout, "replaced "+filepath.Join("shop", filepath.FromSlash(p))+"\n"):
						t.Errorf("the output does not name the replaced %s", p)
					case !kept && !strings.Contains(stdout, "removed "+filepath.Join("shop", filepath.FromSlash(p))+" "):
						t.Errorf("the output does not name the removed %s", p)
					}
				}
				if dirs, _ := filepath.Glob("shop/internal/*"); from["demo"] && !to["demo"] && slices.Contains(dirs, filepath.Join("shop", "internal", "tasks")) {
					t.Error("internal/tasks is left behind as an empty directory")
				}
			})
		}
	}
}

// TestForceStopsOnEditedFileOfDroppedFeature: a file of a feature the new
// options leave out that the owner edited stops the run, named, before
// anything is written.
func TestForceStopsOnEditedFileOfDroppedFeature(t *testing.T) {
	t.Chdir(t.TempDir())
	if _, _, err := runCLI(t, "new", "shop"); err != nil {
		t.Fatal(err)
	}
	mustWrite(t, "shop/internal/tasks/tasks.go", "package tasks // mine now\n")
	before := snapshot(t, "shop")
	_, _, err := runCLI(t, "new", "shop", "--force", "--no-demo")
	if err == nil || !strings.Contains(err.Error(), "internal/tasks/tasks.go") || strings.Contains(err.Error(), "\n") {
		t.Fatalf("got %v, want one line naming internal/tasks/tasks.go", err)
	}
	if after := snapshot(t, "shop"); !equalMaps(before, after) {
		t.Error("a refused run changed the directory")
	}
}

// TestForceWithoutManifest: without .scaffold.json, --force cannot tell
// the owner's edits, so files of a left-out feature stop it; with none
// there, it writes as before.
func TestForceWithoutManifest(t *testing.T) {
	t.Chdir(t.TempDir())
	if _, _, err := runCLI(t, "new", "shop"); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join("shop", generate.ManifestPath)); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, "shop")
	_, _, err := runCLI(t, "new", "shop", "--force", "--no-sessions")
	if err == nil || !strings.Contains(err.Error(), "internal/session/") || !strings.Contains(err.Error(), generate.ManifestPath) {
		t.Fatalf("got %v, want an error naming the session files and the missing manifest", err)
	}
	if after := snapshot(t, "shop"); !equalMaps(before, after) {
		t.Error("a refused run changed the directory")
	}
	if _, _, err := runCLI(t, "new", "shop", "--force"); err != nil {
		t.Errorf("--force with the same options and no manifest: %v", err)
	}
}

// TestForceNamesEditedFiles: a replaced file that differs from what
// scaffold wrote is named as such.
func TestForceNamesEditedFiles(t *testing.T) {
	t.Chdir(t.TempDir())
	if _, _, err := runCLI(t, "new", "shop"); err != nil {
		t.Fatal(err)
	}
	mustWrite(t, "shop/main.go", "package main // edited\n")
	stdout, _, err := runCLI(t, "new", "shop", "--force")
	if err != nil {
		t.Fatal(err)
	}
	if want := "replaced " + filepath.Join("shop", "main.go") + " (it differed from what scaffold wrote)"; !strings.Contains(stdout, want) {
		t.Errorf("output does not say %q:\n%s", want, stdout)
	}
	if want := "replaced " + filepath.Join("shop", "run.go") + "\n"; !strings.Contains(stdout, want) {
		t.Errorf("output does not say %q:\n%s", want, stdout)
	}
}

// TestForceDryRun lists what --force would replace and remove, and
// changes nothing.
func TestForceDryRun(t *testing.T) {
	t.Chdir(t.TempDir())
	if _, _, err := runCLI(t, "new", "shop"); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, "shop")
	stdout, _, err := runCLI(t, "new", "shop", "--force", "--no-sessions", "--dry-run")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"would replace " + filepath.Join("shop", "run.go"),
		"would remove " + filepath.Join("shop", "internal", "session", "session.go"),
		"nothing was written",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("--dry-run output lacks %q", want)
		}
	}
	if after := snapshot(t, "shop"); !equalMaps(before, after) {
		t.Error("--dry-run changed the directory")
	}
}

// TestForceBadManifest: a .scaffold.json that is not one is named, and
// nothing is written.
func TestForceBadManifest(t *testing.T) {
	t.Chdir(t.TempDir())
	mustWrite(t, "shop/main.go", "package main\n")
	mustWrite(t, "shop/"+generate.ManifestPath, "{not json")
	_, _, err := runCLI(t, "new", "shop", "--force")
	if err == nil || !strings.Contains(err.Error(), generate.ManifestPath) || strings.Contains(err.Error(), "\n") {
		t.Fatalf("got %v, want one line naming the manifest", err)
	}
	if got, _ := os.ReadFile("shop/main.go"); string(got) != "package main\n" {
		t.Error("main.go was changed")
	}
}
