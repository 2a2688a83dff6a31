// Package cli builds the scaffold command line. Commands are built by
// constructors that take their output streams, so tests run them in-process.
package cli

import (
	"io"
	"runtime/debug"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/mod/module"

	"github.com/echocache/scaffold"
	"github.com/echocache/scaffold/internal/generate"
)

// NewRootCommand returns the scaffold command with its subcommands. It
// writes normal output to stdout and diagnostics to stderr; errors are
// returned, not printed, so the caller prints each one once.
func NewRootCommand(stdout, stderr io.Writer) *cobra.Command {
	return newRootCommand(stdout, stderr, scaffold.Template())
}

// newRootCommand is NewRootCommand for the template tmpl: tests give it
// features of their own.
func newRootCommand(stdout, stderr io.Writer, tmpl generate.Template) *cobra.Command {
	root := &cobra.Command{
		Use:   "scaffold",
		Short: "Write a ready-to-deploy Echo app with memcached caching and sessions",
		Long: `scaffold writes a Go web app built on Echo v4, wired with memcached caching
(bradfitz/gomemcache), memoization, template fragment caching and server-side
sessions (gorilla/sessions), plus the files that deploy it to Heroku with the
MemCachier add-on.

The app runs with no services at all: without MEMCACHIER_SERVERS it caches in
memory. Start with:

  scaffold new github.com/you/shop`,
		Version:       version(),
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetVersionTemplate("scaffold {{.Version}}\n")
	root.AddCommand(newNewCommand(stdout, tmpl), newUpdateCommand(stdout, tmpl), newGenerateCommand(stdout, scaffold.Resource()), newVersionCommand(stdout))
	return root
}

// newVersionCommand prints the version that "go install …@version" recorded.
func newVersionCommand(stdout io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the scaffold version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			_, err := io.WriteString(stdout, "scaffold "+version()+"\n")
			return err
		},
	}
}

// version is the module version of the running binary, which an app's
// .scaffold.json records so that a later scaffold can fetch the templates
// that wrote it. "go install …@version" records a release version or a
// pseudo-version, and so does a build in a git checkout (Go 1.24 and
// later, with "+dirty" when there are uncommitted changes). Otherwise a
// build that recorded its VCS revision and time gets the pseudo-version
// they make, and one that did not gets "(devel)".
func version() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "(devel)"
	}
	if v := info.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	var rev, at string
	var modified bool
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.time":
			at = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	t, err := time.Parse(time.RFC3339, at)
	if len(rev) < 12 || err != nil {
		return "(devel)"
	}
	v := module.PseudoVersion("v0", "", t, rev[:12])
	if modified {
		v += "+dirty"
	}
	return v
}
