package generate

import (
	"fmt"
	"io/fs"
	"maps"
	"slices"
	"strings"
)

// Feature is an optional part of an app. Every app has every feature
// unless told otherwise ("scaffold new --no-demo").
//
// A feature is this declaration plus its files: the template overlays named
// after it (see [Template]), and, where it meets other features, the
// lines of run.go.tmpl and of the text files (README, app.json, …) that
// test it. Flags, template data, the dependency tidier and the tests all
// iterate [Features], so nothing else lists them.
type Feature struct {
	// Name spells the feature in flags (--no-Name), template overlay names
	// ("demo+sessions") and .scaffold.json.
	Name string
	// Field is what templates test: [[if .Demo]].
	Field string
	// Help says what an app without the feature lacks, for --no-Name.
	Help string
	// Needs lists the features this one cannot work without.
	Needs []string
}

// Features are scaffold's optional features, in the order that help,
// errors and .scaffold.json list them.
var Features = []Feature{
	{
		Name:  "db",
		Field: "DB",
		Help:  "leave out PostgreSQL: pgx, goose migrations, the migrate command and the release phase",
	},
	{
		Name:  "demo",
		Field: "Demo",
		Help:  "leave out the task list demo: a home page to replace with your own routes",
		Needs: []string{"db"},
	},
	{
		Name:  "sessions",
		Field: "Sessions",
		Help:  "leave out server-side sessions and the log-in pages",
	},
}

// Set is a choice of features: each feature's name, true when the app
// has it. A Set for a Template names every one of its features.
type Set map[string]bool

// String lists the set as flags would: "--no-demo --no-sessions", or
// "every feature".
func (s Set) String() string {
	var out []string
	for _, name := range slices.Sorted(maps.Keys(s)) {
		if !s[name] {
			out = append(out, "--no-"+name)
		}
	}
	if len(out) == 0 {
		return "every feature"
	}
	return strings.Join(out, " ")
}

// Template is an app template: a tree of overlays and the features that
// name them.
//
// Each top-level directory of FS is an overlay. The overlay "app" is in every
// app. Any other overlay's name is a list of conditions joined by "+", each
// a feature's name or "no-" and a name, and the overlay is in the app when
// every condition holds: "sessions" with sessions, "no-demo" without the
// demo, "demo+sessions" only with both. The files of the overlays an app
// includes are merged, each at its path inside its overlay; two of them
// may not hold the same path.
type Template struct {
	FS       fs.FS
	Features []Feature
}

// baseOverlay is the overlay that every app includes.
const baseOverlay = "app"

// All returns the set with every feature.
func (t Template) All() Set {
	s := make(Set, len(t.Features))
	for _, f := range t.Features {
		s[f.Name] = true
	}
	return s
}

// Feature returns the feature called name.
func (t Template) Feature(name string) (Feature, bool) {
	i := slices.IndexFunc(t.Features, func(f Feature) bool { return f.Name == name })
	if i < 0 {
		return Feature{}, false
	}
	return t.Features[i], true
}

// Check reports, in one line that says how to fix it, a set that names an
// unknown feature, leaves one out, or has a feature without one it needs.
func (t Template) Check(s Set) error {
	for name := range s {
		if _, ok := t.Feature(name); !ok {
			return fmt.Errorf("unknown feature %q (features: %s)", name, t.names())
		}
	}
	for _, f := range t.Features {
		if _, ok := s[f.Name]; !ok {
			return fmt.Errorf("feature %q is neither on nor off", f.Name)
		}
	}
	for _, f := range t.Features {
		if !s[f.Name] {
			continue
		}
		for _, need := range f.Needs {
			if !s[need] {
				return fmt.Errorf("the %s feature needs the %s feature: add --no-%s too, or drop --no-%s", f.Name, need, f.Name, need)
			}
		}
	}
	return nil
}

// Combinations returns every set that Check accepts, the one with every
// feature first, then in order of the features left out, as a binary
// count down from all of them.
func (t Template) Combinations() []Set {
	var out []Set
	n := len(t.Features)
	for bits := (1 << n) - 1; bits >= 0; bits-- {
		s := make(Set, n)
		for i, f := range t.Features {
			s[f.Name] = bits&(1<<(n-1-i)) != 0
		}
		if t.Check(s) == nil {
			out = append(out, s)
		}
	}
	return out
}

func (t Template) names() string {
	names := make([]string, len(t.Features))
	for i, f := range t.Features {
		names[i] = f.Name
	}
	return strings.Join(names, ", ")
}

// includes reports whether an app with the features s includes overlay.
func (t Template) includes(s Set, overlay string) (bool, error) {
	if overlay == baseOverlay {
		return true, nil
	}
	in := true
	for _, cond := range strings.Split(overlay, "+") {
		name, negated := strings.CutPrefix(cond, "no-")
		if _, ok := t.Feature(name); !ok {
			return false, fmt.Errorf("template overlay %q: %q is not a feature (want %s, or no- and one of them)", overlay, cond, t.names())
		}
		if s[name] == negated {
			in = false
		}
	}
	return in, nil
}
