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
}

// ModuleVersion is a Go module at a version.
type ModuleVersion struct {
	Path    string `json:"path"`
	Version string `json:"version"`
}

// NewManifest returns the manifest of an app generated with opts as files.
func NewManifest(opts Options, files []File) Manifest {
	m := Manifest{
		Scaffold: ModuleVersion{Path: ScaffoldModule, Version: opts.Version},
		Module:   opts.Module,
		Name:     opts.Name(),
		Features: opts.Features,
		Files:    make(map[string]string, len(files)),
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
		if p == "" || path.IsAbs(p) || path.Clean(p) != p || strings.HasPrefix(p, "../") || p == ".." || strings.Contains(p, `\`) {
			problems = append(problems, fmt.Sprintf("file path %q is not a clean relative path", p))
		}
		if !strings.HasPrefix(h, "sha256:") || len(h) != len("sha256:")+2*sha256.Size {
			problems = append(problems, fmt.Sprintf("file %q has hash %q, want sha256: and 64 hex digits", p, h))
		}
	}
	if len(problems) > 0 {
		return Manifest{}, errors.New(strings.Join(problems, "; "))
	}
	return m, nil
}
