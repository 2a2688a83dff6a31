// Command generated-example serves the generated-example web app.
//
// It reads its configuration from the environment (see README.md), listens
// on $PORT (5000 by default) and shuts down gracefully on SIGTERM, which is
// how Heroku stops a dyno. With an argument it runs one of its commands
// instead (see run.go).
package main

import (
	"context"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	logger := slog.New(slog.NewTextHandler(os.Stdout, nil))
	if err := dispatch(ctx, os.Args[1:], os.Getenv, logger); err != nil {
		logger.Error("exit", "err", err)
		os.Exit(1)
	}
}
