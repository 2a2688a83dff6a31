package generate_test

import (
	"bytes"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"path"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/echocache/scaffold"
	"github.com/echocache/scaffold/internal/generate"
)

func TestParseResource(t *testing.T) {
	tests := []struct {
		name   string
		fields []string
		plural string
		want   generate.Resource
	}{
		{"product", []string{"name:string", "price:int", "in_stock:bool"}, "", generate.Resource{Name: "product", Plural: "products", Fields: []generate.Field{
			{Name: "name", Type: generate.TypeString}, {Name: "price", Type: generate.TypeInt}, {Name: "in_stock", Type: generate.TypeBool},
		}}},
		{"line_item", []string{"notes:text:optional", "due_at:time", "weight:float:optional"}, "", generate.Resource{Name: "line_item", Plural: "line_items", Fields: []generate.Field{
			{Name: "notes", Type: generate.TypeText, Optional: true}, {Name: "due_at", Type: generate.TypeTime}, {Name: "weight", Type: generate.TypeFloat, Optional: true},
		}}},
		{"person", []string{"name:string"}, "", generate.Resource{Name: "person", Plural: "people", Fields: []generate.Field{{Name: "name", Type: generate.TypeString}}}},
		{"news_item", []string{"headline:string"}, "news", generate.Resource{Name: "news_item", Plural: "news", Fields: []generate.Field{{Name: "headline", Type: generate.TypeString}}}},
		{"status", []string{"label:string"}, "", generate.Resource{Name: "status", Plural: "statuses", Fields: []generate.Field{{Name: "label", Type: generate.TypeString}}}},
	}
	for _, tt := range tests {
		got, err := generate.ParseResource(tt.name, tt.fields, tt.plural)
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParseResource(%q, %q, %q) = %+v, %v; want %+v", tt.name, tt.fields, tt.plural, got, err, tt.want)
		}
	}
}

func TestParseResourceErrors(t *testing.T) {
	tests := []struct {
		name   string
		fields []string
		plural string
		want   string // in the error
	}{
		{"Product", []string{"name:string"}, "", "not lower snake_case"},
		{"line-item", []string{"name:string"}, "", "not lower snake_case"},
		{"line__item", []string{"name:string"}, "", "not lower snake_case"},
		{"2fa", []string{"name:string"}, "", "not lower snake_case"},
		{"x", []string{"name:string"}, "", "one letter"},
		{strings.Repeat("a", 41), []string{"name:string"}, "", "longer than 40"},
		{"products", []string{"name:string"}, "", `"products" looks plural`},
		{"sheep", []string{"name:string"}, "", "has no plural of its own"},
		{"sheep", []string{"name:string"}, "sheep", "the same word"},
		{"product", []string{"name:string"}, "Products", "--plural \"Products\" is not lower snake_case"},
		{"product", nil, "", "at least one field"},
		{"task", []string{"name:string"}, "", "the app already uses"},
		{"session", []string{"name:string"}, "", "the app already uses"},
		{"cache", []string{"name:string"}, "", "the app already uses"},
		{"static", []string{"name:string"}, "", "the app already uses"},
		{"type", []string{"name:string"}, "", "reserved word in Go or SQL"},
		{"string", []string{"name:string"}, "", "reserved word in Go or SQL"},
		{"user_group", []string{"name:string"}, "group", "reserved word in Go or SQL"},
		{"slice", []string{"name:string"}, "", "like a package it imports"},
		{"product", []string{"name"}, "", "not NAME:TYPE"},
		{"product", []string{"name:string:optional:x"}, "", "not NAME:TYPE"},
		{"product", []string{"name:str"}, "", `unknown type "str" (types: string, text, int, float, bool, time)`},
		{"product", []string{"name:string:maybe"}, "", "the only one is optional"},
		{"product", []string{"Name:string"}, "", "not lower snake_case"},
		{"product", []string{"id:int"}, "", "has id, created_at and updated_at already"},
		{"product", []string{"updated_at:time"}, "", "has id, created_at and updated_at already"},
		{"product", []string{"order:int"}, "", "reserved word in Go or SQL"},
		{"product", []string{"func:int"}, "", "reserved word in Go or SQL"},
		{"product", []string{"in_stock:bool:optional"}, "", "a bool cannot be optional"},
		{"product", []string{"price:int", "price:float"}, "", `field "price" is given twice`},
		{"product", []string{"image_url:string", "image_u_r_l:string"}, "", "would both be ImageURL in Go"},
		{"product", []string{"i_d:string"}, "", `fields "id" and "i_d" would both be ID`},
	}
	for _, tt := range tests {
		_, err := generate.ParseResource(tt.name, tt.fields, tt.plural)
		if err == nil || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("ParseResource(%q, %q, %q): got %v, want one line containing %q", tt.name, tt.fields, tt.plural, err, tt.want)
		}
	}
}

func TestPlural(t *testing.T) {
	tests := map[string]string{
		"product": "products", "line_item": "line_items", "category": "categories", "day": "days",
		"key": "keys", "address": "addresses", "box": "boxes", "match": "matches", "dish": "dishes",
		"buzz": "buzzes", "status": "statuses", "analysis": "analyses", "photo": "photos",
		"hero": "heroes", "person": "people", "sales_person": "sales_people", "child": "children",
		"leaf": "leaves", "roof": "roofs", "quiz": "quizzes", "index": "indices", "wish_list": "wish_lists",
	}
	for name, want := range tests {
		if got, err := generate.Plural(name); err != nil || got != want {
			t.Errorf("Plural(%q) = %q, %v; want %q", name, got, err, want)
		}
	}
	for _, name := range []string{"products", "news", "fish", "line_items"} {
		if got, err := generate.Plural(name); err == nil {
			t.Errorf("Plural(%q) = %q, want an error", name, got)
		}
	}
}

func TestNextMigration(t *testing.T) {
	tests := []struct {
		names []string
		want  int
	}{
		{nil, 1},
		{[]string{"00001_create_schema.sql"}, 2},
		{[]string{"00001_create_tasks.sql", "00007_add_index.sql", "00002_x.sql", "README.md", "notes.sql"}, 8},
		{[]string{"20240101120000_timestamped.sql"}, 0},
	}
	for _, tt := range tests {
		got, err := generate.NextMigration(tt.names)
		if tt.want == 0 {
			if err == nil {
				t.Errorf("NextMigration(%q) = %d, want an error", tt.names, got)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("NextMigration(%q) = %d, %v; want %d", tt.names, got, err, tt.want)
		}
	}
}

// runGo is a run.go with the line that registrations go before.
const runGo = "package main\n\nfunc run() error {\n\tsrv.ServeHome()\n\treturn serve(ctx, cfg, srv, logger)\n}\n"

func renderResource(t *testing.T, name string, fields ...string) generate.ResourceFiles {
	t.Helper()
	r, err := generate.ParseResource(name, fields, "")
	if err != nil {
		t.Fatal(err)
	}
	files, err := scaffold.Resource().Render(r, generate.ResourceApp{
		Module:     "example.com/shop",
		Migrations: []string{"00001_create_schema.sql"},
		RunGo:      []byte(runGo),
		README:     []byte("# shop\n\nIntro.\n"),
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// everyType is a resource with a field of every type, required and
// optional.
var everyType = []string{
	"title:string", "subtitle:string:optional", "body:text", "summary:text:optional", "count:int",
	"limit_count:int:optional", "weight:float", "price:float:optional", "public:bool",
	"starts_at:time", "ends_at:time:optional",
}

func TestRenderResource(t *testing.T) {
	files := renderResource(t, "line_item", "title:string", "quantity:int")
	var paths []string
	for _, f := range files.New {
		paths = append(paths, f.Path)
	}
	want := []string{
		"browser_lineitems_test.go",
		"internal/db/migrations/00002_create_line_items.sql",
		"internal/lineitems/lineitems.go",
		"internal/lineitems/lineitems_test.go",
		"internal/lineitems/postgres.go",
		"internal/web/lineitems.go",
		"internal/web/lineitems_test.go",
		"internal/web/views/line_item.html",
		"internal/web/views/line_item_form.html",
		"internal/web/views/line_items.html",
		"internal/web/views/partials/line_item.html",
	}
	if !slices.Equal(paths, want) {
		t.Errorf("Render writes\n%s\nwant\n%s", strings.Join(paths, "\n"), strings.Join(want, "\n"))
	}
	if files.Line != "srv.ServeLineItems(database)" {
		t.Errorf("Line = %q, want srv.ServeLineItems(database)", files.Line)
	}
	changed := map[string]string{}
	for _, f := range files.Changed {
		changed[f.Path] = string(f.Data)
	}
	if want := strings.Replace(runGo, "\treturn serve", "\tsrv.ServeLineItems(database)\n\treturn serve", 1); changed["run.go"] != want {
		t.Errorf("run.go:\n%s\nwant:\n%s", changed["run.go"], want)
	}
	if readme := changed["README.md"]; !strings.HasPrefix(readme, "# shop\n\nIntro.\n\n## Line items\n") || !strings.Contains(readme, "`srv.ServeLineItems(database)`") {
		t.Errorf("README.md does not end with the resource's section:\n%s", readme)
	}
}

// TestResourceGoFiles renders resources with every type of field and
// checks that the Go files parse, are gofmt-formatted and read as
// hand-written, and that the migration names every column.
func TestResourceGoFiles(t *testing.T) {
	for _, fields := range [][]string{everyType, {"name:string"}, {"notes:text:optional", "done:bool"}} {
		files := renderResource(t, "event", fields...)
		for _, f := range files.New {
			for i, line := range strings.Split(string(f.Data), "\n") {
				if m := cruft.FindString(line); m != "" {
					t.Errorf("%s:%d: %q in %q", f.Path, i+1, m, line)
				}
			}
			switch path.Ext(f.Path) {
			case ".go":
				if _, err := parser.ParseFile(token.NewFileSet(), f.Path, f.Data, parser.ParseComments); err != nil {
					t.Errorf("%s does not parse: %v", f.Path, err)
				}
				if formatted, err := format.Source(f.Data); err != nil || !bytes.Equal(formatted, f.Data) {
					t.Errorf("%s is not gofmt-formatted (%v)", f.Path, err)
				}
			case ".sql":
				for _, field := range fields {
					if name, _, _ := strings.Cut(field, ":"); !strings.Contains(string(f.Data), "\n    "+name+" ") {
						t.Errorf("%s has no column %s:\n%s", f.Path, name, f.Data)
					}
				}
			}
		}
	}
}

func TestRenderResourceRefuses(t *testing.T) {
	r, err := generate.ParseResource("product", []string{"name:string"}, "")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		runGo string
		want  string
	}{
		{"package main\n\nfunc run() error {\n\treturn nil\n}\n", `add "srv.ServeProducts(database)" to run`},
		{runGo + runGo, `add "srv.ServeProducts(database)" to run`},
		{strings.Replace(runGo, "\treturn", "\tsrv.ServeProducts(database)\n\treturn", 1), "already has srv.ServeProducts(database)"},
	}
	for _, tt := range tests {
		_, err := scaffold.Resource().Render(r, generate.ResourceApp{Module: "shop", RunGo: []byte(tt.runGo)})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("run.go %q: got %v, want an error containing %q", tt.runGo, err, tt.want)
		}
	}
}

// TestGeneratedIdentsAreReserved: no resource may be named so that, in
// Go, its name or its package's shadows another identifier of the code
// it generates (a parameter, a local variable, an imported package).
// Every lower-case identifier of that code that is not made of the
// resource's own name is tried as a resource, and as the plural of one.
func TestGeneratedIdentsAreReserved(t *testing.T) {
	idents := make(map[string]bool)
	for _, fields := range [][]string{everyType, {"name:string"}} {
		for _, f := range renderResource(t, "zebra", fields...).New {
			if path.Ext(f.Path) != ".go" {
				continue
			}
			file, err := parser.ParseFile(token.NewFileSet(), f.Path, f.Data, parser.SkipObjectResolution)
			if err != nil {
				t.Fatal(err)
			}
			// Names that are only ever written after a dot or before a
			// colon (fields, methods, keys of struct literals) cannot be
			// shadowed.
			skip := make(map[*ast.Ident]bool)
			ast.Inspect(file, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.SelectorExpr:
					skip[n.Sel] = true
				case *ast.KeyValueExpr:
					if id, ok := n.Key.(*ast.Ident); ok {
						skip[id] = true
					}
				case *ast.Field:
					for _, id := range n.Names {
						skip[id] = true
					}
				case *ast.FuncDecl:
					if n.Recv != nil {
						skip[n.Name] = true
					}
				}
				return true
			})
			ast.Inspect(file, func(n ast.Node) bool {
				if id, ok := n.(*ast.Ident); ok && !skip[id] && unicode.IsLower(rune(id.Name[0])) && !strings.Contains(strings.ToLower(id.Name), "zebra") {
					idents[id.Name] = true
				}
				return true
			})
		}
	}
	for ident := range idents {
		name := snake(ident)
		for _, singular := range []string{name, strings.TrimSuffix(name, "s"), strings.TrimSuffix(name, "es"), strings.TrimSuffix(name, "ies") + "y"} {
			r, err := generate.ParseResource(singular, []string{"name:string"}, "")
			if err != nil {
				continue
			}
			if camel(r.Name) == ident || r.PackageName() == ident {
				t.Errorf("resource %q is accepted, but the code it generates uses %s for something else: add %q to generatedIdents", singular, ident, ident)
				break
			}
		}
	}
}

// snake turns a Go name into lower snake_case: newPage is new_page.
func snake(s string) string {
	var b strings.Builder
	for i, r := range s {
		if unicode.IsUpper(r) {
			if i > 0 {
				b.WriteByte('_')
			}
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}

// camel turns lower snake_case into lowerCamelCase, as the generator
// does for names without initialisms.
func camel(s string) string {
	words := strings.Split(s, "_")
	for i := 1; i < len(words); i++ {
		words[i] = strings.ToUpper(words[i][:1]) + words[i][1:]
	}
	return strings.Join(words, "")
}
