package generate

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// ResourceTemplate is the template tree of a resource: the files that
// "scaffold generate resource" writes, with their paths spelled with the
// words that Render replaces:
//
//	PACKAGE    the Go package, the plural without underscores: lineitems
//	PLURAL     the plural: line_items
//	SINGULAR   the name: line_item
//	MIGRATION  the number of the migration: 00002
//
// README.md.tmpl is the section that Render appends to the app's README.
// Unlike the app's templates, a resource's may range over the fields and
// test them: they are one generator's output for any list of fields, not
// a feature's files.
type ResourceTemplate struct {
	FS fs.FS
}

// ResourceApp is what Render needs to know of the app that gets the
// resource.
type ResourceApp struct {
	// Module is the app's module path.
	Module string
	// Migrations are the names of the files in internal/db/migrations.
	Migrations []string
	// RunGo and README are the contents of run.go and README.md.
	RunGo, README []byte
}

// ResourceFiles are what Render writes for a resource.
type ResourceFiles struct {
	// New are the files it adds, which must not exist yet, sorted by path.
	New []File
	// Changed are run.go, with the registration line, and README.md,
	// with the resource's section.
	Changed []File
	// Line is the line that registers the resource in run.go.
	Line string
}

// registrationAnchor is the line of run.go before which a resource's
// registration goes: the app's parts are all added to the server by then.
const registrationAnchor = "\treturn serve(ctx, cfg, srv, logger)\n"

// RunGo is the file that registers a resource's pages.
const RunGo = "run.go"

// RegistrationLine is the line of run.go that registers r's pages.
func (r Resource) RegistrationLine() string {
	return "\tsrv.Serve" + upperCamel(r.Plural) + "(database)"
}

// Render renders the resource r for app. It fails, with one line that
// says what to do, when run.go lacks the line that the registration goes
// before, or already registers r, or when the migrations' names cannot be
// numbered after.
func (t ResourceTemplate) Render(r Resource, app ResourceApp) (ResourceFiles, error) {
	line := r.RegistrationLine()
	if bytes.Contains(app.RunGo, []byte(strings.TrimSpace(line))) {
		return ResourceFiles{}, fmt.Errorf("%s already has %s: the %s resource is registered", RunGo, strings.TrimSpace(line), r.Name)
	}
	if bytes.Count(app.RunGo, []byte(registrationAnchor)) != 1 {
		return ResourceFiles{}, fmt.Errorf("%s does not have the line %q once, before which the resource's pages are registered: add %q to run, after the server's other pages, and run the command again (nothing was written)",
			RunGo, strings.TrimSpace(registrationAnchor), strings.TrimSpace(line))
	}
	number, err := NextMigration(app.Migrations)
	if err != nil {
		return ResourceFiles{}, err
	}
	data := newResourceData(r, app.Module, fmt.Sprintf("%05d_create_%s.sql", number, r.Plural))
	replacer := strings.NewReplacer("MIGRATION", fmt.Sprintf("%05d", number), "PACKAGE", data.Package, "PLURAL", r.Plural, "SINGULAR", r.Name)

	var out ResourceFiles
	var section []byte
	err = fs.WalkDir(t.FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		text, err := fs.ReadFile(t.FS, p)
		if err != nil {
			return err
		}
		text, err = render("resource/"+p, text, data)
		if err != nil {
			return err
		}
		if p == "README.md.tmpl" {
			section = text
			return nil
		}
		outPath := replacer.Replace(strings.TrimSuffix(p, templateSuffix))
		if path.Ext(outPath) == ".go" {
			formatted, err := format.Source(text)
			if err != nil {
				return fmt.Errorf("template resource/%s: gofmt: %w", p, err)
			}
			text = formatted
		}
		out.New = append(out.New, File{Path: outPath, Data: text, Mode: modeFor(outPath)})
		return nil
	})
	if err != nil {
		return ResourceFiles{}, err
	}
	sort.Slice(out.New, func(i, j int) bool { return out.New[i].Path < out.New[j].Path })

	runGo := bytes.Replace(app.RunGo, []byte(registrationAnchor), []byte(line+"\n"+registrationAnchor), 1)
	readme := append(bytes.TrimRight(slices.Clone(app.README), "\n"), '\n')
	readme = append(readme, section...)
	out.Changed = []File{
		{Path: "README.md", Data: readme, Mode: modeFor("README.md")},
		{Path: RunGo, Data: runGo, Mode: modeFor(RunGo)},
	}
	out.Line = strings.TrimSpace(line)
	return out, nil
}

// migrationRE matches a goose migration's file name and its number.
var migrationRE = regexp.MustCompile(`^([0-9]+)_[^/]*\.sql$`)

// NextMigration returns the number after the highest of the migrations
// named (goose's NNNNN_what.sql; other names are ignored), or 1 when
// there is none.
func NextMigration(names []string) (int, error) {
	highest := 0
	for _, name := range names {
		m := migrationRE.FindStringSubmatch(name)
		if m == nil {
			continue
		}
		n, err := strconv.Atoi(m[1])
		if err != nil || n >= 99999 {
			return 0, fmt.Errorf("migration %s is numbered past 99999: name the next one by hand", name)
		}
		highest = max(highest, n)
	}
	return highest + 1, nil
}

// Declarations returns the names that the Go source src declares at the
// top level of its package: functions, types, variables and constants,
// and methods as Receiver.Method. Two files of one package cannot both
// declare one of them.
func Declarations(src []byte) ([]string, error) {
	f, err := parser.ParseFile(token.NewFileSet(), "", src, parser.SkipObjectResolution)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, decl := range f.Decls {
		switch d := decl.(type) {
		case *ast.FuncDecl:
			name := d.Name.Name
			if d.Recv != nil && len(d.Recv.List) == 1 {
				name = receiverType(d.Recv.List[0].Type) + "." + name
			}
			names = append(names, name)
		case *ast.GenDecl:
			for _, spec := range d.Specs {
				switch s := spec.(type) {
				case *ast.TypeSpec:
					names = append(names, s.Name.Name)
				case *ast.ValueSpec:
					for _, n := range s.Names {
						if n.Name != "_" {
							names = append(names, n.Name)
						}
					}
				}
			}
		}
	}
	return names, nil
}

// receiverType names a method's receiver type, without * or type
// parameters.
func receiverType(e ast.Expr) string {
	switch t := e.(type) {
	case *ast.StarExpr:
		return receiverType(t.X)
	case *ast.IndexExpr:
		return receiverType(t.X)
	case *ast.IndexListExpr:
		return receiverType(t.X)
	case *ast.Ident:
		return t.Name
	}
	return ""
}

// PackageName is the Go package of r: its plural without underscores, as
// Go package names have none.
func (r Resource) PackageName() string { return packageName(r.Plural) }

func packageName(plural string) string { return strings.ReplaceAll(plural, "_", "") }

// commonInitialisms are the words that Go names write in capitals.
var commonInitialisms = map[string]bool{
	"api": true, "ascii": true, "cpu": true, "css": true, "dns": true, "eof": true, "guid": true,
	"html": true, "http": true, "https": true, "id": true, "ip": true, "json": true, "sku": true,
	"sql": true, "ssh": true, "tcp": true, "tls": true, "ttl": true, "udp": true, "ui": true,
	"uid": true, "uri": true, "url": true, "utf8": true, "uuid": true, "vat": true, "xml": true,
}

// upperCamel turns lower snake_case into an exported Go name: in_stock
// is InStock, image_url ImageURL.
func upperCamel(s string) string {
	var b strings.Builder
	for _, w := range strings.Split(s, "_") {
		if commonInitialisms[w] {
			b.WriteString(strings.ToUpper(w))
		} else {
			b.WriteString(strings.ToUpper(w[:1]) + w[1:])
		}
	}
	return b.String()
}

// lowerCamel turns lower snake_case into an unexported Go name: in_stock
// is inStock, url_path urlPath, image_url imageURL.
func lowerCamel(s string) string {
	first, rest, _ := strings.Cut(s, "_")
	if rest == "" {
		return first
	}
	return first + upperCamel(rest)
}

// goName is a field's name in Go.
func goName(field string) string { return upperCamel(field) }

// human writes a name for people: line_item is "line item".
func human(s string) string { return strings.ReplaceAll(s, "_", " ") }

// capitalize writes s with a capital first letter.
func capitalize(s string) string { return strings.ToUpper(s[:1]) + s[1:] }
