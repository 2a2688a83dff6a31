package cli

import (
	"fmt"
	"maps"

	"github.com/spf13/pflag"

	"github.com/echocache/scaffold/internal/generate"
)

// featureFlags are a command's flags that choose features: --no-NAME for
// each feature, and with turnOn also --NAME to add one back.
type featureFlags struct {
	tmpl generate.Template
	off  map[string]*bool
	on   map[string]*bool
}

// addFeatureFlags registers the feature flags of tmpl on flags.
func addFeatureFlags(flags *pflag.FlagSet, tmpl generate.Template, turnOn bool) *featureFlags {
	f := &featureFlags{tmpl: tmpl, off: make(map[string]*bool), on: make(map[string]*bool)}
	for _, feat := range tmpl.Features {
		f.off[feat.Name] = flags.Bool("no-"+feat.Name, false, feat.Help)
		if turnOn {
			f.on[feat.Name] = flags.Bool(feat.Name, false, "add the "+feat.Name+" feature back")
		}
	}
	return f
}

// apply returns base with the flags' changes, or a one-line error when
// the flags contradict each other or leave a feature without one it
// needs.
func (f *featureFlags) apply(base generate.Set) (generate.Set, error) {
	s := maps.Clone(base)
	for _, feat := range f.tmpl.Features {
		off, on := *f.off[feat.Name], f.on[feat.Name] != nil && *f.on[feat.Name]
		switch {
		case off && on:
			return nil, fmt.Errorf("--no-%s and --%s contradict each other: choose one", feat.Name, feat.Name)
		case off:
			s[feat.Name] = false
		case on:
			s[feat.Name] = true
		}
	}
	if err := f.tmpl.Check(s); err != nil {
		return nil, err
	}
	return s, nil
}
