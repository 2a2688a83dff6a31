package cli

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/echocache/scaffold/internal/generate"
)

// TestMain lets a test run this binary as the scaffold command, in a child
// process whose limits the test sets (see TestRollbackWithinFileSizeLimit).
func TestMain(m *testing.M) {
	if os.Getenv("SCAFFOLD_TEST_RUN_CLI") == "1" {
		if err := NewRootCommand(os.Stdout, os.Stderr).Execute(); err != nil {
			os.Stderr.WriteString("scaffold: " + err.Error() + "\n")
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// countdown is a context that is cancelled once Err has been asked n times:
// writeFiles asks before each file, so the run is interrupted midway.
type countdown struct {
	context.Context
	left atomic.Int32
}

func (c *countdown) Err() error {
	if c.left.Add(-1) < 0 {
		return context.Canceled
	}
	return nil
}

// TestInterruptedRunRollsBack: Ctrl-C after some files are written undoes
// them, new and replaced alike.
func TestInterruptedRunRollsBack(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "shop")
	mustWrite(t, filepath.Join(dir, "keep.txt"), "mine")
	mustWrite(t, filepath.Join(dir, "README.md"), "my readme")
	before := snapshot(t, dir)
	files := []generate.File{
		{Path: "README.md", Data: []byte("new"), Mode: 0o644},
		{Path: "internal/a.go", Data: []byte("package a"), Mode: 0o644},
		{Path: "internal/b.go", Data: []byte("package b"), Mode: 0o644},
		{Path: "main.go", Data: []byte("package main"), Mode: 0o644},
	}
	ctx := &countdown{Context: context.Background()}
	ctx.left.Store(2)
	err := writeFiles(ctx, dir, files)
	if err == nil || !strings.Contains(err.Error(), "interrupted") || !strings.Contains(err.Error(), "nothing was left behind") {
		t.Fatalf("got %v, want an interrupted error that says nothing was left behind", err)
	}
	if after := snapshot(t, dir); !equalMaps(before, after) {
		t.Errorf("an interrupted run changed the tree:\nbefore %v\nafter  %v", before, after)
	}
}

// TestCancelledCommandWritesNothing: the command passes its context down,
// so a signal that arrives before writing leaves no directory behind.
func TestCancelledCommandWritesNothing(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	cmd := NewRootCommand(&strings.Builder{}, &strings.Builder{})
	cmd.SetArgs([]string{"new", "shop"})
	err := cmd.ExecuteContext(ctx)
	if err == nil || !strings.Contains(err.Error(), "interrupted") {
		t.Fatalf("got %v, want an interrupted error", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("a cancelled run left %d entries", len(entries))
	}
}

// TestRollbackWithinFileSizeLimit: with a file size limit (a quota, or
// ulimit -f) smaller than both a generated file and a file the run
// replaces, a failed --force run gets the replaced file back intact,
// because putting it back is a rename, not a rewrite.
func TestRollbackWithinFileSizeLimit(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("needs bash for ulimit")
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	big := strings.Repeat("# a long ignore list\n", 500) // 10.5 KB
	mustWrite(t, filepath.Join(dir, "p5", ".gitignore"), big)
	mustWrite(t, filepath.Join(dir, "p5", "notes.txt"), "mine")
	before := snapshot(t, dir)

	// ulimit -f counts 1024-byte blocks: nothing over 4 KiB can be written.
	cmd := exec.Command("bash", "-c", `ulimit -f 4 && exec "$0" new ./p5 --force`, self)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "SCAFFOLD_TEST_RUN_CLI=1")
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) {
		t.Fatalf("scaffold under ulimit -f 4: got %v, want it to fail; output:\n%s", err, out)
	}
	msg := strings.TrimSpace(string(out))
	if !strings.Contains(msg, "nothing was left behind") || strings.Contains(msg, "\n") {
		t.Errorf("got message %q, want one line saying nothing was left behind", msg)
	}
	if after := snapshot(t, dir); !equalMaps(before, after) {
		for p := range after {
			if _, ok := before[p]; !ok {
				t.Errorf("left behind: %s", p)
			}
		}
		if got := after[filepath.Join("p5", ".gitignore")]; got != big {
			t.Errorf(".gitignore was not restored: %d bytes, want %d", len(got), len(big))
		}
		t.Error("the failed run changed the directory")
	}
}

// TestRollbackFailureNamesFiles: when a replaced file cannot be put back,
// the error says which one and where its old content is, and that content
// is still there.
func TestRollbackFailureNamesFiles(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "README.md")
	mustWrite(t, p, "my readme")
	var tx transaction
	if err := tx.writeFile(p, []byte("new"), 0o644); err != nil {
		t.Fatal(err)
	}
	// Something else puts a non-empty directory where the file was, so
	// the file cannot be renamed back.
	if err := os.Remove(p); err != nil {
		t.Fatal(err)
	}
	mustWrite(t, filepath.Join(p, "x"), "in the way")

	err := tx.rollback()
	if err == nil {
		t.Fatal("rollback succeeded, want an error")
	}
	old := tx.replaced[0].old
	if !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), old) {
		t.Errorf("error %q does not name %s and %s", err, p, old)
	}
	if data, err := os.ReadFile(old); err != nil || string(data) != "my readme" {
		t.Errorf("the old content at %s: %q, %v; want it kept", old, data, err)
	}
}
