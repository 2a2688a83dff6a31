// Package update decides how to bring an app that scaffold generated up
// to date: for every file, a three-way merge of what the scaffold version
// recorded in the app's .scaffold.json wrote (base), what this scaffold
// writes (theirs) and the file on disk (ours).
//
// Plan is pure: it reads the app through a function and merges through
// another, and returns what to write and remove. The caller fetches the
// base, writes the plan all or nothing, and writes the manifest last.
package update

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"slices"
	"strings"

	"golang.org/x/mod/module"

	"github.com/echocache/scaffold/internal/generate"
)

// Action is what an update does to one file.
type Action int

// The actions, in the order a summary lists them.
const (
	// Updated: the owner had not changed the file; it gets the new
	// version's content.
	Updated Action = iota
	// Merged: the owner and the new version both changed it; the changes
	// merged cleanly.
	Merged
	// Conflict: both changed the same lines; the file gets conflict
	// markers for the owner to resolve.
	Conflict
	// Added: the new version writes a file the old one did not.
	Added
	// Removed: the new version no longer writes the file (a dropped
	// feature, or a file that moved), and the owner had not changed it.
	Removed
	// Kept: the file stays as it is: unchanged by the new version, changed
	// by the owner only, or dropped by the new version after the owner
	// edited it.
	Kept
)

// String names the action as a summary does: "updated", "merged", …
func (a Action) String() string {
	switch a {
	case Updated:
		return "updated"
	case Merged:
		return "merged"
	case Conflict:
		return "conflict"
	case Added:
		return "added"
	case Removed:
		return "removed"
	case Kept:
		return "kept"
	}
	return fmt.Sprintf("Action(%d)", int(a))
}

// Change is what an update does to one file.
type Change struct {
	Path   string
	Action Action
	// Data is the file's new content, for Updated, Merged, Conflict and
	// Added.
	Data []byte
	// Mode is the file's permission bits, for the same actions.
	Mode fs.FileMode
	// Ours is the file on disk before the update; nil when there is none.
	Ours []byte
	// Note says why a file is kept when that needs the owner's attention,
	// or is empty.
	Note string
}

// Writes reports whether the change writes the file.
func (c Change) Writes() bool {
	switch c.Action {
	case Updated, Merged, Conflict, Added:
		return !bytes.Equal(c.Data, c.Ours) || c.Ours == nil
	}
	return false
}

// Inputs are what Plan works from.
type Inputs struct {
	// Manifest is the app's .scaffold.json.
	Manifest generate.Manifest
	// Base is what the version that generated the app wrote, with the
	// options the manifest records.
	Base []generate.File
	// Theirs is what this scaffold writes, with the new options; its
	// manifest is the one the update records.
	Theirs []generate.File
	// Read returns the app's file at path, or an error wrapping
	// fs.ErrNotExist when there is none.
	Read func(path string) ([]byte, error)
	// Merge merges ours and theirs, both changed from base, as git
	// merge-file does, and reports whether the result has conflict
	// markers.
	Merge func(path string, base, ours, theirs []byte) (merged []byte, conflicts bool, err error)
}

// Plan returns a change for every file that the old or the new version
// writes, sorted by path. Files that scaffold never wrote are not part of
// it: they are never touched. It fails, changing nothing, when the base is
// not what the manifest records (the wrong version was fetched) or a
// file cannot be read or merged.
func Plan(in Inputs) ([]Change, error) {
	base := byPath(in.Base)
	theirs := byPath(in.Theirs)
	if err := checkBase(in.Manifest, base); err != nil {
		return nil, err
	}
	paths := make(map[string]bool)
	for p := range base {
		paths[p] = true
	}
	for p := range theirs {
		paths[p] = true
	}
	delete(paths, generate.ManifestPath)

	var changes []Change
	for _, p := range slices.Sorted(maps.Keys(paths)) {
		ours, err := in.Read(p)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			ours = nil
		case err != nil:
			return nil, fmt.Errorf("read %s: %w", p, err)
		}
		c, err := plan(in, p, base[p], theirs[p], ours)
		if err != nil {
			return nil, err
		}
		changes = append(changes, c)
	}
	return changes, nil
}

// plan decides one file. b and t are nil when the base or theirs does not
// write it, ours when it is not on disk.
func plan(in Inputs, p string, b, t *generate.File, ours []byte) (Change, error) {
	c := Change{Path: p, Ours: ours, Action: Kept}
	if r, ok := in.Manifest.Owner(p); ok {
		// "scaffold generate resource" wrote it for the owner: it is
		// never scaffold's to change, even when a new version writes a
		// file at that path.
		if t != nil {
			c.Note = fmt.Sprintf("the %s resource's file, which is yours: scaffold now writes one there too, and leaves yours alone", r.Name)
		}
		return c, nil
	}
	recorded, wrote := in.Manifest.Files[p]
	untouched := ours != nil && wrote && generate.Hash(ours) == recorded
	switch {
	case t == nil: // the new version drops it
		switch {
		case ours == nil:
		case untouched:
			c.Action = Removed
		default:
			c.Note = "scaffold no longer writes it, and you changed it: it is yours now"
		}
	case b == nil: // the new version adds it
		switch {
		case ours == nil:
			c.Action, c.Data, c.Mode = Added, t.Data, t.Mode
		case bytes.Equal(ours, t.Data):
		default:
			merged, conflicts, err := in.Merge(p, nil, ours, t.Data)
			if err != nil {
				return Change{}, err
			}
			c.Action, c.Data, c.Mode = Conflict, merged, t.Mode
			if !conflicts {
				c.Action = Merged
			}
			c.Note = "you already had a file there"
		}
	case ours == nil:
		if !bytes.Equal(b.Data, t.Data) {
			c.Note = "you deleted it, and scaffold changed it: it stays deleted"
		}
	case untouched || bytes.Equal(ours, b.Data):
		if !bytes.Equal(ours, t.Data) {
			c.Action, c.Data, c.Mode = Updated, t.Data, t.Mode
		}
	case bytes.Equal(b.Data, t.Data) || bytes.Equal(ours, t.Data):
		// Changed by the owner alone, or both made the same change.
	case p == "go.sum":
		c.Action, c.Data, c.Mode = Merged, unionSums(ours, t.Data), t.Mode
	default:
		merged, conflicts, err := in.Merge(p, b.Data, ours, t.Data)
		if err != nil {
			return Change{}, err
		}
		c.Action, c.Data, c.Mode = Merged, merged, t.Mode
		if conflicts {
			c.Action = Conflict
		}
	}
	return c, nil
}

// checkBase makes sure the base is what generated the app: the files the
// manifest records, with the same content.
func checkBase(m generate.Manifest, base map[string]*generate.File) error {
	var differ []string
	for p, hash := range m.Files {
		if f, ok := base[p]; !ok || generate.Hash(f.Data) != hash {
			differ = append(differ, p)
		}
	}
	for p := range base {
		if _, ok := m.Files[p]; !ok && p != generate.ManifestPath {
			differ = append(differ, p)
		}
	}
	if len(differ) == 0 {
		return nil
	}
	slices.Sort(differ)
	more := ""
	if len(differ) > 3 {
		more = fmt.Sprintf(" and %d more", len(differ)-3)
		differ = differ[:3]
	}
	return fmt.Errorf("the base (scaffold %s with %s) does not write what %s records (%s%s differ): it is not what generated this app", m.Scaffold.Version, m.Features, generate.ManifestPath, strings.Join(differ, ", "), more)
}

func byPath(files []generate.File) map[string]*generate.File {
	m := make(map[string]*generate.File, len(files))
	for i := range files {
		m[files[i].Path] = &files[i]
	}
	return m
}

// unionSums merges two go.sum files: every line of either, sorted as the
// go command sorts them. A go.sum with more lines than the build needs is
// still correct, and it holds the sums of whichever versions the merged
// go.mod requires, so the app builds offline from the module cache.
func unionSums(a, b []byte) []byte {
	type sum struct {
		mod  module.Version
		line string
	}
	seen := make(map[string]bool)
	var sums []sum
	for _, line := range slices.Concat(strings.Split(string(a), "\n"), strings.Split(string(b), "\n")) {
		fields := strings.Fields(line)
		if len(fields) != 3 || seen[line] {
			continue
		}
		seen[line] = true
		sums = append(sums, sum{module.Version{Path: fields[0], Version: fields[1]}, line})
	}
	slices.SortStableFunc(sums, func(x, y sum) int {
		mods := []module.Version{x.mod, y.mod}
		module.Sort(mods)
		switch {
		case x.mod == y.mod:
			return strings.Compare(x.line, y.line)
		case mods[0] == x.mod:
			return -1
		default:
			return 1
		}
	})
	var out bytes.Buffer
	for _, s := range sums {
		out.WriteString(s.line)
		out.WriteByte('\n')
	}
	return out.Bytes()
}
