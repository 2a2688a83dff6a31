package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
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

// writeFiles writes files under dir and removes the files remove (paths
// relative to dir), all or nothing. Each file is written
// to a temporary name and renamed into place, so no file is ever
// half-written. A file it replaces is first renamed aside, not copied:
// keeping it costs no disk space, and putting it back is a rename, which
// works even when the disk is full or a quota is reached. A file to remove
// is set aside the same way. The set-aside files are deleted once every
// file is written, and then the directories that removing files left
// empty.
//
// If a step fails, or ctx is cancelled (Ctrl-C, SIGTERM) before the last
// file, everything this call did is undone: new files and directories are
// removed and replaced files are renamed back. If undoing itself fails, the
// error names each file that could not be put back and where its old
// content is.
func writeFiles(ctx context.Context, dir string, files []generate.File, remove ...string) (err error) {
	tx := transaction{root: dir}
	defer func() {
		if err == nil {
			err = tx.commit()
			return
		}
		if rerr := tx.rollback(); rerr != nil {
			err = fmt.Errorf("%w; undoing it failed: %w", err, rerr)
		} else {
			err = fmt.Errorf("%w (nothing was left behind)", err)
		}
	}()
	if err := tx.mkdirAll(dir); err != nil {
		return err
	}
	for _, f := range files {
		if ctx.Err() != nil {
			return fmt.Errorf("interrupted: %w", context.Cause(ctx))
		}
		p := filepath.Join(dir, filepath.FromSlash(f.Path))
		if err := tx.mkdirAll(filepath.Dir(p)); err != nil {
			return err
		}
		if err := tx.writeFile(p, f.Data, f.Mode); err != nil {
			return err
		}
	}
	for _, rel := range remove {
		if ctx.Err() != nil {
			return fmt.Errorf("interrupted: %w", context.Cause(ctx))
		}
		if err := tx.removeFile(filepath.Join(dir, filepath.FromSlash(rel))); err != nil {
			return err
		}
	}
	return nil
}

// transaction records what writeFiles changed so that it can be undone.
type transaction struct {
	root     string   // the project directory: never removed as empty
	created  []string // files and directories, in creation order
	replaced []setAside
	removed  []setAside
}

// setAside is a file that writeFiles replaced, renamed to a name beside it.
type setAside struct {
	path, old string
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

// writeFile writes p in full under a temporary name, sets aside the file
// it replaces, if any, and renames the new one into place.
func (tx *transaction) writeFile(p string, data []byte, mode fs.FileMode) error {
	tmp, err := writeTemp(filepath.Dir(p), data, mode)
	if err != nil {
		return fmt.Errorf("write %s: %w", p, err)
	}
	defer os.Remove(tmp) // no-op after a successful rename
	_, err = os.Lstat(p)
	existed := err == nil
	switch {
	case existed:
		old, err := renameAside(p)
		if err != nil {
			return fmt.Errorf("set aside %s before replacing it: %w", p, err)
		}
		tx.replaced = append(tx.replaced, setAside{path: p, old: old})
	case !errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("stat %s: %w", p, unwrapPath(err))
	}
	if err := os.Rename(tmp, p); err != nil {
		return fmt.Errorf("write %s: %w", p, unwrapPath(err))
	}
	if !existed {
		tx.created = append(tx.created, p)
	}
	return nil
}

// removeFile sets p aside, to be deleted when the transaction commits.
func (tx *transaction) removeFile(p string) error {
	old, err := renameAside(p)
	if err != nil {
		return fmt.Errorf("remove %s: %w", p, err)
	}
	tx.removed = append(tx.removed, setAside{path: p, old: old})
	return nil
}

// commit deletes the set-aside files once every new file is in place,
// then the directories that the removed files leave empty, up to the
// project directory.
func (tx *transaction) commit() error {
	var left []string
	for _, r := range slices.Concat(tx.replaced, tx.removed) {
		if err := os.Remove(r.old); err != nil {
			left = append(left, r.old)
		}
	}
	for _, r := range tx.removed {
		rel, err := filepath.Rel(tx.root, r.path)
		if err != nil {
			continue
		}
		for d := filepath.Dir(rel); d != "." && d != ".."; d = filepath.Dir(d) {
			if os.Remove(filepath.Join(tx.root, d)) != nil {
				break // not empty
			}
		}
	}
	if len(left) > 0 {
		return fmt.Errorf("wrote every file, but could not remove the old copies %s: delete them by hand", strings.Join(left, ", "))
	}
	return nil
}

// rollback undoes the transaction in reverse order: replaced files are
// renamed back, then what the transaction created is removed (os.Remove
// leaves a directory that someone else has put files into). It goes on
// past a failure and reports every file it could not put back.
func (tx *transaction) rollback() error {
	var problems []string
	for i := len(tx.removed) - 1; i >= 0; i-- {
		r := tx.removed[i]
		if err := os.Rename(r.old, r.path); err != nil {
			problems = append(problems, fmt.Sprintf("%s was not restored (its content is in %s: %v)", r.path, r.old, unwrapPath(err)))
		}
	}
	for i := len(tx.replaced) - 1; i >= 0; i-- {
		r := tx.replaced[i]
		if err := os.Rename(r.old, r.path); err != nil {
			problems = append(problems, fmt.Sprintf("%s was not restored (its old content is in %s: %v)", r.path, r.old, unwrapPath(err)))
		}
	}
	for i := len(tx.created) - 1; i >= 0; i-- {
		if err := os.Remove(tx.created[i]); err != nil && !errors.Is(err, fs.ErrNotExist) {
			if info, serr := os.Stat(tx.created[i]); serr == nil && info.IsDir() {
				continue // someone else's files are in it now
			}
			problems = append(problems, fmt.Sprintf("%s was not removed (%v)", tx.created[i], unwrapPath(err)))
		}
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "; "))
	}
	return nil
}

// renameAside renames p to a new hidden name in its directory and returns
// that name.
func renameAside(p string) (string, error) {
	f, err := os.CreateTemp(filepath.Dir(p), "."+filepath.Base(p)+".scaffold-old-*")
	if err != nil {
		return "", unwrapPath(err)
	}
	f.Close()
	if err := os.Rename(p, f.Name()); err != nil {
		os.Remove(f.Name())
		return "", unwrapPath(err)
	}
	return f.Name(), nil
}

// writeTemp writes data with mode to a new temporary file in dir and
// returns its name. Nothing is left behind when it fails.
func writeTemp(dir string, data []byte, mode fs.FileMode) (string, error) {
	tmp, err := os.CreateTemp(dir, ".scaffold-*")
	if err != nil {
		return "", unwrapPath(err)
	}
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Chmod(mode)
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp.Name())
		return "", unwrapPath(err)
	}
	return tmp.Name(), nil
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
