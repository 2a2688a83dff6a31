package main

import (
	"context"
	"log/slog"

	"github.com/echocache/scaffold/generated-example/internal/config"
	"github.com/echocache/scaffold/generated-example/internal/web"
)

// run builds the app from the environment and serves until ctx is done.
func run(ctx context.Context, getenv func(string) string, logger *slog.Logger) error {
	cfg, err := config.Load(getenv)
	if err != nil {
		return err
	}
	sessionsCfg, err := config.LoadSessions(getenv)
	if err != nil {
		return err
	}
	databaseCfg, err := config.LoadDatabase(getenv)
	if err != nil {
		return err
	}

	store, err := newCache(cfg, logger)
	if err != nil {
		return err
	}
	defer store.Close()

	taskStore, closeTasks, err := newTaskStore(ctx, databaseCfg, logger)
	if err != nil {
		return err
	}
	defer closeTasks()

	srv, err := web.NewServer(cfg, store, logger)
	if err != nil {
		return err
	}
	srv.UseSessions(newSessionStore(sessionsCfg, store, logger))
	srv.ServeTasks(taskStore)
	return serve(ctx, cfg, srv, logger)
}
