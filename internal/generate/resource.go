package generate

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// FieldType is the type of a resource's field, as typed on the command
// line: "string", "text", "int", "float", "bool" or "time".
type FieldType string

// The field types. Each is a Go type, a PostgreSQL type and a form input:
//
//	string  string     text, at most 200 characters   <input>
//	text    string     text                           <textarea>
//	int     int64      bigint                         <input type="number">
//	float   float64    double precision               <input type="number" step="any">
//	bool    bool       boolean                        <input type="checkbox">
//	time    time.Time  timestamptz                    <input type="datetime-local">, in UTC
//
// An optional field is a pointer in Go, nil for NULL; a bool cannot be
// optional, as a checkbox is either ticked or not.
const (
	TypeString FieldType = "string"
	TypeText   FieldType = "text"
	TypeInt    FieldType = "int"
	TypeFloat  FieldType = "float"
	TypeBool   FieldType = "bool"
	TypeTime   FieldType = "time"
)

// fieldTypes are the field types, in the order errors list them.
var fieldTypes = []FieldType{TypeString, TypeText, TypeInt, TypeFloat, TypeBool, TypeTime}

// MaxStringLength is the most characters a string field holds.
const MaxStringLength = 200

// Field is one field of a resource.
type Field struct {
	// Name is the field's name in SQL and in the form, lower snake_case:
	// "in_stock".
	Name     string
	Type     FieldType
	Optional bool
}

// String returns the field as it is typed: "name:string",
// "notes:text:optional".
func (f Field) String() string {
	s := f.Name + ":" + string(f.Type)
	if f.Optional {
		s += ":optional"
	}
	return s
}

// Resource is a resource that "scaffold generate resource" writes: a
// table, the store that keeps its records, and the pages that show and
// change them.
type Resource struct {
	// Name is singular, lower snake_case: "product", "line_item".
	Name string
	// Plural names the table, the routes (/line_items) and, without its
	// underscores, the Go package (lineitems).
	Plural string
	Fields []Field
}

// nameRE is lower snake_case: words of lower-case letters and digits,
// the first starting with a letter, joined by single underscores.
var nameRE = regexp.MustCompile(`^[a-z][a-z0-9]*(_[a-z0-9]+)*$`)

// maxNameLength keeps names, and the identifiers and file names made of
// them, readable; PostgreSQL's own limit is 63 bytes.
const maxNameLength = 40

// ParseResource parses what "scaffold generate resource" was given: the
// singular name, the fields (each NAME:TYPE or NAME:TYPE:optional) and the
// plural, or "" to derive it (see Plural). The error is one line that
// names the problem and the fix.
func ParseResource(name string, fields []string, plural string) (Resource, error) {
	if err := checkName("resource name", name); err != nil {
		return Resource{}, err
	}
	if plural == "" {
		p, err := Plural(name)
		if err != nil {
			return Resource{}, err
		}
		plural = p
	} else if err := checkName("--plural", plural); err != nil {
		return Resource{}, err
	}
	if plural == name {
		return Resource{}, fmt.Errorf("the plural of %q is %q, the same word: the list and a single %s need different names, so choose another NAME or --plural", name, plural, name)
	}
	if err := checkResourceName(name, plural); err != nil {
		return Resource{}, err
	}
	if len(fields) == 0 {
		return Resource{}, fmt.Errorf("a resource needs at least one field: scaffold generate resource %s name:string (types: %s)", name, typeList())
	}
	r := Resource{Name: name, Plural: plural}
	goNames := map[string]string{"ID": "id", "CreatedAt": "created_at", "UpdatedAt": "updated_at"}
	for _, arg := range fields {
		f, err := parseField(arg)
		if err != nil {
			return Resource{}, err
		}
		if other, ok := goNames[goName(f.Name)]; ok {
			if other == f.Name {
				return Resource{}, fmt.Errorf("field %q is given twice", f.Name)
			}
			return Resource{}, fmt.Errorf("fields %q and %q would both be %s in Go: rename one", other, f.Name, goName(f.Name))
		}
		goNames[goName(f.Name)] = f.Name
		r.Fields = append(r.Fields, f)
	}
	return r, nil
}

// parseField parses NAME:TYPE or NAME:TYPE:optional.
func parseField(arg string) (Field, error) {
	parts := strings.Split(arg, ":")
	if len(parts) < 2 || len(parts) > 3 {
		return Field{}, fmt.Errorf("field %q is not NAME:TYPE or NAME:TYPE:optional, such as price:int", arg)
	}
	f := Field{Name: parts[0], Type: FieldType(parts[1])}
	if len(parts) == 3 {
		if parts[2] != "optional" {
			return Field{}, fmt.Errorf("field %q: %q is not a modifier: the only one is optional (%s:%s:optional)", arg, parts[2], parts[0], parts[1])
		}
		f.Optional = true
	}
	if err := checkName("field name", f.Name); err != nil {
		return Field{}, err
	}
	switch f.Name {
	case "id", "created_at", "updated_at":
		return Field{}, fmt.Errorf("field %q: every resource has id, created_at and updated_at already: choose another name", f.Name)
	}
	if goKeywords[f.Name] || sqlKeywords[f.Name] {
		return Field{}, fmt.Errorf("field %q: %s is a reserved word in Go or SQL: choose another name", f.Name, f.Name)
	}
	if !slices.Contains(fieldTypes, f.Type) {
		return Field{}, fmt.Errorf("field %q: unknown type %q (types: %s)", arg, parts[1], typeList())
	}
	if f.Type == TypeBool && f.Optional {
		return Field{}, fmt.Errorf("field %q: a bool cannot be optional (a checkbox is ticked or not): drop :optional", arg)
	}
	return f, nil
}

func typeList() string {
	names := make([]string, len(fieldTypes))
	for i, t := range fieldTypes {
		names[i] = string(t)
	}
	return strings.Join(names, ", ")
}

// checkName checks that s is lower snake_case of a sensible length.
func checkName(what, s string) error {
	switch {
	case s == "":
		return fmt.Errorf("%s is empty", what)
	case !nameRE.MatchString(s):
		return fmt.Errorf("%s %q is not lower snake_case (letters, digits and single underscores, starting with a letter, such as line_item)", what, s)
	case len(s) < 2:
		return fmt.Errorf("%s %q is one letter: give it a name that says what it holds", what, s)
	case len(s) > maxNameLength:
		return fmt.Errorf("%s %q is longer than %d characters", what, s, maxNameLength)
	}
	return nil
}

// checkResourceName refuses names that the app or the generated code
// already uses, or that would not make a valid Go package or file.
func checkResourceName(name, plural string) error {
	for _, s := range []string{name, plural} {
		switch {
		case reservedNames[s]:
			return fmt.Errorf("resource %q: %q is a name the app already uses (for a package, a route or a page): choose another NAME", name, s)
		case goKeywords[s] || goPredeclared[s] || sqlKeywords[s]:
			return fmt.Errorf("resource %q: %q is a reserved word in Go or SQL: choose another NAME", name, s)
		case generatedIdents[lowerCamel(s)]:
			return fmt.Errorf("resource %q: the code it generates uses %s for something else: choose another NAME", name, lowerCamel(s))
		}
	}
	pkg := packageName(plural)
	if stdPackages[pkg] || generatedIdents[pkg] {
		return fmt.Errorf("resource %q: its package would be called %s, like a package it imports: choose another NAME or --plural", name, pkg)
	}
	return nil
}

// Plural returns the plural of the lower snake_case name, by the rules
// of English that hold for nearly every noun, applied to its last word:
// "y" after a consonant becomes "ies" (category, categories), "s", "x",
// "z", "ch" and "sh" take "es" (address, box, match), "is" becomes "es"
// (analysis), and every other word takes "s" (product, day, photo), but
// for the common words that break these rules (person, child, leaf, hero,
// …), which have their own plural. A word that looks plural already,
// ending in "s" (not "ss", "us" or "is"), or that has no plural (news,
// sheep) is an error: --plural gives it.
func Plural(name string) (string, error) {
	head, word := "", name
	if i := strings.LastIndex(name, "_"); i >= 0 {
		head, word = name[:i+1], name[i+1:]
	}
	if p, ok := irregularPlurals[word]; ok {
		return head + p, nil
	}
	if uncountable[word] {
		return "", fmt.Errorf("%q has no plural of its own: give the list's name with --plural, or choose another NAME", name)
	}
	last := func(suffixes ...string) bool {
		for _, s := range suffixes {
			if strings.HasSuffix(word, s) {
				return true
			}
		}
		return false
	}
	consonantY := len(word) >= 2 && word[len(word)-1] == 'y' && !strings.ContainsRune("aeiou", rune(word[len(word)-2]))
	switch {
	case last("ss", "us", "x", "z", "ch", "sh"):
		return head + word + "es", nil
	case last("is"):
		return head + strings.TrimSuffix(word, "is") + "es", nil
	case last("s"):
		return "", fmt.Errorf("%q looks plural: NAME is the singular (product, not products), or, if %q is singular, give its plural with --plural", name, name)
	case consonantY:
		return head + strings.TrimSuffix(word, "y") + "ies", nil
	}
	return head + word + "s", nil
}

// irregularPlurals are common nouns whose plural the rules of Plural
// get wrong.
var irregularPlurals = map[string]string{
	"person": "people", "child": "children", "man": "men", "woman": "women",
	"mouse": "mice", "goose": "geese", "foot": "feet", "tooth": "teeth", "ox": "oxen",
	"leaf": "leaves", "life": "lives", "knife": "knives", "wife": "wives", "wolf": "wolves",
	"half": "halves", "shelf": "shelves", "thief": "thieves", "loaf": "loaves", "calf": "calves",
	"hero": "heroes", "potato": "potatoes", "tomato": "tomatoes", "echo": "echoes", "veto": "vetoes",
	"quiz": "quizzes", "criterion": "criteria", "phenomenon": "phenomena", "datum": "data",
	"medium": "media", "curriculum": "curricula", "index": "indices", "matrix": "matrices",
	"vertex": "vertices", "appendix": "appendices",
}

// uncountable are nouns whose plural is the same word.
var uncountable = map[string]bool{
	"news": true, "sheep": true, "fish": true, "deer": true, "series": true, "species": true,
	"equipment": true, "information": true, "rice": true, "money": true, "data": true,
	"feedback": true, "software": true, "hardware": true, "staff": true, "aircraft": true,
}

// reservedNames are names that an app scaffold writes already uses for a
// package, a route, a view or a template, in one of its forms.
var reservedNames = map[string]bool{
	"app": true, "main": true, "cmd": true, "internal": true, "vendor": true, "testdata": true,
	"cache": true, "caches": true, "config": true, "configs": true, "db": true, "dbs": true,
	"web": true, "webs": true, "session": true, "sessions": true, "task": true, "tasks": true,
	"static": true, "statics": true, "healthz": true, "view": true, "views": true,
	"partial": true, "partials": true, "migration": true, "migrations": true,
	"memcachedtest": true, "pgtest": true, "layout": true, "layouts": true, "content": true,
	"home": true, "homes": true, "link": true, "links": true, "account": true, "accounts": true,
	"nav": true, "set": true, "sets": true, "get": true, "gets": true, "login": true, "logout": true,
	"check": true, "checks": true, "migrate": true, "server": true, "servers": true,
	"section": true, "sections": true, "browser": true, "browsers": true,
}

// goKeywords are Go's keywords.
var goKeywords = map[string]bool{
	"break": true, "case": true, "chan": true, "const": true, "continue": true, "default": true,
	"defer": true, "else": true, "fallthrough": true, "for": true, "func": true, "go": true,
	"goto": true, "if": true, "import": true, "interface": true, "map": true, "package": true,
	"range": true, "return": true, "select": true, "struct": true, "switch": true, "type": true,
	"var": true,
}

// goPredeclared are Go's predeclared identifiers.
var goPredeclared = map[string]bool{
	"any": true, "bool": true, "byte": true, "comparable": true, "complex64": true, "complex128": true,
	"error": true, "float32": true, "float64": true, "int": true, "int8": true, "int16": true,
	"int32": true, "int64": true, "rune": true, "string": true, "uint": true, "uint8": true,
	"uint16": true, "uint32": true, "uint64": true, "uintptr": true, "true": true, "false": true,
	"iota": true, "nil": true, "append": true, "cap": true, "clear": true, "close": true,
	"complex": true, "copy": true, "delete": true, "imag": true, "len": true, "make": true,
	"max": true, "min": true, "new": true, "panic": true, "print": true, "println": true,
	"real": true, "recover": true,
}

// sqlKeywords are PostgreSQL's reserved key words, which cannot name a
// table or a column unquoted.
var sqlKeywords = map[string]bool{
	"all": true, "analyse": true, "analyze": true, "and": true, "any": true, "array": true,
	"as": true, "asc": true, "asymmetric": true, "authorization": true, "binary": true, "both": true,
	"case": true, "cast": true, "check": true, "collate": true, "collation": true, "column": true,
	"concurrently": true, "constraint": true, "create": true, "cross": true, "current_catalog": true,
	"current_date": true, "current_role": true, "current_schema": true, "current_time": true,
	"current_timestamp": true, "current_user": true, "default": true, "deferrable": true,
	"desc": true, "distinct": true, "do": true, "else": true, "end": true, "except": true,
	"false": true, "fetch": true, "for": true, "foreign": true, "freeze": true, "from": true,
	"full": true, "grant": true, "group": true, "having": true, "ilike": true, "in": true,
	"initially": true, "inner": true, "intersect": true, "into": true, "is": true, "isnull": true,
	"join": true, "lateral": true, "leading": true, "left": true, "like": true, "limit": true,
	"localtime": true, "localtimestamp": true, "natural": true, "not": true, "notnull": true,
	"null": true, "offset": true, "on": true, "only": true, "or": true, "order": true, "outer": true,
	"overlaps": true, "placing": true, "primary": true, "references": true, "returning": true,
	"right": true, "select": true, "session_user": true, "similar": true, "some": true,
	"symmetric": true, "system_user": true, "table": true, "tablesample": true, "then": true,
	"to": true, "trailing": true, "true": true, "union": true, "unique": true, "user": true,
	"using": true, "variadic": true, "verbose": true, "when": true, "where": true, "window": true,
	"with": true,
}

// stdPackages are the names of the packages that the generated code
// imports, and of other standard packages that a package of records
// could be mistaken for.
var stdPackages = map[string]bool{
	"bytes": true, "errors": true, "strings": true, "maps": true, "slices": true, "os": true,
	"types": true, "tests": true, "flags": true, "builds": true, "plugins": true, "unsafe": true,
}

// generatedIdents are the lower-case identifiers that the generated code
// uses for other things than the resource: imported packages, local
// variables, parameters, helpers of the app's web package and its tests.
// A resource whose name, in Go's lowerCamelCase, is one of them would
// shadow it. TestGeneratedIdentsAreReserved keeps this list complete.
var generatedIdents = map[string]bool{
	"again": true, "alice": true, "at": true, "attacker": true, "base": true, "bob": true,
	"body": true, "call": true, "cancel": true, "checked": true, "chromedp": true, "click": true,
	"cmp": true, "context": true, "created": true, "ctx": true, "deleted": true, "echo": true,
	"err": true, "exit": true, "field": true, "fields": true, "first": true, "fmt": true,
	"formValue": true, "found": true, "got": true, "hasFlash": true, "hex": true, "hits": true,
	"http": true, "id": true, "ids": true, "inputs": true, "inUTC": true, "io": true, "kept": true,
	"keys": true, "listed": true, "loc": true, "memory": true, "msg": true, "msgBool": true,
	"msgFloat": true, "msgHidden": true, "msgInt": true, "msgRequired": true, "msgTime": true,
	"name": true, "newBrowser": true, "newPage": true, "newServer": true, "newStore": true,
	"newTestServer": true, "now": true, "ok": true, "old": true, "op": true, "others": true,
	"out": true, "pageNumber": true, "parseForm": true, "past": true, "pgx": true, "posted": true,
	"postgres": true, "ptr": true, "queryError": true, "rand": true, "rec": true, "recordID": true,
	"records": true, "reflect": true, "resp": true, "row": true, "rows": true, "second": true,
	"seen": true, "sel": true, "setFlash": true, "shown": true, "start": true, "startFullApp": true,
	"stores": true, "strconv": true, "sync": true, "takeFlash": true, "template": true,
	"testing": true, "text": true, "time": true, "tt": true, "typ": true, "updated": true,
	"url": true, "viewCache": true, "visit": true, "want": true, "what": true, "xcache": true,
}
