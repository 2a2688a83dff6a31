package scaffold_test

import (
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// webFrameworks are module path prefixes of web frameworks.
var webFrameworks = []string{
	"github.com/labstack/",
	"github.com/gin-gonic/",
	"github.com/go-chi/",
	"github.com/gofiber/",
}

// TestCacheIsFrameworkFree: the example app's cache package, view cache
// included, is plain net/http, so it can be copied into an app on any
// framework; its Echo glue lives in the web package.
func TestCacheIsFrameworkFree(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("go is not on PATH")
		}
		t.Skip("go is not on PATH")
	}
	// go test caches a pass against the files the test reads itself, not
	// those go list reads, so read the sources go list looks at too.
	err := filepath.WalkDir("generated-example", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && (strings.HasSuffix(p, ".go") || d.Name() == "go.mod") {
			_, err = os.ReadFile(p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", "list", "-deps", "./internal/cache")
	cmd.Dir = "generated-example"
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -deps ./internal/cache: %v", err)
	}
	for _, pkg := range strings.Fields(string(out)) {
		for _, prefix := range webFrameworks {
			if strings.HasPrefix(pkg, prefix) {
				t.Errorf("internal/cache depends on %s", pkg)
			}
		}
	}
}
