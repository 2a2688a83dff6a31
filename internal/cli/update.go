package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/echocache/scaffold/internal/generate"
	"github.com/echocache/scaffold/internal/textdiff"
	"github.com/echocache/scaffold/internal/update"
)

// updateFlags are the flags of "scaffold update".
type updateFlags struct {
	dryRun     bool
	allowDirty bool
	base       string
	features   *featureFlags
}

// Exit statuses of "scaffold update" beyond 0 (done) and 1 (failed,
// nothing written).
const exitConflicts = 2

func newUpdateCommand(stdout io.Writer, tmpl generate.Template) *cobra.Command {
	var f updateFlags
	cmd := &cobra.Command{
		Use:   "update [DIR]",
		Short: "Bring an app up to this scaffold, keeping your edits",
		Long: `update brings the app in DIR (default: the current directory), which
scaffold new wrote, up to this version of scaffold, keeping every edit you
made. Its .scaffold.json says which version and options wrote it.

For each file it compares three versions: what the recorded version wrote
(the base, fetched like any Go module, through GOPROXY and the module
cache), what this version writes, and the file on disk:

  unchanged by you        it gets this version's content
  changed by you only     it is kept
  changed by both         the changes are merged as git merge-file does; where
                          both changed the same lines, the file gets conflict
                          markers and update exits with status 2
  new in this version     it is added (merged, if you have a file there)
  dropped by this version it is removed if unchanged, and kept if you edited it

Files scaffold never wrote are never touched. Everything is written or
nothing is, and .scaffold.json is rewritten last with the new version,
options and hashes, so a second update changes nothing.

--no-FEATURE drops a feature and --FEATURE adds one back, the same way:
the dropped feature's unchanged files are removed, edited ones kept.

update refuses to run in a git work tree with uncommitted changes, so that
what it does can be reviewed with git diff and undone with git checkout;
--allow-dirty runs it anyway. When the recorded version cannot be fetched
(a development build), --base names a checkout of it.

Exit status: 0 when done (or nothing to do), 1 when nothing was written
(an error, or a refusal), 2 when files were written with conflicts to
resolve.`,
		Example: `  scaffold update
  scaffold update ./shop --dry-run
  scaffold update --no-sessions
  scaffold update --base ../scaffold-old`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := "."
			if len(args) == 1 {
				dir = args[0]
			}
			return runUpdate(cmd.Context(), stdout, tmpl, filepath.Clean(dir), f)
		},
	}
	cmd.Flags().BoolVar(&f.dryRun, "dry-run", false, "print what would change, with diffs, and write nothing")
	cmd.Flags().BoolVar(&f.allowDirty, "allow-dirty", false, "run even when the git work tree has uncommitted changes")
	cmd.Flags().StringVar(&f.base, "base", "", "a checkout of the scaffold version that generated the app, when it cannot be fetched")
	f.features = addFeatureFlags(cmd.Flags(), tmpl, true)
	return cmd
}

func runUpdate(ctx context.Context, stdout io.Writer, tmpl generate.Template, dir string, f updateFlags) error {
	manifestFile := filepath.Join(dir, generate.ManifestPath)
	data, err := os.ReadFile(manifestFile)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("%s has no %s, so scaffold cannot tell what it wrote there: update works on apps that scaffold new wrote (a version that records %s)", dir, generate.ManifestPath, generate.ManifestPath)
	case err != nil:
		return fmt.Errorf("cannot read %s: %w", manifestFile, unwrapPath(err))
	}
	manifest, err := generate.ReadManifest(data)
	if err != nil {
		return fmt.Errorf("%s is not a scaffold manifest: %v", manifestFile, err)
	}
	// A feature that the recorded version did not know is on, as in new.
	recorded := tmpl.All()
	for _, feat := range tmpl.Features {
		if on, ok := manifest.Features[feat.Name]; ok {
			recorded[feat.Name] = on
		}
	}
	features, err := f.features.apply(recorded)
	if err != nil {
		return err
	}
	if !features["db"] && len(manifest.Resources) > 0 {
		return fmt.Errorf("the app's resources (%s) keep their records in the database: without the db feature they would not build; remove them first (nothing was written)", resourceNames(manifest.Resources))
	}
	theirs, err := tmpl.Generate(generate.Options{Module: manifest.Module, Features: features, Version: version(), Resources: manifest.Resources})
	if err != nil {
		return fmt.Errorf("render templates: %w", err)
	}
	if !f.allowDirty {
		if err := checkCommitted(dir, manifest, theirs); err != nil {
			return err
		}
	}
	base, err := fetchBase(ctx, manifest, f.base)
	if err != nil {
		return err
	}
	changes, err := update.Plan(update.Inputs{
		Manifest: manifest,
		Base:     base,
		Theirs:   theirs,
		Read: func(p string) ([]byte, error) {
			return os.ReadFile(filepath.Join(dir, filepath.FromSlash(p)))
		},
		Merge: update.GitMerge("yours", "scaffold "+manifest.Scaffold.Version, "scaffold "+version()),
	})
	if err != nil {
		return err
	}

	var writes []generate.File
	var removes, conflicts []string
	counts := make(map[update.Action]int)
	for _, c := range changes {
		counts[c.Action]++
		switch {
		case c.Action == update.Removed:
			removes = append(removes, c.Path)
		case c.Writes():
			writes = append(writes, generate.File{Path: c.Path, Data: c.Data, Mode: c.Mode})
		}
		if c.Action == update.Conflict {
			conflicts = append(conflicts, c.Path)
		}
	}
	for _, t := range theirs {
		if t.Path == generate.ManifestPath && !bytes.Equal(t.Data, data) {
			writes = append(writes, t) // last: it records everything else
		}
	}

	printChanges(stdout, dir, changes, f.dryRun)
	summary := fmt.Sprintf("updated %d, merged %d, conflicts %d, added %d, removed %d, kept %d",
		counts[update.Updated], counts[update.Merged], counts[update.Conflict], counts[update.Added], counts[update.Removed], counts[update.Kept])
	if f.dryRun {
		fmt.Fprintf(stdout, "%s; nothing was written (--dry-run).\n", summary)
		return nil
	}
	if len(writes) == 0 && len(removes) == 0 {
		fmt.Fprintf(stdout, "%s is up to date with scaffold %s (%s).\n", dir, version(), summary)
		return nil
	}
	if err := writeFiles(ctx, dir, writes, removes...); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: %s, from scaffold %s to %s.\n", dir, summary, manifest.Scaffold.Version, version())
	if len(conflicts) > 0 {
		fmt.Fprintf(stdout, "\n%d %s conflicts, marked <<<<<<< yours … >>>>>>> scaffold:\n", len(conflicts), plural(len(conflicts), "file has", "files have"))
		for _, p := range conflicts {
			fmt.Fprintf(stdout, "  %s\n", filepath.Join(dir, filepath.FromSlash(p)))
		}
		fmt.Fprintln(stdout, "Resolve them (git diff shows them), then commit.")
		return exitError{code: exitConflicts, err: fmt.Errorf("%d %s conflicts to resolve: %s", len(conflicts), plural(len(conflicts), "file has", "files have"), listPaths(conflicts))}
	}
	fmt.Fprintln(stdout, "Review the changes with git diff, run go test ./..., and commit.")
	return nil
}

// printChanges prints a line for every file the update changes or that
// needs the owner's attention, and with dryRun, the diff of each.
func printChanges(w io.Writer, dir string, changes []update.Change, dryRun bool) {
	// What a dry run would do.
	verbs := map[update.Action]string{
		update.Updated: "update", update.Merged: "merge", update.Conflict: "conflict",
		update.Added: "add", update.Removed: "remove", update.Kept: "keep",
	}
	for _, c := range changes {
		if c.Action == update.Kept && c.Note == "" || c.Action != update.Kept && c.Action != update.Removed && !c.Writes() {
			continue
		}
		verb := c.Action.String()
		if dryRun {
			verb = verbs[c.Action]
		}
		line := fmt.Sprintf("%-9s %s", verb, filepath.Join(dir, filepath.FromSlash(c.Path)))
		if c.Note != "" {
			line += " (" + c.Note + ")"
		}
		fmt.Fprintln(w, line)
		if dryRun && c.Action != update.Kept {
			var after []byte
			if c.Action != update.Removed {
				after = c.Data
			}
			fmt.Fprint(w, textdiff.Unified("a/"+c.Path, "b/"+c.Path, c.Ours, after, 200))
		}
	}
}

// checkCommitted refuses a git work tree with uncommitted changes to the
// files scaffold wrote or writes, or to any tracked file: update's
// changes are then all that git diff shows, and git checkout undoes them.
// Outside a work tree, or without git, there is nothing to check.
func checkCommitted(dir string, m generate.Manifest, theirs []generate.File) error {
	if _, err := exec.LookPath("git"); err != nil {
		return nil
	}
	prefix, err := gitOutput(dir, "rev-parse", "--show-prefix")
	if err != nil {
		return nil // not a work tree
	}
	ours := make(map[string]bool)
	for p := range m.Files {
		ours[p] = true
	}
	for _, f := range theirs {
		ours[f.Path] = true
	}
	status, err := gitOutput(dir, "status", "--porcelain=v1", "-z", "--untracked-files=all", "--", ".")
	if err != nil {
		return fmt.Errorf("cannot tell whether %s has uncommitted changes: %v (--allow-dirty runs update anyway)", dir, err)
	}
	var dirty []string
	prefix = strings.TrimSpace(prefix)
	entries := strings.Split(status, "\x00")
	for i := 0; i < len(entries); i++ {
		e := entries[i]
		if len(e) < 4 {
			continue
		}
		code, p := e[:2], strings.TrimPrefix(e[3:], prefix)
		if code[0] == 'R' || code[0] == 'C' {
			i++ // the entry's source path follows it
		}
		if code == "??" && !ours[p] {
			continue // a new file of the owner's, which update does not touch
		}
		dirty = append(dirty, p)
	}
	if len(dirty) > 0 {
		return fmt.Errorf("%s has uncommitted changes (%s): commit or stash them first, so that update's changes are all that git diff shows (--allow-dirty runs it anyway; nothing was written)", dir, listPaths(dirty))
	}
	return nil
}

func gitOutput(dir string, args ...string) (string, error) {
	cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("git %s: %v: %s", args[0], err, strings.TrimSpace(stderr.String()))
	}
	return stdout.String(), nil
}

// exitError is an error with the exit status the command should end with.
type exitError struct {
	code int
	err  error
}

func (e exitError) Error() string { return e.err.Error() }
func (e exitError) Unwrap() error { return e.err }

// ExitCode is the status the process should exit with.
func (e exitError) ExitCode() int { return e.code }

// resourceNames lists the resources' names: "product, order".
func resourceNames(rs []generate.ManifestResource) string {
	names := make([]string, len(rs))
	for i, r := range rs {
		names[i] = r.Name
	}
	return strings.Join(names, ", ")
}
