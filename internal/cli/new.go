package cli

import (
	"context"
	"fmt"
	"io"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/echocache/scaffold"
	"github.com/echocache/scaffold/internal/generate"
)

// newFlags are the flags of "scaffold new".
type newFlags struct {
	module     string
	force      bool
	dryRun     bool
	noDemo     bool
	noSessions bool
}

func newNewCommand(stdout io.Writer) *cobra.Command {
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
directory: it replaces the files the app consists of and leaves every other
file alone. If writing fails midway or is interrupted (Ctrl-C), the files this
run wrote are removed and the ones it replaced are restored.

By default the app has everything: the task list demo (its data in
PostgreSQL) and server-side sessions. --no-demo leaves out the task list and
its database, for a home page to replace with your own routes; --no-sessions
leaves out sessions and the demo's log-in pages. Either way the files that
are left out are not there at all, and go.mod needs only what the app uses.`,
		Example: `  scaffold new github.com/acme/shop
  scaffold new ../shop --module github.com/acme/shop --dry-run
  scaffold new github.com/acme/api --no-demo --no-sessions`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return fmt.Errorf("new takes exactly one NAME (got %d): run scaffold new NAME, for example scaffold new github.com/acme/shop", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return runNew(cmd.Context(), stdout, args[0], f)
		},
	}
	cmd.Flags().StringVar(&f.module, "module", "", "module path of the new app (default: derived from NAME)")
	cmd.Flags().BoolVar(&f.force, "force", false, "write into a non-empty directory, replacing only the app's own files")
	cmd.Flags().BoolVar(&f.dryRun, "dry-run", false, "list the files that would be written and write nothing")
	cmd.Flags().BoolVar(&f.noDemo, "no-demo", false, "leave out the task list demo and its database: a home page to replace with your own routes")
	cmd.Flags().BoolVar(&f.noSessions, "no-sessions", false, "leave out server-side sessions and the demo's log-in pages")
	return cmd
}

func runNew(ctx context.Context, stdout io.Writer, name string, f newFlags) error {
	target, err := generate.Resolve(name, f.module)
	if err != nil {
		return err
	}
	opts := target.Options
	opts.Demo = !f.noDemo
	opts.Sessions = !f.noSessions
	files, err := generate.Generate(scaffold.Templates(), opts)
	if err != nil {
		return fmt.Errorf("render templates: %w", err)
	}
	if err := checkTarget(target.Dir, files, f.force); err != nil {
		return err
	}
	if f.dryRun {
		for _, file := range files {
			fmt.Fprintln(stdout, filepath.Join(target.Dir, filepath.FromSlash(file.Path)))
		}
		fmt.Fprintf(stdout, "\n%d files would be written; nothing was written (--dry-run).\n", len(files))
		return nil
	}
	if err := writeFiles(ctx, target.Dir, files); err != nil {
		return err
	}
	printNextSteps(stdout, target.Dir, opts, len(files))
	return nil
}

// printNextSteps tells the user how to run, test and deploy the app they
// got: only the services and settings its features use.
func printNextSteps(w io.Writer, dir string, opts generate.Options, n int) {
	fmt.Fprintf(w, "Wrote %d files for %s in %s.\n\n", n, opts.Module, dir)
	if opts.Demo {
		fmt.Fprint(w, `Run it locally (no services needed; set MEMCACHIER_SERVERS to use memcached,
and DATABASE_URL, then "go run . migrate", to keep the tasks in PostgreSQL):
`)
	} else {
		fmt.Fprint(w, "Run it locally (no services needed; set MEMCACHIER_SERVERS to use memcached):\n")
	}
	fmt.Fprintf(w, `  cd %s
  go run .          # http://localhost:5000
  go test ./...

`, dir)
	if opts.Demo {
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
	if opts.Demo {
		fmt.Fprintln(w, "  heroku addons:create heroku-postgresql:essential-0")
	}
	if opts.Sessions {
		fmt.Fprintln(w, "  heroku config:set SESSION_SECRET=$(openssl rand -hex 32)")
	}
	fmt.Fprintln(w, "  git push heroku HEAD:main")
}
