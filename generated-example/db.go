package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/echocache/scaffold/generated-example/internal/config"
	"github.com/echocache/scaffold/generated-example/internal/db"
)

// openDatabase opens the database that DATABASE_URL names, and says so in
// one log line; without DATABASE_URL it returns nil. The web process never
// migrates: a database whose schema is missing or behind stops it here. A
// database that does not answer is not fatal: what needs it gets 503
// until it is back.
func openDatabase(ctx context.Context, cfg config.Database, logger *slog.Logger) (*db.DB, error) {
	if cfg.URL == "" {
		logger.Info("database: none (DATABASE_URL is not set)")
		return nil, nil
	}
	d, err := db.Open(databaseOptions(cfg))
	if err != nil {
		return nil, err
	}
	var schemaErr *db.SchemaError
	switch err := d.CheckSchema(ctx); {
	case errors.As(err, &schemaErr):
		d.Close()
		return nil, fmt.Errorf(`%w: run "generated-example migrate" (locally: go run . migrate)`, err)
	case errors.Is(err, db.ErrUnavailable):
		logger.Error("database: PostgreSQL is not answering, so its schema is unchecked; what needs it gets 503 until it does", "err", err)
	case err != nil:
		d.Close()
		return nil, err
	default:
		logger.Info("database: PostgreSQL (DATABASE_URL is set)")
	}
	return d, nil
}

// migrate is the "migrate" command: the Procfile's release line runs it
// on every Heroku deploy, before the new web processes start. It applies
// the migrations that DATABASE_URL's database lacks, and does nothing
// when it is up to date. Without DATABASE_URL there is nothing to
// migrate, and that is not an error, so a deploy without a database still
// passes its release phase.
func migrate(ctx context.Context, getenv func(string) string, logger *slog.Logger) error {
	cfg, err := config.LoadDatabase(getenv)
	if err != nil {
		return err
	}
	if cfg.URL == "" {
		logger.Info("migrate: nothing to do: DATABASE_URL is not set")
		return nil
	}
	d, err := db.Open(databaseOptions(cfg))
	if err != nil {
		return err
	}
	defer d.Close()
	applied, err := d.Migrate(ctx, db.MigrateOptions{LockTimeout: cfg.MigrateLockTimeout, Timeout: cfg.MigrateTimeout})
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

func databaseOptions(cfg config.Database) db.Options {
	return db.Options{
		URL:            cfg.URL,
		MaxConns:       cfg.MaxConns,
		ConnectTimeout: cfg.ConnectTimeout,
		Timeout:        cfg.Timeout,
	}
}

// checkDatabase checks the database for the "check" command: it must be
// reachable, with the schema of this build of the app.
func checkDatabase(ctx context.Context, cfg config.Config, getenv func(string) string) []finding {
	dbCfg, err := config.LoadDatabase(getenv)
	switch {
	case err != nil:
		return []finding{{failed, "DATABASE_URL", err.Error()}}
	case dbCfg.URL == "" && cfg.OnHeroku:
		return []finding{{warning, "DATABASE_URL", "not set: the app runs without a database (heroku addons:create heroku-postgresql:essential-0)"}}
	case dbCfg.URL == "":
		return []finding{{ok, "DATABASE_URL", "not set: the app runs without a database"}}
	}
	d, err := db.Open(databaseOptions(dbCfg))
	if err != nil {
		return []finding{{failed, "database", err.Error()}}
	}
	defer d.Close()
	var schemaErr *db.SchemaError
	switch err := d.CheckSchema(ctx); {
	case errors.As(err, &schemaErr):
		return []finding{{failed, "database", fmt.Sprintf(`%v: run "generated-example migrate"`, err)}}
	case err != nil:
		return []finding{{failed, "database", err.Error()}}
	}
	return []finding{{ok, "database", "PostgreSQL answered, and its schema is this build's"}}
}
