package cli

import (
	"context"
	"fmt"
	"io"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/echocache/scaffold/internal/generate"
)

// newFlags are the flags of "scaffold new".
type newFlags struct {
	module   string
	force    bool
	dryRun   bool
	features *featureFlags
}

func newNewCommand(stdout io.Writer, tmpl generate.Template) *cobra.Command {
	var f newFlags
	cmd := &cobra.Command{
		Use:   "new NAME",
		Short: "Write a new app into a new directory",
		Long: `new writes a new app into a new directory.

NAME is a module path or a directory:

  scaffold new shop                        module shop, directory ./shop
  scaffold new github.com/acme/shop        module github.com/acme/shop, directory ./shop
  scaffold new github.com/acme/shop/v2     module github.com/acme/shop/v2, directory ./shop
  scaffold new ../shop --module github.com/acme/shop

A NAME that starts with ./ or ../ or is absolute is a directory; its last
element is the module path unless --module says otherwise.

The directory must not exist or be empty. --force writes into a non-empty
directory: it replaces the files the app consists of, names each one, and
leaves every other file alone. When the directory holds an app that
scaffold wrote (its .scaffold.json lists the files), the files of features
that the new options leave out are removed if they are unchanged, and an
edited one stops the run before anything is written. Without
.scaffold.json, --force refuses when files of a left-out feature are there.
If writing fails midway or is interrupted (Ctrl-C), the files this run
wrote are removed and the ones it replaced or removed are restored.

By default the app has everything: PostgreSQL (db), the task list demo
(which keeps its tasks there) and server-side sessions. --no-demo leaves
out the task list, for a home page to replace with your own routes, and
keeps the database and its migrations ready for your tables; --no-db
leaves out PostgreSQL too; --no-sessions leaves out sessions and the
log-in pages. Either way the files that are left out are not there at
all, and go.mod needs only what the app uses.

The app records what generated it in .scaffold.json: commit it.`,
		Example: `  scaffold new github.com/acme/shop
  scaffold new ../shop --module github.com/acme/shop --dry-run
  scaffold new github.com/acme/api --no-demo --no-db --no-sessions`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return fmt.Errorf("new takes exactly one NAME (got %d): run scaffold new NAME, for example scaffold new github.com/acme/shop", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return runNew(cmd.Context(), stdout, tmpl, args[0], f)
		},
	}
	cmd.Flags().StringVar(&f.module, "module", "", "module path of the new app (default: derived from NAME)")
	cmd.Flags().BoolVar(&f.force, "force", false, "write into a non-empty directory, replacing only the app's own files")
	cmd.Flags().BoolVar(&f.dryRun, "dry-run", false, "list the files that would be written and write nothing")
	f.features = addFeatureFlags(cmd.Flags(), tmpl, false)
	return cmd
}

func runNew(ctx context.Context, stdout io.Writer, tmpl generate.Template, name string, f newFlags) error {
	target, err := generate.Resolve(name, f.module)
	if err != nil {
		return err
	}
	opts := target.Options
	if opts.Features, err = f.features.apply(tmpl.All()); err != nil {
		return err
	}
	opts.Version = version()
	files, err := tmpl.Generate(opts)
	if err != nil {
		return fmt.Errorf("render templates: %w", err)
	}
	if err := checkTarget(target.Dir, files, f.force); err != nil {
		return err
	}
	plan, err := planForce(target.Dir, tmpl, opts, files)
	if err != nil {
		return err
	}
	if f.dryRun {
		for _, file := range files {
			fmt.Fprintln(stdout, filepath.Join(target.Dir, filepath.FromSlash(file.Path)))
		}
		plan.print(stdout, target.Dir, true)
		fmt.Fprintf(stdout, "\n%d files would be written; nothing was written (--dry-run).\n", len(files))
		return nil
	}
	if err := writeFiles(ctx, target.Dir, manifestLast(files), plan.removed...); err != nil {
		return err
	}
	plan.print(stdout, target.Dir, false)
	printNextSteps(stdout, target.Dir, opts, len(files))
	return nil
}

// manifestLast returns files with .scaffold.json moved to the end, so that
// the record of what was written is written after everything it records.
func manifestLast(files []generate.File) []generate.File {
	out := make([]generate.File, 0, len(files))
	var manifest []generate.File
	for _, f := range files {
		if f.Path == generate.ManifestPath {
			manifest = append(manifest, f)
		} else {
			out = append(out, f)
		}
	}
	return append(out, manifest...)
}

// printNextSteps tells the user how to run, test and deploy the app they
// got: only the services and settings its features use.
func printNextSteps(w io.Writer, dir string, opts generate.Options, n int) {
	fmt.Fprintf(w, "Wrote %d files for %s in %s (commit %s with them: it records what scaffold wrote).\n\n", n, opts.Module, dir, generate.ManifestPath)
	db := opts.Features["db"]
	if db {
		fmt.Fprint(w, `Run it locally (no services needed; set MEMCACHIER_SERVERS to use memcached,
and DATABASE_URL, then "go run . migrate", to keep the data in PostgreSQL):
`)
	} else {
		fmt.Fprint(w, "Run it locally (no services needed; set MEMCACHIER_SERVERS to use memcached):\n")
	}
	fmt.Fprintf(w, `  cd %s
  go run .          # http://localhost:5000
  go test ./...

`, dir)
	if db {
		fmt.Fprint(w, `Deploy to Heroku with MemCachier and Heroku Postgres (the Procfile's release
line runs the migrations on every deploy):
`)
	} else {
		fmt.Fprint(w, "Deploy to Heroku with MemCachier:\n")
	}
	fmt.Fprintf(w, `  git init && git add -A && git commit -m "Create %s"
  heroku create
  heroku addons:create memcachier:dev
`, opts.Name())
	if db {
		fmt.Fprintln(w, "  heroku addons:create heroku-postgresql:essential-0")
	}
	fmt.Fprintln(w, "  heroku config:set DASHBOARD_PASSWORD=$(openssl rand -hex 16)")
	if opts.Features["sessions"] {
		fmt.Fprintln(w, "  heroku config:set SESSION_SECRET=$(openssl rand -hex 32)")
	}
	fmt.Fprintln(w, "  git push heroku HEAD:main")
}
