// Package cli builds the scaffold command line. Commands are built by
// constructors that take their output streams, so tests run them in-process.
package cli

import (
	"io"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// NewRootCommand returns the scaffold command with its subcommands. It
// writes normal output to stdout and diagnostics to stderr; errors are
// returned, not printed, so the caller prints each one once.
func NewRootCommand(stdout, stderr io.Writer) *cobra.Command {
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
	root.AddCommand(newNewCommand(stdout), newVersionCommand(stdout))
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

// version is the module version of the running binary: a release tag when
// installed with "go install …@latest", "(devel)" in a local build.
func version() string {
	if info, ok := debug.ReadBuildInfo(); ok && info.Main.Version != "" {
		return info.Main.Version
	}
	return "(devel)"
}
