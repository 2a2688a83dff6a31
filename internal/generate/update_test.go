package generate_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/echocache/scaffold/internal/generate"
)

// checkUpdateSafe returns an error when writing files over dir would
// lose work: a file under dir that git reports as modified, staged or
// untracked, and that the write would change or delete. A dirty file the
// write leaves byte for byte as it is does not count. When git cannot
// tell (it is not installed, or dir is not in a checkout), the answer is
// also an error: -update overwrites the tree wholesale, so it runs only
// when it is known to be safe.
func checkUpdateSafe(dir string, files []generate.File) error {
	dirty, err := uncommitted(dir)
	if err != nil {
		return fmt.Errorf("-update: cannot tell whether %s has uncommitted edits, so it is left as it is: %w", dir, err)
	}
	want := make(map[string]generate.File, len(files))
	for _, f := range files {
		want[f.Path] = f
	}
	var blocked []string
	for _, p := range dirty {
		if f, ok := want[p]; ok && sameOnDisk(filepath.Join(dir, filepath.FromSlash(p)), f) {
			continue
		}
		blocked = append(blocked, p)
	}
	if len(blocked) > 0 {
		return fmt.Errorf("-update would overwrite uncommitted edits in %s: %s; commit or discard them first",
			dir, strings.Join(blocked, ", "))
	}
	return nil
}

// sameOnDisk reports whether the file at p already has f's bytes and
// executable bits.
func sameOnDisk(p string, f generate.File) bool {
	info, err := os.Stat(p)
	if err != nil || info.Mode().Perm()&0o111 != f.Mode&0o111 {
		return false
	}
	data, err := os.ReadFile(p)
	return err == nil && bytes.Equal(data, f.Data)
}

// uncommitted returns the files under dir, relative to it and
// slash-separated, that git status reports: modified or deleted in the
// work tree or the index, renamed, or untracked. Ignored files are not
// listed.
func uncommitted(dir string) ([]string, error) {
	if _, err := exec.LookPath("git"); err != nil {
		return nil, errors.New("git is not installed")
	}
	top, err := git(dir, "rev-parse", "--show-toplevel")
	if err != nil {
		return nil, err
	}
	top = strings.TrimSpace(top)
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	// git prints the checkout's real path; dir may reach it through a
	// symbolic link (macOS's /tmp, for one).
	if abs, err = filepath.EvalSymlinks(abs); err != nil {
		return nil, err
	}
	rel, err := filepath.Rel(top, abs)
	if err != nil {
		return nil, err
	}
	rel = filepath.ToSlash(rel)
	out, err := git(top, "status", "--porcelain", "-z", "--untracked-files=all", "--", rel)
	if err != nil {
		return nil, err
	}
	// Each entry is "XY path"; a rename or copy is followed by an entry
	// holding its source path, which the update would also rewrite.
	var paths []string
	entries := strings.Split(strings.TrimSuffix(out, "\x00"), "\x00")
	for i := 0; i < len(entries); i++ {
		e := entries[i]
		if len(e) < 4 {
			continue
		}
		paths = append(paths, e[3:])
		if e[0] == 'R' || e[0] == 'C' {
			if i+1 < len(entries) {
				paths = append(paths, entries[i+1])
			}
			i++
		}
	}
	var files []string
	for _, p := range paths {
		if rel != "." {
			var ok bool
			if p, ok = strings.CutPrefix(p, rel+"/"); !ok {
				continue
			}
		}
		files = append(files, path.Clean(p))
	}
	slices.Sort(files)
	return slices.Compact(files), nil
}

// git runs git in dir and returns its standard output; an error carries
// what git printed on standard error.
func git(dir string, args ...string) (string, error) {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("git %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return string(out), nil
}

func TestCheckUpdateSafe(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("git is not installed; scripts/test.sh installs it")
		}
		t.Skip("git is not installed")
	}
	file := func(p, data string) generate.File {
		return generate.File{Path: p, Data: []byte(data), Mode: 0o644}
	}
	// Every case starts from a checkout whose golden tree holds a, b and
	// sub/c, committed.
	committed := []generate.File{file("a.txt", "a\n"), file("b.txt", "b\n"), file("sub/c.txt", "c\n")}
	tests := []struct {
		name  string
		edit  func(t *testing.T, repo, golden string)
		files []generate.File // what -update would write
		want  []string        // files named in the refusal; nil: allowed
	}{
		{
			name:  "clean tree, new output",
			files: []generate.File{file("a.txt", "A\n"), file("b.txt", "b\n")},
		},
		{
			name:  "modified file that would change",
			edit:  writeFile("generated-example/a.txt", "hand edit\n"),
			files: committed,
			want:  []string{"a.txt"},
		},
		{
			name:  "modified file that would be written as it is now",
			edit:  writeFile("generated-example/a.txt", "A\n"),
			files: []generate.File{file("a.txt", "A\n"), file("b.txt", "b\n"), file("sub/c.txt", "c\n")},
		},
		{
			name: "staged file that would change",
			edit: func(t *testing.T, repo, golden string) {
				writeFile("generated-example/sub/c.txt", "staged\n")(t, repo, golden)
				run(t, repo, "git", "add", "generated-example/sub/c.txt")
			},
			files: committed,
			want:  []string{"sub/c.txt"},
		},
		{
			name:  "untracked file that would be deleted",
			edit:  writeFile("generated-example/new/d.txt", "d\n"),
			files: committed,
			want:  []string{"new/d.txt"},
		},
		{
			name:  "untracked file that would be written as it is",
			edit:  writeFile("generated-example/d.txt", "d\n"),
			files: append(slices.Clone(committed), file("d.txt", "d\n")),
		},
		{
			name: "deleted file that would be written again",
			edit: func(t *testing.T, repo, golden string) {
				if err := os.Remove(filepath.Join(golden, "b.txt")); err != nil {
					t.Fatal(err)
				}
			},
			files: committed,
			want:  []string{"b.txt"},
		},
		{
			name:  "edits outside the golden tree do not count",
			edit:  writeFile("README", "edited\n"),
			files: []generate.File{file("a.txt", "A\n")},
		},
		{
			name: "several files, named in order",
			edit: func(t *testing.T, repo, golden string) {
				writeFile("generated-example/b.txt", "x\n")(t, repo, golden)
				writeFile("generated-example/a.txt", "x\n")(t, repo, golden)
			},
			files: committed,
			want:  []string{"a.txt", "b.txt"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			repo, golden := gitRepo(t, committed)
			if tt.edit != nil {
				tt.edit(t, repo, golden)
			}
			err := checkUpdateSafe(golden, tt.files)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("got %v, want no error", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("got no error, want a refusal naming %v", tt.want)
			}
			msg := err.Error()
			if !strings.Contains(msg, strings.Join(tt.want, ", ")+"; commit or discard them first") {
				t.Errorf("got %q, want it to name %v and say to commit or discard them", msg, tt.want)
			}
			if strings.Contains(msg, "\n") {
				t.Errorf("got a message of several lines, want one: %q", msg)
			}
		})
	}

	t.Run("not a git checkout", func(t *testing.T) {
		dir := t.TempDir()
		err := checkUpdateSafe(dir, committed)
		if err == nil || !strings.Contains(err.Error(), "cannot tell whether") {
			t.Errorf("got %v, want an error saying git cannot tell", err)
		}
	})
}

// gitRepo creates a git checkout with files committed under
// generated-example/, and returns the checkout and that directory.
func gitRepo(t *testing.T, files []generate.File) (repo, golden string) {
	t.Helper()
	repo = t.TempDir()
	golden = filepath.Join(repo, "generated-example")
	run(t, repo, "git", "init", "-q")
	for _, f := range files {
		writeFile("generated-example/"+f.Path, string(f.Data))(t, repo, golden)
	}
	writeFile("README", "readme\n")(t, repo, golden)
	run(t, repo, "git", "add", ".")
	run(t, repo, "git", "-c", "user.name=test", "-c", "user.email=test@example.com", "commit", "-q", "-m", "golden")
	return repo, golden
}

// writeFile returns an edit that writes data to p, relative to the
// checkout.
func writeFile(p, data string) func(t *testing.T, repo, golden string) {
	return func(t *testing.T, repo, golden string) {
		t.Helper()
		full := filepath.Join(repo, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func run(t *testing.T, dir string, name string, args ...string) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	// The user's git configuration (hooks, signing) has no say here.
	cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL="+os.DevNull, "GIT_CONFIG_NOSYSTEM=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}
