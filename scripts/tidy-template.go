//go:build ignore

// Tidy-template tidies the app template's dependencies for every
// combination of features. It generates the app with and without each
// optional feature, runs "go mod tidy" in each, and writes
// templates/app/go.mod.tmpl and templates/app/go.sum.tmpl: the full app's
// files, with each line that only some combinations need wrapped in the
// condition that selects them. Run it after changing an import or a
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
	"slices"
	"strings"
)

// module is the module path the apps are generated with; the template
// spells it as its placeholder.
const module = "example.com/tidy/app"

// combination is one choice of optional features.
type combination struct {
	demo, sessions bool
}

func (c combination) flags() []string {
	var f []string
	if !c.demo {
		f = append(f, "--no-demo")
	}
	if !c.sessions {
		f = append(f, "--no-sessions")
	}
	return f
}

// combinations lists every choice; the first has every feature, and every
// other combination's lines must be among its lines.
var combinations = []combination{{true, true}, {true, false}, {false, true}, {false, false}}

// conditions maps which combinations need a line, in the order of
// combinations, to the template condition that selects exactly those.
var conditions = map[[4]bool]string{
	{true, true, false, false}:  ".Demo",
	{true, false, true, false}:  ".Sessions",
	{true, false, false, false}: "and .Demo .Sessions",
	{true, true, true, false}:   "or .Demo .Sessions",
}

func main() {
	log.SetFlags(0)
	log.SetPrefix("tidy-template: ")
	tmp, err := os.MkdirTemp("", "tidy-template")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(tmp)

	files := map[string][][]string{"go.mod": nil, "go.sum": nil}
	for i, c := range combinations {
		dir := filepath.Join(tmp, fmt.Sprint(i))
		run("", "go", append([]string{"run", "./cmd/scaffold", "new", dir, "--module", module}, c.flags()...)...)
		run(dir, "go", "mod", "tidy")
		for name := range files {
			data, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil {
				log.Fatal(err)
			}
			text := strings.Replace(string(data), "module "+module+"\n", "module [[.Module]]\n", 1)
			files[name] = append(files[name], strings.SplitAfter(text, "\n"))
		}
	}
	for name, versions := range files {
		out, err := merge(versions)
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

// merge writes the first version's lines, each line that another version
// lacks inside the condition that selects the versions having it. A
// condition's "[[-" markers trim the newline before them, so the lines
// between them render with their newlines exactly when they are wanted.
func merge(versions [][]string) (string, error) {
	for i, v := range versions[1:] {
		for _, line := range v {
			if !slices.Contains(versions[0], line) {
				return "", fmt.Errorf("combination %v has %q, which the full app lacks", combinations[i+1], line)
			}
		}
	}
	var b strings.Builder
	open := ""
	for i, line := range versions[0] {
		var in [4]bool
		for j, v := range versions {
			in[j] = slices.Contains(v, line)
		}
		cond := ""
		if in != [4]bool{true, true, true, true} {
			var ok bool
			if cond, ok = conditions[in]; !ok {
				return "", fmt.Errorf("no condition selects the combinations %v that need %q", in, line)
			}
			if i == 0 {
				return "", fmt.Errorf("the first line %q is not in every combination", line)
			}
		}
		if cond != open {
			if open != "" {
				b.WriteString("[[- end]]\n")
			}
			if cond != "" {
				b.WriteString("[[- if " + cond + "]]\n")
			}
			open = cond
		}
		// The markers trim the newline before them, so a line inside a
		// condition keeps the newline that ends the line above it.
		b.WriteString(line)
	}
	if open != "" {
		b.WriteString("[[- end]]\n")
	}
	return b.String(), nil
}

func run(dir, name string, args ...string) {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		log.Fatalf("%s %s: %v", name, strings.Join(args, " "), err)
	}
}
