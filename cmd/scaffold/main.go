// Command scaffold writes a ready-to-deploy Echo web app wired for memcached
// caching and server-side sessions, with the files that deploy it to Heroku
// with the MemCachier add-on.
//
// Usage:
//
//	scaffold new NAME [--module PATH] [--no-demo] [--no-db] [--no-sessions] [--force] [--dry-run]
//	scaffold update [DIR] [--dry-run] [--allow-dirty] [--base DIR] [--no-FEATURE | --FEATURE]...
//	scaffold version
//
// Run "scaffold help new" and "scaffold help update" for the details.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/echocache/scaffold/internal/cli"
)

func main() {
	// Ctrl-C or SIGTERM cancels the context instead of killing the process,
	// so that "new" can undo a half-written project before it exits. A
	// second one kills it as usual.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop()
	}()
	err := cli.NewRootCommand(os.Stdout, os.Stderr).ExecuteContext(ctx)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "scaffold:", err)
		// "update" exits with 2 when it wrote files with conflicts.
		var status interface{ ExitCode() int }
		if errors.As(err, &status) {
			os.Exit(status.ExitCode())
		}
		os.Exit(1)
	}
}
