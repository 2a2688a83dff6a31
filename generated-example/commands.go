package main

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/echocache/scaffold/generated-example/internal/config"
)

// dispatch runs the command that args name: none serves the app, and
// "migrate" applies the database migrations.
func dispatch(ctx context.Context, args []string, getenv func(string) string, logger *slog.Logger) error {
	switch {
	case len(args) == 0:
		return run(ctx, getenv, logger)
	case len(args) == 1 && args[0] == "migrate":
		return migrate(ctx, getenv, logger)
	}
	return fmt.Errorf("unknown command %q: run with no arguments to serve, or with \"migrate\" to apply the database migrations", strings.Join(args, " "))
}

// migrate is the "migrate" command: the Procfile's release line runs it
// on every Heroku deploy, before the new web processes start. It applies
// the migrations that DATABASE_URL's database lacks, and
// does nothing when it is up to date. Without DATABASE_URL the tasks are in
// memory: there is nothing to migrate, and that is not an error, so a
// deploy without a database still passes its release phase.
func migrate(ctx context.Context, getenv func(string) string, logger *slog.Logger) error {
	cfg, err := config.LoadDatabase(getenv)
	if err != nil {
		return err
	}
	if cfg.URL == "" {
		logger.Info("migrate: nothing to do: DATABASE_URL is not set, so the tasks are kept in memory")
		return nil
	}
	db, err := openPostgres(cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	applied, err := db.Migrate(ctx)
	for _, r := range applied {
		logger.Info("migrate: applied", "migration", r.Source.Path, "duration", r.Duration)
	}
	if err != nil {
		return err
	}
	if len(applied) == 0 {
		logger.Info("migrate: the database schema is up to date")
	}
	return nil
}
