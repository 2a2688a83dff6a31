package cli

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/echocache/scaffold/internal/generate"
)

// newShop writes the app shop, without the demo, in a new working
// directory.
func newShop(t *testing.T, flags ...string) {
	t.Helper()
	t.Chdir(t.TempDir())
	if _, _, err := runCLI(t, append([]string{"new", "shop", "--module", "example.com/shop"}, flags...)...); err != nil {
		t.Fatal(err)
	}
}

// readManifest reads the manifest of the app in dir.
func readManifest(t *testing.T, dir string) generate.Manifest {
	t.Helper()
	m, err := generate.ReadManifest([]byte(readFile(t, filepath.Join(dir, generate.ManifestPath))))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestGenerateResource(t *testing.T) {
	newShop(t, "--no-demo")
	before := readManifest(t, "shop")
	out, _, err := runCLI(t, "g", "resource", "product", "name:string", "price:int", "in_stock:bool", "--dir", "shop")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "the line srv.ServeProducts(database) in run.go") {
		t.Errorf("the output does not say which line run.go got:\n%s", out)
	}
	m := readManifest(t, "shop")
	if len(m.Resources) != 1 {
		t.Fatalf("the manifest records %d resources, want 1", len(m.Resources))
	}
	r := m.Resources[0]
	if r.Name != "product" || r.Plural != "products" || !slices.Equal(r.Fields, []string{"name:string", "price:int", "in_stock:bool"}) || r.Line != "srv.ServeProducts(database)" {
		t.Errorf("the manifest records %+v", r)
	}
	for _, want := range []string{"internal/db/migrations/00002_create_products.sql", "internal/products/products.go", "internal/web/products.go", "browser_products_test.go"} {
		if !slices.Contains(r.Files, want) {
			t.Errorf("the manifest's files %q lack %s", r.Files, want)
		}
	}
	for _, p := range r.Files {
		if _, err := os.Stat(filepath.Join("shop", p)); err != nil {
			t.Errorf("recorded file %s: %v", p, err)
		}
		if _, ok := m.Files[p]; ok {
			t.Errorf("%s is both scaffold's and the resource's", p)
		}
	}
	// run.go and README.md keep the hash of what scaffold wrote, so that
	// update merges their changes.
	for _, p := range []string{"run.go", "README.md"} {
		if m.Files[p] != before.Files[p] {
			t.Errorf("the manifest's hash of %s changed", p)
		}
	}
	if run := readFile(t, "shop/run.go"); !strings.Contains(run, "\tsrv.ServeProducts(database)\n\treturn serve(ctx, cfg, srv, logger)\n") {
		t.Errorf("run.go lacks the line before the return:\n%s", run)
	}
	if readme := readFile(t, "shop/README.md"); !strings.Contains(readme, "\n## Products\n") {
		t.Error("README.md lacks the resource's section")
	}

	// A second resource is numbered after the first, and both are recorded.
	if _, _, err := runCLI(t, "generate", "resource", "line_item", "title:string", "due_at:time:optional", "--dir", "shop"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat("shop/internal/db/migrations/00003_create_line_items.sql"); err != nil {
		t.Error(err)
	}
	if m := readManifest(t, "shop"); len(m.Resources) != 2 || m.Resources[1].Name != "line_item" {
		t.Errorf("the manifest records %+v, want product then line_item", m.Resources)
	}
	if run := readFile(t, "shop/run.go"); !strings.Contains(run, "\tsrv.ServeProducts(database)\n\tsrv.ServeLineItems(database)\n\treturn serve(") {
		t.Errorf("run.go lacks the two lines in order:\n%s", run)
	}
}

func TestGenerateResourceDryRun(t *testing.T) {
	newShop(t, "--no-demo")
	before := snapshot(t, "shop")
	out, _, err := runCLI(t, "generate", "resource", "product", "name:string", "--dir", "shop", "--dry-run")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"write  " + filepath.Join("shop", "internal/products/postgres.go"),
		"write  " + filepath.Join("shop", "internal/db/migrations/00002_create_products.sql"),
		"write  " + filepath.Join("shop", "internal/web/views/partials/product.html"),
		"change " + filepath.Join("shop", "run.go"),
		"change " + filepath.Join("shop", "README.md"),
		"change " + filepath.Join("shop", generate.ManifestPath),
		"11 files would be written and 3 changed",
		"Nothing was written",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("--dry-run output lacks %q:\n%s", want, out)
		}
	}
	if after := snapshot(t, "shop"); !equalMaps(before, after) {
		t.Error("--dry-run changed files")
	}
}

// TestGenerateResourceRefusals: each refusal is one line, and nothing is
// written.
func TestGenerateResourceRefusals(t *testing.T) {
	newShop(t)
	product := []string{"generate", "resource", "product", "name:string", "--dir", "shop"}
	tests := []struct {
		name  string
		setup func(t *testing.T)
		args  []string
		want  string
	}{
		{"a bad field", nil, []string{"generate", "resource", "product", "price:money", "--dir", "shop"}, `unknown type "money"`},
		{"no fields", nil, []string{"generate", "resource", "product", "--dir", "shop"}, "at least one field"},
		{"no name", nil, []string{"generate", "resource"}, "takes a NAME"},
		{"a reserved name", nil, []string{"generate", "resource", "task", "name:string", "--dir", "shop"}, "the app already uses"},
		{"no manifest", nil, []string{"generate", "resource", "product", "name:string", "--dir", "."}, "has no " + generate.ManifestPath},
		{"a file in the way", func(t *testing.T) {
			mustWrite(t, "shop/internal/web/views/product.html", "mine\n")
		}, product, "never overwrites a file"},
		{"a package in the way", func(t *testing.T) {
			mustWrite(t, "shop/internal/products/mine.go", "package products\n")
		}, product, "internal/products exists already"},
		{"a name declared already", func(t *testing.T) {
			mustWrite(t, "shop/internal/web/mine.go", "package web\n\ntype productIndexPage struct{}\n")
		}, product, "declares productIndexPage already"},
		{"a package name declared already", func(t *testing.T) {
			mustWrite(t, "shop/internal/web/mine.go", "package web\n\nvar products = 1\n")
		}, product, "the name of the product resource's package"},
		{"run.go without the line", func(t *testing.T) {
			edit(t, "shop/run.go", "\treturn serve(ctx, cfg, srv, logger)\n", "\treturn serve(ctx, cfg, srv, logger) // served\n")
		}, product, `add "srv.ServeProducts(database)" to run`},
		{"a resource already recorded", func(t *testing.T) {
			if _, _, err := runCLI(t, "g", "resource", "product", "name:string", "--dir", "shop"); err != nil {
				t.Fatal(err)
			}
		}, []string{"g", "resource", "product", "title:string", "--dir", "shop"}, "has the resource product"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			newShop(t)
			if tt.setup != nil {
				tt.setup(t)
			}
			before := snapshot(t, ".")
			_, _, err := runCLI(t, tt.args...)
			if err == nil || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("got %v, want one line containing %q", err, tt.want)
			}
			if after := snapshot(t, "."); !equalMaps(before, after) {
				t.Error("a refused run changed files")
			}
		})
	}

	t.Run("an app without a database", func(t *testing.T) {
		newShop(t, "--no-demo", "--no-db")
		_, _, err := runCLI(t, product...)
		if err == nil || !strings.Contains(err.Error(), "scaffold update --db") {
			t.Errorf("got %v, want the way to add the database", err)
		}
	})
}

// TestUpdateKeepsResources: update keeps the app's resources in the
// manifest it writes and leaves their files and lines alone, and it
// refuses to drop the database they need.
func TestUpdateKeepsResources(t *testing.T) {
	if testing.Short() {
		t.Skip("runs this checkout's scaffold as update's base; skipped with -short")
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	newShop(t, "--no-demo")
	if _, _, err := runCLI(t, "g", "resource", "product", "name:string", "--dir", "shop"); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, "shop")
	if _, _, err := runCLI(t, "update", "shop", "--no-db", "--allow-dirty", "--base", root); err == nil || !strings.Contains(err.Error(), "resources (product) keep their records in the database") {
		t.Errorf("update --no-db: got %v, want a refusal naming the resource", err)
	}
	// The app was generated by this checkout, which is the base: update
	// has nothing of scaffold's to change, and must not drop the
	// resource from the manifest, nor touch its files or lines.
	out, _, err := runCLI(t, "update", "shop", "--allow-dirty", "--base", root)
	if err != nil {
		t.Fatalf("update: %v\n%s", err, out)
	}
	if after := snapshot(t, "shop"); !equalMaps(before, after) {
		for p := range after {
			if before[p] != after[p] {
				t.Errorf("update changed %s", p)
			}
		}
	}
	if m := readManifest(t, "shop"); len(m.Resources) != 1 || m.Resources[0].Name != "product" {
		t.Errorf("after update the manifest records %+v, want the product resource", m.Resources)
	}
}
