package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/echocache/scaffold/internal/generate"
)

// resourceFlags are the flags of "scaffold generate resource".
type resourceFlags struct {
	dir    string
	plural string
	dryRun bool
}

func newGenerateCommand(stdout io.Writer, rt generate.ResourceTemplate) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "generate",
		Aliases: []string{"g"},
		Short:   "Add code to an app that scaffold new wrote",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return fmt.Errorf("generate what? run scaffold generate resource NAME FIELD:TYPE…, for example scaffold generate resource product name:string price:int")
		},
	}
	cmd.AddCommand(newResourceCommand(stdout, rt))
	return cmd
}

func newResourceCommand(stdout io.Writer, rt generate.ResourceTemplate) *cobra.Command {
	var f resourceFlags
	cmd := &cobra.Command{
		Use:   "resource NAME FIELD:TYPE[:optional]...",
		Short: "Add a cached, tested resource: a table, its store, its pages and their tests",
		Long: `resource adds a resource to the app in the current directory (or --dir):
a table, the store that keeps its records, the pages that list, show,
create, edit and delete them, with their caching, and the tests of each.
The app must have the database (scaffold update --db adds it).

NAME is singular, in lower snake_case: product, line_item. Its plural,
which names the table, the routes and the package, follows the rules of
English (products, categories, addresses, people); --plural gives it when
they do not fit (a NAME that looks plural, or has none, is refused).

Each FIELD is NAME:TYPE, or NAME:TYPE:optional for one that may be left
empty (NULL; a pointer in Go). The types:

  string  a line of text, at most 200 characters   Go string     SQL text
  text    text of any length, lines included        Go string     SQL text
  int     a whole number                            Go int64      SQL bigint
  float   a number                                  Go float64    SQL double precision
  bool    a checkbox (never optional)                Go bool       SQL boolean
  time    a date and time, in UTC                   Go time.Time  SQL timestamptz

Every record also has id, created_at and updated_at. For the resource
product it writes:

  internal/db/migrations/NNNNN_create_products.sql   the table (the next number)
  internal/products/                                 Store: PostgreSQL and in-memory, 50 to a page; tests
  internal/web/products.go                           the pages under /products and their caching; tests
  internal/web/views/products.html, product.html, product_form.html, partials/product.html
  browser_products_test.go                           create, edit and delete in headless Chromium

and changes two files: run.go gets the one line that registers the pages
(srv.ServeProducts(database), before "return serve(…)"), and README.md a
section on the resource. The list and each record's page are cached views,
the list query is memoized, each row is a cached fragment keyed by its id
and updated_at, and every write invalidates the list and the record's page.

It refuses, writing nothing, a name that the app or its code already uses
(a package, a route, a file, a Go or SQL keyword, a resource already
added), unknown types and bad field names; it never overwrites a file.
Everything is written or nothing is, and .scaffold.json records the
resource last: from then on its files are yours, and scaffold update never
touches them. --dry-run lists every file it would write or change.`,
		Example: `  scaffold generate resource product name:string price:int in_stock:bool
  scaffold g resource event title:string notes:text:optional starts_at:time
  scaffold g resource person name:string --dry-run
  scaffold g resource news_item headline:string --plural news_items`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return errors.New("resource takes a NAME and its fields: scaffold generate resource product name:string price:int")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return runResource(cmd.Context(), stdout, rt, args[0], args[1:], f)
		},
	}
	cmd.Flags().StringVar(&f.dir, "dir", ".", "the app's directory")
	cmd.Flags().StringVar(&f.plural, "plural", "", "the plural of NAME, when the rules of English do not give it")
	cmd.Flags().BoolVar(&f.dryRun, "dry-run", false, "list the files that would be written or changed, and write nothing")
	return cmd
}

func runResource(ctx context.Context, stdout io.Writer, rt generate.ResourceTemplate, name string, fields []string, f resourceFlags) error {
	dir := filepath.Clean(f.dir)
	manifestFile := filepath.Join(dir, generate.ManifestPath)
	data, err := os.ReadFile(manifestFile)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("%s has no %s: generate resource works in an app that scaffold new wrote (run it in the app's directory, or give --dir)", dir, generate.ManifestPath)
	case err != nil:
		return fmt.Errorf("cannot read %s: %w", manifestFile, unwrapPath(err))
	}
	manifest, err := generate.ReadManifest(data)
	if err != nil {
		return fmt.Errorf("%s is not a scaffold manifest: %v", manifestFile, err)
	}
	if !manifest.Features["db"] {
		return fmt.Errorf("the app in %s has no database, which a resource keeps its records in: scaffold update --db adds it; then run this again", dir)
	}
	r, err := generate.ParseResource(name, fields, f.plural)
	if err != nil {
		return err
	}
	for _, old := range manifest.Resources {
		if old.Name == r.Name || old.Plural == r.Plural || old.Name == r.Plural || old.Plural == r.Name {
			return fmt.Errorf("the app has the resource %s (%s) already, as %s records: choose another NAME", old.Name, old.Plural, generate.ManifestPath)
		}
	}

	app := generate.ResourceApp{Module: manifest.Module}
	if app.RunGo, err = os.ReadFile(filepath.Join(dir, generate.RunGo)); err != nil {
		return fmt.Errorf("cannot read the app's %s, where the resource is registered: %w", generate.RunGo, unwrapPath(err))
	}
	app.README, err = os.ReadFile(filepath.Join(dir, "README.md"))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("cannot read README.md: %w", unwrapPath(err))
	}
	entries, err := os.ReadDir(filepath.Join(dir, "internal", "db", "migrations"))
	if err != nil {
		return fmt.Errorf("cannot read the app's migrations: %w", unwrapPath(err))
	}
	for _, e := range entries {
		app.Migrations = append(app.Migrations, e.Name())
	}
	files, err := rt.Render(r, app)
	if err != nil {
		return err
	}
	if err := checkResource(dir, r, files.New); err != nil {
		return err
	}

	record := generate.ManifestResource{Name: r.Name, Plural: r.Plural, Line: files.Line}
	for _, field := range r.Fields {
		record.Fields = append(record.Fields, field.String())
	}
	for _, file := range files.New {
		record.Files = append(record.Files, file.Path)
	}
	manifest.Resources = append(manifest.Resources, record)
	encoded, err := manifest.Encode()
	if err != nil {
		return err
	}
	writes := slices.Concat(files.New, files.Changed, []generate.File{{Path: generate.ManifestPath, Data: encoded, Mode: 0o644}})

	if f.dryRun {
		for _, file := range files.New {
			fmt.Fprintf(stdout, "write  %s\n", filepath.Join(dir, filepath.FromSlash(file.Path)))
		}
		for _, file := range files.Changed {
			fmt.Fprintf(stdout, "change %s\n", filepath.Join(dir, filepath.FromSlash(file.Path)))
		}
		fmt.Fprintf(stdout, "change %s\n", manifestFile)
		fmt.Fprintf(stdout, "\n%d files would be written and %d changed; %s would get the line %s. Nothing was written (--dry-run).\n",
			len(files.New), len(files.Changed)+1, generate.RunGo, files.Line)
		return nil
	}
	if err := writeFiles(ctx, dir, writes); err != nil {
		return err
	}
	fmt.Fprintf(stdout, `Added the %s resource to %s: %d files, the line %s in %s, and a section in README.md.

  go test ./...                 the resource's tests, with the app's
  go run . migrate              creates the %s table (with DATABASE_URL set)
  go run .                      then open http://localhost:5000/%s
`, r.Name, dir, len(files.New), files.Line, generate.RunGo, r.Plural, r.Plural)
	return nil
}

// checkResource refuses a resource whose files are already there, whose
// package directory exists, or whose Go code would declare a name that
// the package it joins already declares; or one that the package web
// could not import under its name.
func checkResource(dir string, r generate.Resource, files []generate.File) error {
	pkgDir := filepath.Join(dir, "internal", r.PackageName())
	if _, err := os.Lstat(pkgDir); err == nil {
		return fmt.Errorf("%s exists already: the %s resource's package would go there; choose another NAME, or --plural", pkgDir, r.Name)
	}
	added := make(map[string]map[string]string) // directory → name → file that declares it
	for _, f := range files {
		p := filepath.Join(dir, filepath.FromSlash(f.Path))
		if _, err := os.Lstat(p); err == nil {
			return fmt.Errorf("%s exists already, and generate resource never overwrites a file: move it away or choose another NAME", p)
		} else if !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("cannot use %s: %w", p, unwrapPath(err))
		}
		if err := checkPath(dir, f.Path); err != nil {
			return err
		}
		if path.Ext(f.Path) != ".go" {
			continue
		}
		names, err := generate.Declarations(f.Data)
		if err != nil {
			return fmt.Errorf("resource template: %s: %w", f.Path, err)
		}
		d := path.Dir(f.Path)
		if added[d] == nil {
			added[d] = make(map[string]string)
		}
		for _, n := range names {
			added[d][n] = f.Path
		}
	}
	for d, names := range added {
		declared, err := declaredIn(filepath.Join(dir, filepath.FromSlash(d)))
		if err != nil {
			return err
		}
		for _, n := range slices.Sorted(maps.Keys(names)) {
			if file, ok := declared[n]; ok {
				return fmt.Errorf("%s declares %s already, which the %s resource's %s would declare too: choose another NAME, or rename yours", file, n, r.Name, names[n])
			}
		}
		if d == "internal/web" {
			if file, ok := declared[r.PackageName()]; ok {
				return fmt.Errorf("%s declares %s, the name of the %s resource's package, which internal/web imports: choose another NAME, or --plural", file, r.PackageName(), r.Name)
			}
		}
	}
	return nil
}

// declaredIn returns the names that the Go files in dir declare at the
// top level, each with its file.
func declaredIn(dir string) (map[string]string, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %w", dir, unwrapPath(err))
	}
	declared := make(map[string]string)
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".go") {
			continue
		}
		p := filepath.Join(dir, e.Name())
		src, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("cannot read %s: %w", p, unwrapPath(err))
		}
		names, err := generate.Declarations(src)
		if err != nil {
			return nil, fmt.Errorf("%s does not parse, so the names it declares are unknown: fix it first (%v)", p, err)
		}
		for _, n := range names {
			declared[n] = p
		}
	}
	return declared, nil
}
