package cli

import (
	"io/fs"
	"os"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/echocache/scaffold"
	"github.com/echocache/scaffold/internal/generate"
)

// withThrowawayFeature returns scaffold's template with one more feature,
// "extra", added the way any feature is: one entry in the list and one
// overlay holding its file.
func withThrowawayFeature(t *testing.T) generate.Template {
	t.Helper()
	fsys := fstest.MapFS{}
	err := fs.WalkDir(scaffold.Templates(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(scaffold.Templates(), p)
		fsys[p] = &fstest.MapFile{Data: data}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	fsys["extra/EXTRA.md.tmpl"] = &fstest.MapFile{Data: []byte("# The extra part of [[.Name]]\n")}
	features := append(slices.Clone(generate.Features), generate.Feature{Name: "extra", Field: "Extra", Help: "leave out the extra part"})
	return generate.Template{FS: fsys, Features: features}
}

// TestThrowawayFeature adds a feature in the test alone and sees it in
// everything that iterates the feature list: the --no- flag and its help,
// the files written, the combinations, the conditions the dependency
// tidier writes, and the flag matrix's cases.
func TestThrowawayFeature(t *testing.T) {
	tmpl := withThrowawayFeature(t)
	run := func(t *testing.T, args ...string) string {
		t.Helper()
		var out strings.Builder
		cmd := newRootCommand(&out, &out, tmpl)
		cmd.SetArgs(args)
		if err := cmd.Execute(); err != nil {
			t.Fatalf("scaffold %s: %v", strings.Join(args, " "), err)
		}
		return out.String()
	}

	t.Run("flags", func(t *testing.T) {
		if help := run(t, "new", "--help"); !strings.Contains(help, "--no-extra") || !strings.Contains(help, "leave out the extra part") {
			t.Errorf("new --help does not offer --no-extra:\n%s", help)
		}
	})

	t.Run("output", func(t *testing.T) {
		t.Chdir(t.TempDir())
		run(t, "new", "with")
		run(t, "new", "without", "--no-extra")
		if got, err := os.ReadFile("with/EXTRA.md"); err != nil || string(got) != "# The extra part of with\n" {
			t.Errorf("with the feature, EXTRA.md = %q, %v", got, err)
		}
		if _, err := os.Stat("without/EXTRA.md"); err == nil {
			t.Error("with --no-extra, EXTRA.md was written")
		}
		manifest, err := os.ReadFile("without/" + generate.ManifestPath)
		if err != nil || !strings.Contains(string(manifest), `"extra": false`) {
			t.Errorf("the manifest does not record the feature as off: %v\n%s", err, manifest)
		}
	})

	sets := tmpl.Combinations()
	t.Run("combinations", func(t *testing.T) {
		if got, want := len(sets), 2*len(scaffold.Template().Combinations()); got != want {
			t.Errorf("%d combinations, want %d: every one of scaffold's, with and without extra", got, want)
		}
	})

	t.Run("tidy", func(t *testing.T) {
		versions := make([][]string, len(sets))
		for i, set := range sets {
			versions[i] = []string{"module [[.Module]]\n", "require (\n"}
			if set["extra"] {
				versions[i] = append(versions[i], "\texample.com/extra v1.0.0\n")
			}
			versions[i] = append(versions[i], ")\n")
		}
		got, err := tmpl.Conditional(sets, versions)
		if err != nil {
			t.Fatal(err)
		}
		want := "module [[.Module]]\nrequire (\n[[- if .Extra]]\n\texample.com/extra v1.0.0\n[[- end]]\n)\n"
		if got != want {
			t.Errorf("Conditional:\n%s\nwant:\n%s", got, want)
		}
	})

	t.Run("matrix", func(t *testing.T) {
		var withExtra, withoutExtra int
		for _, c := range matrixCases(tmpl) {
			if c.set["extra"] {
				withExtra++
			} else if slices.Contains(c.args, "--no-extra") {
				withoutExtra++
			}
		}
		if withoutExtra != len(sets)/2 {
			t.Errorf("the matrix has %d apps with --no-extra, want one per combination without it (%d)", withoutExtra, len(sets)/2)
		}
		if withExtra < len(sets)/2 {
			t.Errorf("the matrix has %d apps with extra, want at least %d", withExtra, len(sets)/2)
		}
	})
}
