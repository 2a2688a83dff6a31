package generate

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"unicode"

	"golang.org/x/mod/module"
)

// Target is where a new app goes and what it is called.
type Target struct {
	// Dir is the directory to write, as the user gave it (cleaned).
	Dir string
	// Options are the generation inputs.
	Options Options
}

// Resolve turns the NAME argument and the --module flag of "scaffold new"
// into a Target, or explains in one line what is wrong and how to fix it.
// The Target's Options name the module; the caller chooses the features.
//
// NAME is either a directory path (absolute, or starting with ./ or ../) or a
// module path such as github.com/acme/shop. A directory path names the
// directory and, unless modulePath is set, the module by its last element. A
// module path names the module, unless modulePath is set, and the directory
// by its last element, skipping a major-version suffix (…/shop/v2 → shop).
func Resolve(name, modulePath string) (Target, error) {
	if strings.TrimSpace(name) == "" {
		return Target{}, errors.New("app name is empty: run scaffold new NAME, for example scaffold new shop or scaffold new github.com/acme/shop")
	}
	// Only the app's own name must be a module path element: a directory
	// path may run through any parent, "/tmp/my dir/shop" included.
	if err := checkChars("app name", appElement(name)); err != nil {
		return Target{}, err
	}
	if modulePath != "" {
		if err := checkChars("module path", modulePath); err != nil {
			return Target{}, err
		}
	}

	var dir string
	if isDirPath(name) {
		dir = filepath.Clean(name)
		base := filepath.Base(dir)
		if base == "." || base == ".." || base == string(filepath.Separator) {
			return Target{}, fmt.Errorf("%q does not name a new directory: give the app's directory, for example ./shop", name)
		}
		if err := checkDirName(base); err != nil {
			return Target{}, err
		}
		if modulePath == "" {
			modulePath = base
		}
	} else {
		if err := checkModule("app name", name); err != nil {
			return Target{}, err
		}
		dir = Options{Module: name}.Name()
		if modulePath == "" {
			modulePath = name
		}
	}
	if err := checkModule("module path", modulePath); err != nil {
		return Target{}, err
	}
	return Target{Dir: dir, Options: Options{Module: modulePath}}, nil
}

// isDirPath reports whether name is written as a file-system path rather
// than a module path.
func isDirPath(name string) bool {
	if filepath.IsAbs(name) || name == "." || name == ".." {
		return true
	}
	for _, p := range []string{"./", "../", `.\`, `..\`} {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// appElement is the part of NAME that becomes the app's name: the last
// element of a directory path, or all of a module path.
func appElement(name string) string {
	if isDirPath(name) {
		return filepath.Base(filepath.Clean(name))
	}
	return name
}

// checkChars rejects white space and control characters with a message
// that names them, which module.CheckImportPath would only call "invalid char".
func checkChars(what, s string) error {
	for _, r := range s {
		switch {
		case unicode.IsSpace(r):
			return fmt.Errorf("%s %q contains white space: use letters, digits, '-', '.' or '_' instead", what, s)
		case unicode.IsControl(r):
			return fmt.Errorf("%s %q contains a control character: use letters, digits, '-', '.' or '_'", what, s)
		}
	}
	return nil
}

// checkModule validates a module path with the go command's own rules.
func checkModule(what, p string) error {
	elems := strings.Split(p, "/")
	for _, elem := range elems {
		if err := checkReserved(what, elem); err != nil {
			return err
		}
		if err := checkBuildable(what, p, elem); err != nil {
			return err
		}
	}
	if first := elems[0]; !strings.Contains(first, ".") && (first == "std" || first == "cmd" || stdlib[first]) {
		return fmt.Errorf("%s %q starts with %q, which the go command keeps for the standard library: choose another, for example %s-app", what, p, first, first)
	}
	if err := module.CheckImportPath(p); err != nil {
		return fmt.Errorf("%s %q is not a valid Go module path: %v (use letters, digits, '-', '.', '_' and '/', for example github.com/acme/shop)", what, p, reason(err))
	}
	if _, _, ok := splitMajor(p); !ok {
		return fmt.Errorf("%s %q has a bad major-version suffix: use /v2 or later, or leave it off", what, p)
	}
	if name := (Options{Module: p}).Name(); name == "" || name == "." {
		return fmt.Errorf("%s %q has no name before its version suffix", what, p)
	}
	return nil
}

// checkDirName validates a directory name with the rules for a module path
// element, so that it also works as the app's name.
func checkDirName(name string) error {
	if err := checkReserved("directory name", name); err != nil {
		return err
	}
	if err := checkBuildable("directory name", name, name); err != nil {
		return err
	}
	if err := module.CheckImportPath(name); err != nil {
		return fmt.Errorf("directory name %q is not usable: %s (use letters, digits, '-', '.' and '_')", name, reason(err))
	}
	return nil
}

// stdlib holds the first elements of the standard library's import paths.
// A module path without a dot that starts with one of them can shadow a
// package the app imports (a module named "errors" makes "errors"
// ambiguous), so it is refused.
var stdlib = map[string]bool{
	"archive": true, "arena": true, "bufio": true, "builtin": true, "bytes": true,
	"cmp": true, "compress": true, "container": true, "context": true, "crypto": true,
	"database": true, "debug": true, "embed": true, "encoding": true, "errors": true,
	"expvar": true, "flag": true, "fmt": true, "go": true, "hash": true, "html": true,
	"image": true, "index": true, "internal": true, "io": true, "iter": true, "log": true,
	"maps": true, "math": true, "mime": true, "net": true, "os": true, "path": true,
	"plugin": true, "reflect": true, "regexp": true, "runtime": true, "slices": true,
	"sort": true, "strconv": true, "strings": true, "structs": true, "sync": true,
	"syscall": true, "testing": true, "text": true, "time": true, "unicode": true,
	"unique": true, "unsafe": true, "vendor": true, "weak": true,
}

// checkBuildable rejects path elements that module.CheckImportPath accepts
// but the go command cannot build: a leading dot (the go command skips such
// directories, and the linker fails on a module named like one) and a
// leading tilde, which is also what a quoted "~/shop" leaves unexpanded.
func checkBuildable(what, p, elem string) error {
	switch {
	case strings.HasPrefix(elem, "~"):
		return fmt.Errorf("%s %q starts an element with '~', which the go command refuses (a shell expands ~ only outside quotes): write the path as $HOME/... or choose another name", what, p)
	case strings.HasPrefix(elem, "."):
		return fmt.Errorf("%s %q has an element that starts with a dot (%q), which the go command ignores: choose a name without one", what, p, elem)
	}
	return nil
}

// windowsReserved are the device names Windows reserves, with or without an
// extension: a project cannot be checked out there if a path element is one.
var windowsReserved = map[string]bool{
	"CON": true, "PRN": true, "AUX": true, "NUL": true,
	"COM1": true, "COM2": true, "COM3": true, "COM4": true, "COM5": true,
	"COM6": true, "COM7": true, "COM8": true, "COM9": true,
	"LPT1": true, "LPT2": true, "LPT3": true, "LPT4": true, "LPT5": true,
	"LPT6": true, "LPT7": true, "LPT8": true, "LPT9": true,
}

// checkReserved rejects an element that Windows reserves, with a fix.
func checkReserved(what, elem string) error {
	short, _, _ := strings.Cut(elem, ".")
	if windowsReserved[strings.ToUpper(short)] {
		return fmt.Errorf("%s uses %q, a name Windows reserves for a device: choose another, for example %s-app", what, elem, strings.ToLower(short))
	}
	return nil
}

// reason strips the path that module's errors repeat, so the message says
// it once.
func reason(err error) string {
	var ipe *module.InvalidPathError
	if errors.As(err, &ipe) && ipe.Err != nil {
		return ipe.Err.Error()
	}
	return err.Error()
}

// splitMajor splits a trailing /vN (N ≥ 2) off a module path. ok is false
// for a suffix the go command refuses, such as /v0, /v1 or /v02.
func splitMajor(p string) (prefix, major string, ok bool) {
	i := strings.LastIndex(p, "/")
	if i < 0 {
		return p, "", true
	}
	last := p[i+1:]
	if len(last) < 2 || last[0] != 'v' || strings.Trim(last[1:], "0123456789") != "" {
		return p, "", true
	}
	if last == "v0" || last == "v1" || last[1] == '0' {
		return p, "", false
	}
	return p[:i], last, true
}
