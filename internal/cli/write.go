package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/echocache/scaffold/internal/generate"
)

// checkTarget refuses a target that cannot take the files: a non-directory,
// a non-empty directory without --force, or (with --force) a path where a
// file would replace a directory, a directory would replace a file, or a
// write would follow a symbolic link out of the project. It writes nothing.
func checkTarget(dir string, files []generate.File, force bool) error {
	info, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return checkAncestors(dir)
	case err != nil:
		return fmt.Errorf("cannot use %s: %w", dir, unwrapPath(err))
	case !info.IsDir():
		return fmt.Errorf("%s exists and is not a directory: choose another NAME", dir)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("cannot read %s: %w", dir, unwrapPath(err))
	}
	if len(entries) == 0 {
		return nil
	}
	if !force {
		return fmt.Errorf("directory %s is not empty: choose a new NAME, or add --force to write the app's files into it (other files are kept)", dir)
	}
	for _, f := range files {
		if err := checkPath(dir, f.Path); err != nil {
			return err
		}
	}
	return nil
}

// checkAncestors makes sure the nearest existing ancestor of a new
// directory is a directory, so the error names the real problem.
func checkAncestors(dir string) error {
	for p := filepath.Dir(dir); ; p = filepath.Dir(p) {
		info, err := os.Stat(p)
		if err == nil {
			if !info.IsDir() {
				return fmt.Errorf("cannot create %s: %s is not a directory", dir, p)
			}
			return nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("cannot create %s: %w", dir, unwrapPath(err))
		}
		if parent := filepath.Dir(p); parent == p {
			return nil
		}
	}
}

// checkPath checks one generated file against what is already on disk.
func checkPath(dir, rel string) error {
	elems := strings.Split(rel, "/")
	p := dir
	for i, e := range elems {
		p = filepath.Join(p, e)
		info, err := os.Lstat(p)
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("cannot use %s: %w", p, unwrapPath(err))
		}
		last := i == len(elems)-1
		switch {
		case info.Mode()&fs.ModeSymlink != 0:
			return fmt.Errorf("%s is a symbolic link: remove it or choose another directory (--force does not write through links)", p)
		case last && info.IsDir():
			return fmt.Errorf("%s is a directory where the app has a file: move it away or choose another directory", p)
		case !last && !info.IsDir():
			return fmt.Errorf("%s is a file where the app has a directory: move it away or choose another directory", p)
		}
	}
	return nil
}

// writeFiles writes files under dir. Each file is written to a temporary
// name and renamed into place, so no file is ever half-written. If any step
// fails, everything this call did is undone: new files and directories are
// removed and replaced files get their old content back.
func writeFiles(dir string, files []generate.File) (err error) {
	var tx transaction
	defer func() {
		if err != nil {
			tx.rollback()
			err = fmt.Errorf("%w (nothing was left behind)", err)
		}
	}()
	if err := tx.mkdirAll(dir); err != nil {
		return err
	}
	for _, f := range files {
		p := filepath.Join(dir, filepath.FromSlash(f.Path))
		if err := tx.mkdirAll(filepath.Dir(p)); err != nil {
			return err
		}
		if err := tx.writeFile(p, f.Data, f.Mode); err != nil {
			return err
		}
	}
	return nil
}

// transaction records what writeFiles changed so that it can be undone.
type transaction struct {
	created  []string // files and directories, in creation order
	replaced []original
}

// original is a file's content before writeFiles replaced it.
type original struct {
	path string
	data []byte
	mode fs.FileMode
}

func (tx *transaction) mkdirAll(dir string) error {
	var missing []string
	for p := dir; ; p = filepath.Dir(p) {
		if _, err := os.Stat(p); err == nil {
			break
		}
		missing = append(missing, p)
		if filepath.Dir(p) == p {
			break
		}
	}
	for i := len(missing) - 1; i >= 0; i-- {
		if err := os.Mkdir(missing[i], 0o755); err != nil {
			return fmt.Errorf("create directory %s: %w", missing[i], unwrapPath(err))
		}
		tx.created = append(tx.created, missing[i])
	}
	return nil
}

func (tx *transaction) writeFile(p string, data []byte, mode fs.FileMode) error {
	old, err := os.ReadFile(p)
	existed := err == nil
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("read %s before replacing it: %w", p, unwrapPath(err))
	}
	var oldMode fs.FileMode
	if existed {
		info, err := os.Stat(p)
		if err != nil {
			return fmt.Errorf("stat %s: %w", p, unwrapPath(err))
		}
		oldMode = info.Mode().Perm()
	}
	if err := atomicWrite(p, data, mode); err != nil {
		return fmt.Errorf("write %s: %w", p, err)
	}
	if existed {
		tx.replaced = append(tx.replaced, original{p, old, oldMode})
	} else {
		tx.created = append(tx.created, p)
	}
	return nil
}

// rollback undoes the transaction in reverse order. It removes only what
// the transaction created, and os.Remove leaves a directory that someone
// else has put files into.
func (tx *transaction) rollback() {
	for i := len(tx.replaced) - 1; i >= 0; i-- {
		o := tx.replaced[i]
		_ = atomicWrite(o.path, o.data, o.mode)
	}
	for i := len(tx.created) - 1; i >= 0; i-- {
		_ = os.Remove(tx.created[i])
	}
}

// atomicWrite writes data to a temporary file beside p and renames it over p.
func atomicWrite(p string, data []byte, mode fs.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(p), ".scaffold-*")
	if err != nil {
		return unwrapPath(err)
	}
	defer os.Remove(tmp.Name()) // no-op after a successful rename
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return unwrapPath(err)
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return unwrapPath(err)
	}
	if err := tmp.Close(); err != nil {
		return unwrapPath(err)
	}
	return unwrapPath(os.Rename(tmp.Name(), p))
}

// unwrapPath drops the operation and path from an *fs.PathError, whose
// message the callers already give with better context.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.Err
	}
	return err
}
