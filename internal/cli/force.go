package cli

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/echocache/scaffold/internal/generate"
)

// forcePlan is what a run of "new" does to the files already in its
// directory: the ones it replaces and the ones it removes.
type forcePlan struct {
	// replaced lists the files that the run writes over, sorted.
	replaced []string
	// edited marks the replaced files that differ from what scaffold
	// wrote, per .scaffold.json, or that it never wrote.
	edited map[string]bool
	// removed lists files that an earlier run wrote for a feature these
	// options leave out, unchanged since: the run removes them.
	removed []string
}

// planForce finds what writing files into dir replaces and removes. A
// .scaffold.json in dir tells which files scaffold wrote and what they
// held: a file it lists that these options do not write is removed when
// it is unchanged, and stops the run, named, when it was edited. Without
// one, the run stops when dir holds any file that scaffold writes only
// for other features, since it cannot tell whether it was edited: left
// in place, such files would not build without their feature.
func planForce(dir string, tmpl generate.Template, opts generate.Options, files []generate.File) (forcePlan, error) {
	plan := forcePlan{edited: make(map[string]bool)}
	writes := make(map[string]bool, len(files))
	for _, f := range files {
		writes[f.Path] = true
		if _, err := os.Lstat(filepath.Join(dir, filepath.FromSlash(f.Path))); err == nil {
			plan.replaced = append(plan.replaced, f.Path)
		}
	}
	if len(plan.replaced) == 0 {
		return plan, nil // a new or empty directory
	}

	manifestFile := filepath.Join(dir, generate.ManifestPath)
	data, err := os.ReadFile(manifestFile)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return plan, checkNoOtherFeatures(dir, tmpl, opts, writes)
	case err != nil:
		return forcePlan{}, fmt.Errorf("cannot read %s: %w", manifestFile, unwrapPath(err))
	}
	manifest, err := generate.ReadManifest(data)
	if err != nil {
		return forcePlan{}, fmt.Errorf("%s is not a scaffold manifest (%v): fix it, or move it away to have --force treat the directory as if scaffold had never written it", manifestFile, err)
	}
	for _, p := range plan.replaced {
		if p == generate.ManifestPath {
			continue
		}
		hash, ok := manifest.Files[p]
		if !ok || !sameHash(filepath.Join(dir, filepath.FromSlash(p)), hash) {
			plan.edited[p] = true
		}
	}
	var kept []string
	for _, p := range sortedKeys(manifest.Files) {
		if writes[p] {
			continue
		}
		full := filepath.Join(dir, filepath.FromSlash(p))
		info, err := os.Lstat(full)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			continue
		case err != nil:
			return forcePlan{}, fmt.Errorf("cannot use %s: %w", full, unwrapPath(err))
		case !info.Mode().IsRegular() || !sameHash(full, manifest.Files[p]):
			kept = append(kept, p)
		default:
			plan.removed = append(plan.removed, p)
		}
	}
	if len(kept) > 0 {
		return forcePlan{}, fmt.Errorf("%s: scaffold wrote %s for options this app no longer has, and %s been edited since: move %s away or undo the edits, then run again (nothing was written)",
			dir, listPaths(kept), plural(len(kept), "it has", "they have"), plural(len(kept), "it", "them"))
	}
	return plan, nil
}

// checkNoOtherFeatures refuses a directory without a manifest that holds
// files that scaffold writes only for features these options leave out.
func checkNoOtherFeatures(dir string, tmpl generate.Template, opts generate.Options, writes map[string]bool) error {
	others := make(map[string]bool)
	for _, set := range tmpl.Combinations() {
		paths, err := tmpl.Paths(set)
		if err != nil {
			return fmt.Errorf("render templates: %w", err)
		}
		for _, p := range paths {
			if !writes[p] {
				others[p] = true
			}
		}
	}
	var found []string
	for _, p := range sortedKeys(others) {
		if _, err := os.Lstat(filepath.Join(dir, filepath.FromSlash(p))); err == nil {
			found = append(found, p)
		}
	}
	if len(found) == 0 {
		return nil
	}
	return fmt.Errorf("%s holds %s, which scaffold writes only for features that %s leaves out, and it has no %s to tell whether you edited %s: remove %s yourself, or keep those features (nothing was written)",
		dir, listPaths(found), opts.Features, generate.ManifestPath, plural(len(found), "it", "them"), plural(len(found), "it", "them"))
}

// print names every file the plan replaces or removes, one a line.
func (p forcePlan) print(w io.Writer, dir string, dryRun bool) {
	replace, remove := "replaced", "removed"
	if dryRun {
		replace, remove = "would replace", "would remove"
	}
	for _, f := range p.replaced {
		note := ""
		if p.edited[f] && f != generate.ManifestPath {
			note = " (it differed from what scaffold wrote)"
		}
		fmt.Fprintf(w, "%s %s%s\n", replace, filepath.Join(dir, filepath.FromSlash(f)), note)
	}
	for _, f := range p.removed {
		fmt.Fprintf(w, "%s %s (written for a feature this app leaves out, unchanged since)\n", remove, filepath.Join(dir, filepath.FromSlash(f)))
	}
	if len(p.replaced)+len(p.removed) > 0 && !dryRun {
		fmt.Fprintln(w)
	}
}

// sameHash reports whether the file at p has the manifest hash want.
func sameHash(p, want string) bool {
	data, err := os.ReadFile(p)
	return err == nil && generate.Hash(data) == want
}

// listPaths names paths for a one-line error: all of them up to five,
// then the first five and how many more.
func listPaths(paths []string) string {
	const most = 5
	if len(paths) <= most {
		return strings.Join(paths, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(paths[:most], ", "), len(paths)-most)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
