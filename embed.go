// Package scaffold holds the templates that the scaffold command renders:
// the app's, and a resource's.
//
// The command itself lives in cmd/scaffold; the renderer in internal/generate.
package scaffold

import (
	"embed"
	"io/fs"

	"github.com/echocache/scaffold/internal/generate"
)

// embedded keeps the template trees; "all:" keeps dotfiles such as
// .gitignore.
//
//go:embed all:templates all:resource
var embedded embed.FS

// Templates returns the app template tree. Files whose names end in ".tmpl"
// are rendered with [[ ]] delimiters and lose the suffix; every other file is
// copied as it is.
func Templates() fs.FS {
	sub, err := fs.Sub(embedded, "templates")
	if err != nil {
		panic(err) // "templates" is a valid path: fs.Sub cannot fail here
	}
	return sub
}

// Template returns the app template with scaffold's features.
func Template() generate.Template {
	return generate.Template{FS: Templates(), Features: generate.Features}
}

// Resource returns the template of a resource, which "scaffold generate
// resource" renders into an app.
func Resource() generate.ResourceTemplate {
	sub, err := fs.Sub(embedded, "resource")
	if err != nil {
		panic(err) // "resource" is a valid path: fs.Sub cannot fail here
	}
	return generate.ResourceTemplate{FS: sub}
}
