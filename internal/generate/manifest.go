package generate

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"
)

// ManifestPath is the file, at the root of every app, in which scaffold
// records what it generated.
const ManifestPath = ".scaffold.json"

// ScaffoldModule is scaffold's module path. A manifest names it with the
// version that wrote the app, so that a later scaffold can fetch that
// version's templates the way the go command fetches any module.
const ScaffoldModule = "github.com/echocache/scaffold"

// Manifest is what .scaffold.json holds: which scaffold generated the app,
// with which options, and the content hash of every file it wrote. It is
// how scaffold tells its own unchanged files from the owner's edits.
type Manifest struct {
	// Scaffold is the module and version of the scaffold that wrote the
	// app.
	Scaffold ModuleVersion `json:"scaffold"`
	// Module is the app's module path, and Name its name.
	Module string `json:"module"`
	Name   string `json:"name"`
	// Features are the app's optional parts, each on or off.
	Features Set `json:"features"`
	// Files maps the path of every file scaffold wrote, but the manifest
	// itself, to the hash of what it wrote (see Hash).
	Files map[string]string `json:"files"`
	// Resources are the resources that "scaffold generate resource" added,
	// in the order it added them.
	Resources []ManifestResource `json:"resources,omitempty"`
}

// ManifestResource records a resource that "scaffold generate resource"
// added. Its files are the owner's from then on: update never writes or
// removes them. The files it changed, run.go (one line) and README.md (a
// section), keep the hash of what scaffold first wrote, so that update
// merges its own changes to them with the resource's, like any edit.
type ManifestResource struct {
	// Name and Plural are the resource's names: "product", "products".
	Name   string `json:"name"`
	Plural string `json:"plural"`
	// Fields are the fields as they were typed: "price:int",
	// "notes:text:optional".
	Fields []string `json:"fields"`
	// Files are the files it added.
	Files []string `json:"files"`
	// Line is the line it added to run.go.
	Line string `json:"line"`
}

// ModuleVersion is a Go module at a version.
type ModuleVersion struct {
	Path    string `json:"path"`
	Version string `json:"version"`
}

// NewManifest returns the manifest of an app generated with opts as files.
func NewManifest(opts Options, files []File) Manifest {
	m := Manifest{
		Scaffold:  ModuleVersion{Path: ScaffoldModule, Version: opts.Version},
		Module:    opts.Module,
		Name:      opts.Name(),
		Features:  opts.Features,
		Files:     make(map[string]string, len(files)),
		Resources: opts.Resources,
	}
	for _, f := range files {
		if f.Path != ManifestPath {
			m.Files[f.Path] = Hash(f.Data)
		}
	}
	return m
}

// Hash is the content hash a manifest records: "sha256:" and the hex
// SHA-256 of data.
func Hash(data []byte) string {
	sum := sha256.Sum256(data)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// Encode returns the manifest as indented JSON with a final newline. Map
// keys are sorted, so the same manifest always gives the same bytes.
func (m Manifest) Encode() ([]byte, error) {
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode %s: %w", ManifestPath, err)
	}
	return append(data, '\n'), nil
}

// ReadManifest parses and checks the content of a .scaffold.json. Fields
// it does not know are ignored, so an older scaffold can read what a
// newer one wrote.
func ReadManifest(data []byte) (Manifest, error) {
	var m Manifest
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&m); err != nil {
		return Manifest{}, fmt.Errorf("not valid JSON: %w", err)
	}
	var problems []string
	if m.Scaffold.Path == "" {
		problems = append(problems, `no "scaffold" module`)
	}
	if m.Module == "" {
		problems = append(problems, `no "module"`)
	}
	for _, p := range slices.Sorted(maps.Keys(m.Files)) {
		h := m.Files[p]
		if !cleanPath(p) {
			problems = append(problems, fmt.Sprintf("file path %q is not a clean relative path", p))
		}
		if !strings.HasPrefix(h, "sha256:") || len(h) != len("sha256:")+2*sha256.Size {
			problems = append(problems, fmt.Sprintf("file %q has hash %q, want sha256: and 64 hex digits", p, h))
		}
	}
	for _, r := range m.Resources {
		if r.Name == "" || r.Plural == "" {
			problems = append(problems, "a resource without a name or plural")
		}
		for _, p := range r.Files {
			if !cleanPath(p) {
				problems = append(problems, fmt.Sprintf("resource %s: file path %q is not a clean relative path", r.Name, p))
			}
		}
	}
	if len(problems) > 0 {
		return Manifest{}, errors.New(strings.Join(problems, "; "))
	}
	return m, nil
}

// cleanPath reports whether p is a clean, slash-separated path inside the
// app.
func cleanPath(p string) bool {
	return p != "" && !path.IsAbs(p) && path.Clean(p) == p && !strings.HasPrefix(p, "../") && p != ".." && !strings.Contains(p, `\`)
}

// Owner returns the resource that added the file p, if one did.
func (m Manifest) Owner(p string) (ManifestResource, bool) {
	for _, r := range m.Resources {
		if slices.Contains(r.Files, p) {
			return r, true
		}
	}
	return ManifestResource{}, false
}
