package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/echocache/scaffold/generated-example/internal/config"
	"github.com/echocache/scaffold/generated-example/internal/tasks"
)

// newTaskStore returns the PostgreSQL store when DATABASE_URL is set and
// the in-memory one otherwise, and says which in one log line, with a
// function that closes it. The web process never migrates: a database
// whose schema is missing or behind stops it here. A database that does
// not answer is not fatal: pages that need it get 503 until it is back.
func newTaskStore(ctx context.Context, cfg config.Database, logger *slog.Logger) (tasks.Store, func(), error) {
	if cfg.URL == "" {
		logger.Info("tasks: in memory, for this process only (DATABASE_URL is not set)")
		return tasks.NewMemory(), func() {}, nil
	}
	db, err := openPostgres(cfg)
	if err != nil {
		return nil, nil, err
	}
	var schemaErr *tasks.SchemaError
	switch err := db.CheckSchema(ctx); {
	case errors.As(err, &schemaErr):
		db.Close()
		return nil, nil, fmt.Errorf(`%w: run "generated-example migrate" (locally: go run . migrate)`, err)
	case errors.Is(err, tasks.ErrUnavailable):
		logger.Error("tasks: PostgreSQL is not answering, so its schema is unchecked; pages that need it get 503 until it does", "err", err)
	case err != nil:
		db.Close()
		return nil, nil, err
	default:
		logger.Info("tasks: PostgreSQL (DATABASE_URL is set)")
	}
	return db, db.Close, nil
}

func openPostgres(cfg config.Database) (*tasks.Postgres, error) {
	return tasks.OpenPostgres(tasks.PostgresOptions{
		URL:            cfg.URL,
		MaxConns:       cfg.MaxConns,
		ConnectTimeout: cfg.ConnectTimeout,
		Timeout:        cfg.Timeout,
	})
}
