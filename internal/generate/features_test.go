package generate_test

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/echocache/scaffold"
	"github.com/echocache/scaffold/internal/generate"
)

func TestCheck(t *testing.T) {
	tmpl := scaffold.Template()
	tests := []struct {
		set  generate.Set
		want string // a substring of the error; empty for none
	}{
		{generate.Set{"db": true, "demo": true, "sessions": true}, ""},
		{generate.Set{"db": true, "demo": false, "sessions": false}, ""},
		{generate.Set{"db": false, "demo": false, "sessions": false}, ""},
		{generate.Set{"db": false, "demo": true, "sessions": true}, "the demo feature needs the db feature: add --no-demo too, or drop --no-db"},
		{generate.Set{"db": true, "demo": true}, `feature "sessions" is neither on nor off`},
		{generate.Set{"db": true, "demo": true, "sessions": true, "admin": true}, `unknown feature "admin"`},
	}
	for _, tt := range tests {
		err := tmpl.Check(tt.set)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("Check(%v) = %v, want nil", tt.set, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("Check(%v) = %v, want an error containing %q", tt.set, err, tt.want)
		}
	}
}

func TestCombinations(t *testing.T) {
	var got []string
	for _, set := range scaffold.Template().Combinations() {
		got = append(got, set.String())
	}
	want := []string{
		"every feature",
		"--no-sessions",
		"--no-demo",
		"--no-demo --no-sessions",
		"--no-db --no-demo",
		"--no-db --no-demo --no-sessions",
	}
	if strings.Join(got, "; ") != strings.Join(want, "; ") {
		t.Errorf("Combinations = %q, want %q", got, want)
	}
}

// TestConditional: each line that only some combinations need gets the
// simplest condition that selects exactly those.
func TestConditional(t *testing.T) {
	tmpl := scaffold.Template()
	sets := tmpl.Combinations()
	tests := []struct {
		name string
		has  func(generate.Set) bool
		want string // the condition; empty for a line every combination has
	}{
		{"every app", func(generate.Set) bool { return true }, ""},
		{"the database", func(s generate.Set) bool { return s["db"] }, ".DB"},
		{"the demo", func(s generate.Set) bool { return s["demo"] }, ".Demo"},
		{"sessions", func(s generate.Set) bool { return s["sessions"] }, ".Sessions"},
		{"demo and sessions", func(s generate.Set) bool { return s["demo"] && s["sessions"] }, "and .Demo .Sessions"},
		{"database or sessions", func(s generate.Set) bool { return s["db"] || s["sessions"] }, "or .DB .Sessions"},
		{"sessions, or no demo", func(s generate.Set) bool { return s["sessions"] || !s["demo"] }, "or (not .Demo) .Sessions"},
		{"the database, with sessions or without the demo", func(s generate.Set) bool { return s["db"] && (s["sessions"] || !s["demo"]) }, "or (and .DB (not .Demo)) (and .DB .Sessions)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			versions := make([][]string, len(sets))
			for i, set := range sets {
				versions[i] = []string{"first\n"}
				if tt.has(set) {
					versions[i] = append(versions[i], "line\n")
				}
				versions[i] = append(versions[i], "last\n")
			}
			got, err := tmpl.Conditional(sets, versions)
			if err != nil {
				t.Fatal(err)
			}
			want := "first\nline\nlast\n"
			if tt.want != "" {
				want = "first\n[[- if " + tt.want + "]]\nline\n[[- end]]\nlast\n"
			}
			if got != want {
				t.Errorf("got\n%s\nwant\n%s", got, want)
			}
			// The template gives each combination its own version back.
			for i, set := range sets {
				files, err := generate.Template{FS: mapFS("app/f.txt.tmpl", got), Features: tmpl.Features}.Generate(generate.Options{Module: "m", Features: set})
				if err != nil {
					t.Fatal(err)
				}
				if text := string(files[1].Data); text != strings.Join(versions[i], "") {
					t.Errorf("%s renders %q, want %q", set, text, strings.Join(versions[i], ""))
				}
			}
		})
	}
	t.Run("a line the full app lacks", func(t *testing.T) {
		versions := make([][]string, len(sets))
		for i := range sets {
			versions[i] = []string{"first\n"}
		}
		versions[2] = append(versions[2], "only here\n")
		if _, err := tmpl.Conditional(sets, versions); err == nil {
			t.Error("Conditional succeeded, want an error naming the line")
		}
	})
}

func mapFS(name, content string) fstest.MapFS {
	return fstest.MapFS{name: {Data: []byte(content)}}
}
