package main

import (
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestErrorsPrintOnce runs the real binary with stdin closed and output
// piped, as CI does, and checks that a bad input gives one line on stderr,
// nothing on stdout and a non-zero exit status.
func TestErrorsPrintOnce(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "scaffold")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	for _, args := range [][]string{
		{"new", "my app"},
		{"new"},
		{"new", "con"},
		{"new", "shop", "--nope"},
		{"nope"},
	} {
		cmd := exec.Command(bin, args...)
		cmd.Dir = t.TempDir()
		var stdout, stderr strings.Builder
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() == 0 {
			t.Errorf("%v: got %v, want a non-zero exit status", args, err)
		}
		if stdout.Len() != 0 {
			t.Errorf("%v: printed %q on stdout", args, stdout.String())
		}
		lines := strings.Split(strings.TrimRight(stderr.String(), "\n"), "\n")
		if len(lines) != 1 || !strings.HasPrefix(lines[0], "scaffold: ") {
			t.Errorf("%v: stderr %q, want one line starting with \"scaffold: \"", args, stderr.String())
		}
	}
}
