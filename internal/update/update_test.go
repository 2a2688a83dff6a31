package update

import (
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/echocache/scaffold/internal/generate"
)

// gitMerge is GitMerge for tests: they need git, which CI installs.
func gitMerge(t *testing.T) func(string, []byte, []byte, []byte) ([]byte, bool, error) {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("git is not installed; CI must install it")
		}
		t.Skip("git is not installed")
	}
	return GitMerge("yours", "old", "new")
}

// file is a test's version of one file: nil when it does not exist.
type file *string

func text(s string) file { return &s }

const (
	lines     = "one\ntwo\nthree\nfour\nfive\nsix\nseven\n"
	topNew    = "ONE\ntwo\nthree\nfour\nfive\nsix\nseven\n"
	bottomOur = "one\ntwo\nthree\nfour\nfive\nsix\nSEVEN\n"
	bothMerge = "ONE\ntwo\nthree\nfour\nfive\nsix\nSEVEN\n"
	topOur    = "uno\ntwo\nthree\nfour\nfive\nsix\nseven\n"
)

func TestPlan(t *testing.T) {
	merge := gitMerge(t)
	tests := []struct {
		name               string
		base, theirs, ours file
		action             Action
		want               string // the file's content after the update
		note               string // a substring of the change's note
	}{
		{name: "unchanged by anyone", base: text(lines), theirs: text(lines), ours: text(lines), action: Kept, want: lines},
		{name: "changed by scaffold only", base: text(lines), theirs: text(topNew), ours: text(lines), action: Updated, want: topNew},
		{name: "changed by you only", base: text(lines), theirs: text(lines), ours: text(bottomOur), action: Kept, want: bottomOur},
		{name: "the same change on both sides", base: text(lines), theirs: text(topNew), ours: text(topNew), action: Kept, want: topNew},
		{name: "changed by both, apart", base: text(lines), theirs: text(topNew), ours: text(bottomOur), action: Merged, want: bothMerge},
		{name: "changed by both, on the same line", base: text(lines), theirs: text(topNew), ours: text(topOur), action: Conflict,
			want: "<<<<<<< yours x.txt\nuno\n=======\nONE\n>>>>>>> new x.txt\ntwo\nthree\nfour\nfive\nsix\nseven\n"},
		{name: "new in this version", theirs: text(lines), action: Added, want: lines},
		{name: "new, and you have the same file", theirs: text(lines), ours: text(lines), action: Kept, want: lines},
		{name: "new, and you have another file there", theirs: text("scaffold's\n"), ours: text("yours\n"), action: Conflict,
			want: "<<<<<<< yours x.txt\nyours\n=======\nscaffold's\n>>>>>>> new x.txt\n", note: "you already had a file there"},
		{name: "dropped, unchanged by you", base: text(lines), ours: text(lines), action: Removed},
		{name: "dropped, changed by you", base: text(lines), ours: text(bottomOur), action: Kept, want: bottomOur, note: "it is yours now"},
		{name: "dropped, and deleted by you", base: text(lines), action: Kept},
		{name: "deleted by you, changed by scaffold", base: text(lines), theirs: text(topNew), action: Kept, note: "stays deleted"},
		{name: "deleted by you, unchanged by scaffold", base: text(lines), theirs: text(lines), action: Kept},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := Inputs{
				Manifest: generate.Manifest{Files: map[string]string{}},
				Read: func(p string) ([]byte, error) {
					if tt.ours == nil {
						return nil, fs.ErrNotExist
					}
					return []byte(*tt.ours), nil
				},
				Merge: merge,
			}
			if tt.base != nil {
				in.Base = []generate.File{{Path: "x.txt", Data: []byte(*tt.base), Mode: 0o644}}
				in.Manifest.Files["x.txt"] = generate.Hash([]byte(*tt.base))
			}
			if tt.theirs != nil {
				in.Theirs = []generate.File{{Path: "x.txt", Data: []byte(*tt.theirs), Mode: 0o644}}
			}
			changes, err := Plan(in)
			if err != nil {
				t.Fatal(err)
			}
			if len(changes) != 1 {
				t.Fatalf("%d changes, want 1", len(changes))
			}
			c := changes[0]
			if c.Action != tt.action {
				t.Errorf("action %v, want %v", c.Action, tt.action)
			}
			got := string(c.Ours)
			if c.Writes() {
				got = string(c.Data)
			}
			if c.Action == Removed {
				got = ""
			}
			if got != tt.want {
				t.Errorf("content after the update:\n%s\nwant:\n%s", got, tt.want)
			}
			if !strings.Contains(c.Note, tt.note) {
				t.Errorf("note %q, want it to contain %q", c.Note, tt.note)
			}
		})
	}
}

// TestPlanRefusesTheWrongBase: a base that does not write what the
// manifest records is not what generated the app, and merging from it
// would undo the owner's edits or the scaffold's changes.
func TestPlanRefusesTheWrongBase(t *testing.T) {
	in := Inputs{
		Manifest: generate.Manifest{Scaffold: generate.ModuleVersion{Version: "v1.0.0"}, Files: map[string]string{"x.txt": generate.Hash([]byte("recorded\n"))}},
		Base:     []generate.File{{Path: "x.txt", Data: []byte("something else\n")}},
		Theirs:   []generate.File{{Path: "x.txt", Data: []byte("new\n")}},
		Read:     func(string) ([]byte, error) { return []byte("recorded\n"), nil },
		Merge:    gitMerge(t),
	}
	if _, err := Plan(in); err == nil || !strings.Contains(err.Error(), "x.txt") {
		t.Errorf("got %v, want an error naming x.txt", err)
	}
}

// TestPlanReadError: a file that cannot be read stops the plan.
func TestPlanReadError(t *testing.T) {
	in := Inputs{
		Manifest: generate.Manifest{Files: map[string]string{}},
		Theirs:   []generate.File{{Path: "x.txt", Data: []byte("new\n")}},
		Read:     func(string) ([]byte, error) { return nil, errors.New("permission denied") },
		Merge:    gitMerge(t),
	}
	if _, err := Plan(in); err == nil || !strings.Contains(err.Error(), "permission denied") {
		t.Errorf("got %v, want the read error", err)
	}
}

// TestGoSumUnion: when both sides changed go.sum, the result has every
// line of each, so the merged go.mod's requirements all have their sums,
// in the go command's order.
func TestGoSumUnion(t *testing.T) {
	base := "example.com/a v1.0.0 h1:a1=\nexample.com/a v1.0.0/go.mod h1:a1m=\n"
	ours := base + "example.com/mine v1.9.0 h1:m=\nexample.com/mine v1.9.0/go.mod h1:mm=\n"
	theirs := "example.com/a v1.10.0 h1:a10=\nexample.com/a v1.10.0/go.mod h1:a10m=\n"
	in := Inputs{
		Manifest: generate.Manifest{Files: map[string]string{"go.sum": generate.Hash([]byte(base))}},
		Base:     []generate.File{{Path: "go.sum", Data: []byte(base)}},
		Theirs:   []generate.File{{Path: "go.sum", Data: []byte(theirs)}},
		Read:     func(string) ([]byte, error) { return []byte(ours), nil },
		Merge:    gitMerge(t),
	}
	changes, err := Plan(in)
	if err != nil {
		t.Fatal(err)
	}
	want := "example.com/a v1.0.0 h1:a1=\nexample.com/a v1.0.0/go.mod h1:a1m=\n" +
		"example.com/a v1.10.0 h1:a10=\nexample.com/a v1.10.0/go.mod h1:a10m=\n" +
		"example.com/mine v1.9.0 h1:m=\nexample.com/mine v1.9.0/go.mod h1:mm=\n"
	if got := string(changes[0].Data); changes[0].Action != Merged || got != want {
		t.Errorf("%v:\n%s\nwant:\n%s", changes[0].Action, got, want)
	}
}

// TestPlanKeepsResources: a file that a generated resource added is the
// owner's, even when a new version writes one at that path; run.go, which
// the resource changed by one line while keeping its recorded hash, is
// merged like any edit, so the line stays.
func TestPlanKeepsResources(t *testing.T) {
	const (
		runBase   = "func run() {\n\tsrv.ServeHome()\n\treturn serve()\n}\n"
		runOurs   = "func run() {\n\tsrv.ServeHome()\n\tsrv.ServeProducts(database)\n\treturn serve()\n}\n"
		runTheirs = "// run builds the app.\nfunc run() {\n\tsrv.ServeHome()\n\treturn serve()\n}\n"
		runMerged = "// run builds the app.\nfunc run() {\n\tsrv.ServeHome()\n\tsrv.ServeProducts(database)\n\treturn serve()\n}\n"
		resource  = "package web\n\n// the owner's products page\n"
	)
	ours := map[string]string{"run.go": runOurs, "internal/web/products.go": resource}
	in := Inputs{
		Manifest: generate.Manifest{
			Files:     map[string]string{"run.go": generate.Hash([]byte(runBase))},
			Resources: []generate.ManifestResource{{Name: "product", Plural: "products", Files: []string{"internal/web/products.go"}}},
		},
		Base: []generate.File{{Path: "run.go", Data: []byte(runBase), Mode: 0o644}},
		Theirs: []generate.File{
			{Path: "run.go", Data: []byte(runTheirs), Mode: 0o644},
			{Path: "internal/web/products.go", Data: []byte("package web\n\n// scaffold's own products.go\n"), Mode: 0o644},
		},
		Read: func(p string) ([]byte, error) {
			if s, ok := ours[p]; ok {
				return []byte(s), nil
			}
			return nil, fs.ErrNotExist
		},
		Merge: gitMerge(t),
	}
	changes, err := Plan(in)
	if err != nil {
		t.Fatal(err)
	}
	got := make(map[string]Change)
	for _, c := range changes {
		got[c.Path] = c
	}
	if c := got["internal/web/products.go"]; c.Action != Kept || c.Writes() || !strings.Contains(c.Note, "the product resource's file") {
		t.Errorf("the resource's file: %v (writes %t, note %q), want kept with a note", c.Action, c.Writes(), c.Note)
	}
	if c := got["run.go"]; c.Action != Merged || string(c.Data) != runMerged {
		t.Errorf("run.go: %v\n%s\nwant merged:\n%s", c.Action, c.Data, runMerged)
	}
}
