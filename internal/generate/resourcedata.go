package generate

import (
	"fmt"
	"strconv"
	"strings"
)

// resourceData is what a resource's templates are executed with.
type resourceData struct {
	Module    string
	Name      string // line_item
	Plural    string // line_items
	Package   string // lineitems
	Type      string // LineItem
	Types     string // LineItems
	Var       string // lineItem
	Vars      string // lineItems
	Recv      string // l, a method's receiver of Type
	Human     string // line item
	Humans    string // line items
	Title     string // Line item
	Titles    string // Line items
	Migration string // the migration's file name
	MaxLength int
	PerPage   int

	Fields []fieldData
	// Listed are the fields that the list shows: all but text, which
	// can be long.
	Listed []fieldData
	// Distinct are the fields whose two samples pages show differently,
	// and ListedDistinct those of them that the list shows.
	Distinct, ListedDistinct []fieldData

	HasString, HasOptional bool
	// Heading is the html/template that titles a record's page: its
	// first required string field, or its kind and ID.
	Heading string
	// Columns are the table's column definitions, aligned.
	Columns []string
	// ColumnList, Placeholders, Args and Assignments are pieces of the
	// SQL statements and their arguments.
	ColumnList, Placeholders, Args string
	Assignments                    []string
}

// fieldData is what the templates know of a field.
type fieldData struct {
	Field
	GoName   string
	GoType   string
	Label    string // "In stock"
	Required bool   // whether a value must be given (a bool is never left out)
	// Read is the method of the web package's fields that reads it.
	Read string
	// Show is the html/template that shows it on a page, relative to the
	// record; Input is the form's input for it.
	Show, Input string
	// Samples are two valid values, as Go literals; FormValues are the
	// same as form values (Go string literals); Shown are how pages show
	// them, as Go string literals of HTML, and Text the text a browser
	// shows.
	Samples, FormValues, Shown, Text [2]string
	// Invalid is a value, as a Go string literal, that the form refuses
	// with Message, a Go expression.
	Invalid, Message string
}

// pageTimeFormat is how pages show times.
const pageTimeFormat = "2006-01-02 15:04:05 UTC"

func newResourceData(r Resource, module, migration string) resourceData {
	d := resourceData{
		Module:    module,
		Name:      r.Name,
		Plural:    r.Plural,
		Package:   r.PackageName(),
		Type:      upperCamel(r.Name),
		Types:     upperCamel(r.Plural),
		Var:       lowerCamel(r.Name),
		Vars:      lowerCamel(r.Plural),
		Recv:      r.Name[:1],
		Human:     human(r.Name),
		Humans:    human(r.Plural),
		Title:     capitalize(human(r.Name)),
		Titles:    capitalize(human(r.Plural)),
		Migration: migration,
		MaxLength: MaxStringLength,
		PerPage:   50,
	}
	d.Heading = d.Title + " {{.ID}}"
	width := len("updated_at")
	for _, f := range r.Fields {
		width = max(width, len(f.Name))
	}
	column := func(name, def string) string { return fmt.Sprintf("%-*s %s", width, name, def) }
	d.Columns = append(d.Columns, column("id", "bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY"))
	var names, holders, args []string
	for i, f := range r.Fields {
		fd := newFieldData(f, d.Package, i)
		d.Fields = append(d.Fields, fd)
		if f.Type != TypeText {
			d.Listed = append(d.Listed, fd)
		}
		if f.Type != TypeBool {
			d.Distinct = append(d.Distinct, fd)
			if f.Type != TypeText {
				d.ListedDistinct = append(d.ListedDistinct, fd)
			}
		}
		d.HasString = d.HasString || f.Type == TypeString
		d.HasOptional = d.HasOptional || f.Optional
		if f.Type == TypeString && !f.Optional && d.Heading == d.Title+" {{.ID}}" {
			d.Heading = "{{." + fd.GoName + "}}"
		}
		d.Columns = append(d.Columns, column(f.Name, sqlColumn(f)))
		names = append(names, f.Name)
		holders = append(holders, "$"+strconv.Itoa(i+1))
		args = append(args, "in."+fd.GoName)
		d.Assignments = append(d.Assignments, f.Name+" = $"+strconv.Itoa(i+2))
	}
	d.Columns = append(d.Columns,
		column("created_at", "timestamptz NOT NULL DEFAULT now()"),
		column("updated_at", "timestamptz NOT NULL DEFAULT now()"))
	d.ColumnList = strings.Join(names, ", ")
	d.Placeholders = strings.Join(holders, ", ")
	d.Args = strings.Join(args, ", ")
	return d
}

// sqlColumn is the definition of f's column, after its name.
func sqlColumn(f Field) string {
	var def, check string
	switch f.Type {
	case TypeString:
		def, check = "text", fmt.Sprintf("CHECK (char_length(%s) BETWEEN 1 AND %d)", f.Name, MaxStringLength)
	case TypeText:
		def, check = "text", fmt.Sprintf("CHECK (%s <> '')", f.Name)
	case TypeInt:
		def = "bigint"
	case TypeFloat:
		def = "double precision"
	case TypeBool:
		return "boolean NOT NULL DEFAULT false"
	case TypeTime:
		def = "timestamptz"
	}
	if !f.Optional {
		def += " NOT NULL"
	}
	if check != "" {
		def += " " + check
	}
	return def
}

func newFieldData(f Field, pkg string, i int) fieldData {
	fd := fieldData{
		Field:    f,
		GoName:   goName(f.Name),
		Label:    capitalize(human(f.Name)),
		Required: !f.Optional && f.Type != TypeBool,
	}
	read := map[FieldType]string{TypeString: "String", TypeText: "Text", TypeInt: "Int", TypeFloat: "Float", TypeBool: "Bool", TypeTime: "Time"}[f.Type]
	goType := map[FieldType]string{TypeString: "string", TypeText: "string", TypeInt: "int64", TypeFloat: "float64", TypeBool: "bool", TypeTime: "time.Time"}[f.Type]
	fd.Read, fd.GoType = read, goType
	if f.Optional {
		fd.Read, fd.GoType = "Optional"+read, "*"+goType
	}
	q := strconv.Quote
	value := "." + fd.GoName
	aria := fmt.Sprintf(`{{with index .Errors %q}} aria-invalid="true" aria-describedby="%s-error"{{end}}`, f.Name, f.Name)
	input := func(attrs string) string {
		if fd.Required {
			attrs += " required"
		}
		return fmt.Sprintf(`<input id="%s" name="%s"%s value="{{index .Values %q}}"%s>`, f.Name, f.Name, attrs, f.Name, aria)
	}
	// The samples differ in every field from each other and from the
	// samples of the resource's other fields, so that a test can tell
	// which field a page shows.
	n := strconv.Itoa(i + 1)
	switch f.Type {
	case TypeString:
		word := fd.Label + " " + n
		fd.FormValues = [2]string{q(word + " <one>"), q(word + " two")}
		fd.Shown = [2]string{q(">" + word + " &lt;one&gt;<"), q(">" + word + " two<")}
		fd.Text = [2]string{q(word + " <one>"), q(word + " two")}
		fd.Show = "{{" + value + "}}"
		fd.Input = input(` maxlength="` + strconv.Itoa(MaxStringLength) + `"`)
		fd.Invalid = fmt.Sprintf("strings.Repeat(%q, %s.MaxLength+1)", "x", pkg)
		fd.Message = fmt.Sprintf(`"At most " + strconv.Itoa(%s.MaxLength) + " characters."`, pkg)
	case TypeText:
		word := fd.Label + " " + n
		fd.FormValues = [2]string{q(word + " one"), q(word + " two")}
		fd.Shown = [2]string{q(">" + word + " one<"), q(">" + word + " two<")}
		fd.Text = fd.FormValues
		fd.Show = "{{" + value + "}}"
		required := ""
		if fd.Required {
			required = " required"
		}
		fd.Input = fmt.Sprintf(`<textarea id="%s" name="%s" rows="5"%s%s>{{index .Values %q}}</textarea>`, f.Name, f.Name, required, aria, f.Name)
		fd.Invalid = q("a\u202eb")
		fd.Message = "msgHidden"
	case TypeInt:
		a, b := 1000*(i+1)+42, 1000*(i+1)+43
		fd.FormValues = [2]string{q(strconv.Itoa(a)), q(strconv.Itoa(b))}
		fd.Shown = [2]string{q(">" + strconv.Itoa(a) + "<"), q(">" + strconv.Itoa(b) + "<")}
		fd.Text = [2]string{q(strconv.Itoa(a)), q(strconv.Itoa(b))}
		fd.Show = "{{" + value + "}}"
		fd.Input = input(` type="number" step="1"`)
		fd.Invalid, fd.Message = q("abc"), "msgInt"
	case TypeFloat:
		a, b := strconv.Itoa(i+1)+".25", strconv.Itoa(i+1)+".75"
		fd.FormValues = [2]string{q(a), q(b)}
		fd.Shown = [2]string{q(">" + a + "<"), q(">" + b + "<")}
		fd.Text = [2]string{q(a), q(b)}
		fd.Show = "{{" + value + "}}"
		fd.Input = input(` type="number" step="any"`)
		fd.Invalid, fd.Message = q("abc"), "msgFloat"
	case TypeBool:
		fd.Samples = [2]string{"true", "false"}
		fd.FormValues = [2]string{q("true"), q("")}
		fd.Shown = [2]string{q(">yes<"), q(">no<")}
		fd.Text = [2]string{q("yes"), q("no")}
		fd.Show = "{{if " + value + "}}yes{{else}}no{{end}}"
		fd.Input = fmt.Sprintf(`<input type="checkbox" id="%s" name="%s" value="true"{{if index .Values %q}} checked{{end}}%s>`, f.Name, f.Name, f.Name, aria)
		fd.Invalid, fd.Message = q("maybe"), "msgBool"
	case TypeTime:
		// Each field's times are i days and hours apart from the others'.
		days, hours := 2+i, 3+i
		a := fmt.Sprintf("2025-01-%02dT%02d:04:05", days, hours)
		b := fmt.Sprintf("2025-02-%02dT%02d:06:07", days, hours)
		fd.Samples = [2]string{
			fmt.Sprintf("time.Date(2025, 1, %d, %d, 4, 5, 0, time.UTC)", days, hours),
			fmt.Sprintf("time.Date(2025, 2, %d, %d, 6, 7, 0, time.UTC)", days, hours),
		}
		fd.FormValues = [2]string{q(a), q(b)}
		shown := func(s string) string { return strings.Replace(s, "T", " ", 1) + " UTC" }
		fd.Shown = [2]string{q(">" + shown(a) + "<"), q(">" + shown(b) + "<")}
		fd.Text = [2]string{q(shown(a)), q(shown(b))}
		fd.Show = "{{" + value + `.UTC.Format "` + pageTimeFormat + `"}}`
		fd.Input = input(` type="datetime-local" step="1"`)
		fd.Invalid, fd.Message = q("yesterday"), "msgTime"
	}
	if fd.Samples[0] == "" {
		// Strings and numbers are the form values, in Go.
		for j, v := range fd.FormValues {
			s, _ := strconv.Unquote(v)
			switch f.Type {
			case TypeInt:
				fd.Samples[j] = s
			case TypeFloat:
				fd.Samples[j] = s
			default:
				fd.Samples[j] = v
			}
		}
	}
	if f.Optional {
		if f.Type == TypeInt {
			fd.Samples = [2]string{"ptr[int64](" + fd.Samples[0] + ")", "ptr[int64](" + fd.Samples[1] + ")"}
		} else {
			fd.Samples = [2]string{"ptr(" + fd.Samples[0] + ")", "ptr(" + fd.Samples[1] + ")"}
		}
		fd.Show = "{{with " + value + "}}{{.}}{{end}}"
		if f.Type == TypeTime {
			fd.Show = "{{with " + value + `}}{{.UTC.Format "` + pageTimeFormat + `"}}{{end}}`
		}
	}
	return fd
}
