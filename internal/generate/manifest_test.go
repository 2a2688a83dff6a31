package generate_test

import (
	"bytes"
	"maps"
	"reflect"
	"strings"
	"testing"

	"github.com/echocache/scaffold"
	"github.com/echocache/scaffold/internal/generate"
)

// TestManifest: the manifest written with an app names the scaffold
// version, the module, the features and the hash of every other file,
// and reads back as written.
func TestManifest(t *testing.T) {
	tmpl := scaffold.Template()
	set := tmpl.Combinations()[1]
	files, err := tmpl.Generate(generate.Options{Module: "github.com/acme/shop/v2", Features: set, Version: "v1.2.3"})
	if err != nil {
		t.Fatal(err)
	}
	var data []byte
	hashes := make(map[string]string)
	for _, f := range files {
		if f.Path == generate.ManifestPath {
			data = f.Data
		} else {
			hashes[f.Path] = generate.Hash(f.Data)
		}
	}
	m, err := generate.ReadManifest(data)
	if err != nil {
		t.Fatalf("ReadManifest: %v\n%s", err, data)
	}
	want := generate.Manifest{
		Scaffold: generate.ModuleVersion{Path: generate.ScaffoldModule, Version: "v1.2.3"},
		Module:   "github.com/acme/shop/v2",
		Name:     "shop",
		Features: set,
		Files:    hashes,
	}
	if m.Scaffold != want.Scaffold || m.Module != want.Module || m.Name != want.Name || !maps.Equal(m.Features, want.Features) || !maps.Equal(m.Files, want.Files) {
		t.Errorf("manifest = %+v, want %+v", m, want)
	}
	again, err := m.Encode()
	if err != nil || !bytes.Equal(again, data) {
		t.Errorf("encoding the manifest read back gives different bytes (%v)", err)
	}
}

func TestReadManifestErrors(t *testing.T) {
	const hash = `"sha256:0000000000000000000000000000000000000000000000000000000000000000"`
	tests := map[string]struct{ data, want string }{
		"not JSON":                {`{"module":`, "not valid JSON"},
		"no module":               {`{"scaffold":{"path":"x","version":"v1"}}`, `no "module"`},
		"no scaffold":             {`{"module":"shop"}`, `no "scaffold"`},
		"path outside":            {`{"scaffold":{"path":"x"},"module":"shop","files":{"../x":` + hash + `}}`, "not a clean relative path"},
		"absolute path":           {`{"scaffold":{"path":"x"},"module":"shop","files":{"/etc/x":` + hash + `}}`, "not a clean relative path"},
		"bad hash":                {`{"scaffold":{"path":"x"},"module":"shop","files":{"a.go":"md5:00"}}`, "want sha256:"},
		"resource file outside":   {`{"scaffold":{"path":"x"},"module":"shop","resources":[{"name":"product","plural":"products","files":["../x.go"]}]}`, "resource product: file path \"../x.go\" is not a clean relative path"},
		"resource without a name": {`{"scaffold":{"path":"x"},"module":"shop","resources":[{"plural":"products"}]}`, "a resource without a name or plural"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := generate.ReadManifest([]byte(tt.data))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
	if _, err := generate.ReadManifest([]byte(`{"scaffold":{"path":"x","version":"v9"},"module":"shop","recipes":[{"name":"soup"}]}`)); err != nil {
		t.Errorf("a field this version does not know: %v, want it ignored", err)
	}
}

// TestManifestResources: the resources a manifest records are read back
// as they were written, and Owner finds the resource that wrote a file.
func TestManifestResources(t *testing.T) {
	m := generate.Manifest{
		Scaffold: generate.ModuleVersion{Path: generate.ScaffoldModule, Version: "v1.2.3"},
		Module:   "shop",
		Resources: []generate.ManifestResource{{
			Name: "product", Plural: "products", Fields: []string{"name:string", "price:int:optional"},
			Files: []string{"internal/products/products.go", "internal/web/products.go"},
			Line:  "srv.ServeProducts(database)",
		}},
	}
	data, err := m.Encode()
	if err != nil {
		t.Fatal(err)
	}
	got, err := generate.ReadManifest(data)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Resources, m.Resources) {
		t.Errorf("resources read back: %+v, want %+v", got.Resources, m.Resources)
	}
	if r, ok := got.Owner("internal/web/products.go"); !ok || r.Name != "product" {
		t.Errorf("Owner(internal/web/products.go) = %+v, %t; want the product resource", r, ok)
	}
	if r, ok := got.Owner("run.go"); ok {
		t.Errorf("Owner(run.go) = %+v: the resource changed it, but it is scaffold's", r)
	}
}
