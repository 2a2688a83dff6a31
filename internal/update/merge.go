package update

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// GitMerge returns a merge function for Inputs.Merge that runs git
// merge-file, so that merges and conflict markers are exactly git's. The
// labels name each side in the markers: <<<<<<< ours, >>>>>>> theirs
// (and base, which git prints with its diff3 conflict style).
func GitMerge(ours, base, theirs string) func(path string, b, o, t []byte) ([]byte, bool, error) {
	return func(path string, b, o, t []byte) ([]byte, bool, error) {
		if _, err := exec.LookPath("git"); err != nil {
			return nil, false, fmt.Errorf("merge %s: scaffold update merges the files that you and scaffold both changed with git merge-file, and git is not installed", path)
		}
		dir, err := os.MkdirTemp("", "scaffold-merge-")
		if err != nil {
			return nil, false, fmt.Errorf("merge %s: %w", path, err)
		}
		defer os.RemoveAll(dir)
		names := []string{filepath.Join(dir, "ours"), filepath.Join(dir, "base"), filepath.Join(dir, "theirs")}
		for i, data := range [][]byte{o, b, t} {
			if err := os.WriteFile(names[i], data, 0o600); err != nil {
				return nil, false, fmt.Errorf("merge %s: %w", path, err)
			}
		}
		cmd := exec.Command("git", "merge-file", "-p", "-L", ours+" "+path, "-L", base+" "+path, "-L", theirs+" "+path, names[0], names[1], names[2])
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err = cmd.Run()
		// git merge-file exits with the number of conflicts, and with a
		// status over 127 or a signal when it fails.
		var exit *exec.ExitError
		switch {
		case err == nil:
			return stdout.Bytes(), false, nil
		case errors.As(err, &exit) && exit.ExitCode() > 0 && exit.ExitCode() <= 127:
			return stdout.Bytes(), true, nil
		default:
			return nil, false, fmt.Errorf("merge %s: git merge-file: %v: %s", path, err, strings.TrimSpace(stderr.String()))
		}
	}
}
