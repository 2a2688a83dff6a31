package generate_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/echocache/scaffold/internal/generate"
)

func TestResolve(t *testing.T) {
	tests := []struct {
		name, module string
		dir, want    string
	}{
		{"shop", "", "shop", "shop"},
		{"my-shop", "", "my-shop", "my-shop"},
		{"shop.io", "", "shop.io", "shop.io"},
		{"github.com/acme/shop", "", "shop", "github.com/acme/shop"},
		{"github.com/acme/shop/v2", "", "shop", "github.com/acme/shop/v2"},
		{"shop", "github.com/acme/shop", "shop", "github.com/acme/shop"},
		{"github.com/acme/shop", "example.com/other", "shop", "example.com/other"},
		{"../shop", "github.com/acme/shop", filepath.Join("..", "shop"), "github.com/acme/shop"},
		{"./apps/shop/", "", filepath.Join("apps", "shop"), "shop"},
		{"/tmp/x/shop", "", "/tmp/x/shop", "shop"},
		{"/tmp/my dir/shop", "", "/tmp/my dir/shop", "shop"},
		{"../my dir/shop", "github.com/acme/shop", filepath.Join("..", "my dir", "shop"), "github.com/acme/shop"},
		{"cmdline", "", "cmdline", "cmdline"},
		{"github.com/acme/std", "", "std", "github.com/acme/std"},
	}
	for _, tt := range tests {
		t.Run(tt.name+" "+tt.module, func(t *testing.T) {
			got, err := generate.Resolve(tt.name, tt.module)
			if err != nil {
				t.Fatalf("Resolve: %v", err)
			}
			if got.Dir != tt.dir || got.Options.Module != tt.want {
				t.Errorf("got dir %q module %q, want dir %q module %q", got.Dir, got.Options.Module, tt.dir, tt.want)
			}
		})
	}
}

func TestResolveErrors(t *testing.T) {
	tests := []struct {
		name, module string
		want         string // a substring of the error
	}{
		{"", "", "app name is empty"},
		{"  ", "", "app name is empty"},
		{"my shop", "", "contains white space"},
		{"shop\n", "", "contains white space"},
		{"shop\x00", "", "control character"},
		{"con", "", "Windows"},
		{"NUL", "", "Windows"},
		{"github.com/acme/aux", "", "Windows"},
		{"./com1", "", "Windows"},
		{"shop", "prn", "Windows"},
		{"shop!", "", "not a valid Go module path"},
		{"github.com/acme/shop/v1", "", "major-version suffix"},
		{"github.com/acme/shop/v02", "", "major-version suffix"},
		{"a//b", "", "not a valid Go module path"},
		{"-shop", "", "not a valid Go module path"},
		{"shop", "github.com/acme/my shop", "contains white space"},
		{"shop", "github.com/acme/shop?", "not a valid Go module path"},
		{"..", "", "does not name a new directory"},
		{"./", "", "does not name a new directory"},
		{"./my.app.", "", "not usable"},
		{"/tmp/x/my shop", "", "contains white space"},
		{".hidden", "", "starts with a dot"},
		{"./.hidden", "", "starts with a dot"},
		{"example.com/acme/.shop", "", "starts with a dot"},
		{"shop", ".shop", "starts with a dot"},
		{"std", "", "standard library"},
		{"cmd", "", "standard library"},
		{"cmd/shop", "", "standard library"},
		{"shop", "std/shop", "standard library"},
		{"errors", "", "standard library"},
		{"./time", "", "standard library"},
		{"net/shop", "", "standard library"},
		{"shop", "html", "standard library"},
		{"~/x", "", "'~'"},
		{"~x", "", "'~'"},
		{"./~x", "", "'~'"},
	}
	for _, tt := range tests {
		t.Run(tt.name+" "+tt.module, func(t *testing.T) {
			_, err := generate.Resolve(tt.name, tt.module)
			if err == nil {
				t.Fatalf("Resolve(%q, %q) succeeded, want an error containing %q", tt.name, tt.module, tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %q, want it to contain %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error %q spans lines, want one", err)
			}
		})
	}
}
