//go:build ignore

// Tidy-template tidies the app template's dependencies for every
// combination of features. It generates the app for each combination
// that the generator accepts, runs "go mod tidy" in each, and writes
// templates/app/go.mod.tmpl and templates/app/go.sum.tmpl: the full app's
// files, with each line that only some combinations need wrapped in the
// condition on the features that selects exactly those (see
// generate.Template.Conditional). Run it after changing an import or a
// version in templates/, then regenerate the golden example:
//
//	go run scripts/tidy-template.go && go test ./internal/generate -update
package main

import (
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/echocache/scaffold"
	"github.com/echocache/scaffold/internal/generate"
)

// module is the module path the apps are generated with; the template
// spells it as its placeholder.
const module = "example.com/tidy/app"

func main() {
	log.SetFlags(0)
	log.SetPrefix("tidy-template: ")
	tmp, err := os.MkdirTemp("", "tidy-template")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(tmp)

	tmpl := scaffold.Template()
	sets := tmpl.Combinations()
	names := []string{"go.mod", "go.sum"}
	versions := make(map[string][][]string)
	for i, set := range sets {
		dir := filepath.Join(tmp, fmt.Sprint(i))
		files, err := tmpl.Generate(generate.Options{Module: module, Features: set})
		if err != nil {
			log.Fatal(err)
		}
		for _, f := range files {
			p := filepath.Join(dir, filepath.FromSlash(f.Path))
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				log.Fatal(err)
			}
			if err := os.WriteFile(p, f.Data, f.Mode); err != nil {
				log.Fatal(err)
			}
		}
		run(dir, "go", "mod", "tidy")
		for _, name := range names {
			data, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil {
				log.Fatal(err)
			}
			text := strings.Replace(string(data), "module "+module+"\n", "module [[.Module]]\n", 1)
			versions[name] = append(versions[name], strings.SplitAfter(text, "\n"))
		}
	}
	for _, name := range names {
		out, err := tmpl.Conditional(sets, versions[name])
		if err != nil {
			log.Fatalf("%s: %v", name, err)
		}
		path := filepath.Join("templates", "app", name+".tmpl")
		if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
			log.Fatal(err)
		}
		fmt.Println("updated", path)
	}
}

func run(dir, name string, args ...string) {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		log.Fatalf("%s %s: %v", name, strings.Join(args, " "), err)
	}
}
