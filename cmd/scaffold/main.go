// Command scaffold writes a ready-to-deploy Echo web app wired for memcached
// caching and server-side sessions, with the files that deploy it to Heroku
// with the MemCachier add-on.
//
// Usage:
//
//	scaffold new NAME [--module PATH] [--force] [--dry-run]
//	scaffold version
//
// Run "scaffold help new" for the details.
package main

import (
	"fmt"
	"os"

	"github.com/echocache/scaffold/internal/cli"
)

func main() {
	if err := cli.NewRootCommand(os.Stdout, os.Stderr).Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "scaffold:", err)
		os.Exit(1)
	}
}
