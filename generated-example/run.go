package main

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/echocache/scaffold/generated-example/internal/config"
	"github.com/echocache/scaffold/generated-example/internal/web"
)

// command is one of the program's commands: "generated-example NAME" runs it.
type command struct {
	name string
	help string
	run  func(ctx context.Context, getenv func(string) string, logger *slog.Logger) error
}

// commands are the program's commands. With no argument it serves the app.
var commands = []command{
	{"migrate", "apply the database migrations", migrate},
	{"check", "check the configuration and the services before a deploy", runCheck},
}

// checks are the deploy checks of the app's parts, which the "check"
// command runs in this order.
var checks = []deployCheck{
	checkCore,
	checkSessions,
	checkDatabase,
}

// dispatch runs the command that args name, or serves the app when they
// name none.
func dispatch(ctx context.Context, args []string, getenv func(string) string, logger *slog.Logger) error {
	if len(args) == 0 {
		return run(ctx, getenv, logger)
	}
	var known []string
	for _, c := range commands {
		if len(args) == 1 && args[0] == c.name {
			return c.run(ctx, getenv, logger)
		}
		known = append(known, fmt.Sprintf("%q to %s", c.name, c.help))
	}
	if len(known) == 0 {
		return fmt.Errorf("unknown command %q: run with no arguments to serve", strings.Join(args, " "))
	}
	return fmt.Errorf("unknown command %q: run with no arguments to serve, or with %s", strings.Join(args, " "), strings.Join(known, ", or with "))
}

// run builds the app from the environment and serves until ctx is done.
// It is where the app's parts meet: each is built here and handed to the
// server.
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

	cache, err := newCache(cfg, logger)
	if err != nil {
		return err
	}
	defer cache.Close()

	database, err := openDatabase(ctx, databaseCfg, logger)
	if err != nil {
		return err
	}
	if database != nil {
		defer database.Close()
	}

	srv, err := web.NewServer(web.Options{
		MaxBodyBytes:      cfg.MaxBodyBytes,
		OnHeroku:          cfg.OnHeroku,
		ForceHTTPS:        cfg.ForceHTTPS,
		DashboardPassword: cfg.DashboardPassword,
		Views:             web.Lifetimes(cfg.Views),
		Memoize:           web.Lifetimes(cfg.Memoize),
		Fragments:         web.Lifetimes(cfg.Fragments),
		NoViews:           cfg.NoViews,
	}, cache, logger)
	if err != nil {
		return err
	}
	srv.UseSessions(newSessionStore(sessionsCfg, cache, logger))
	srv.ServeTasks(newTaskStore(database, logger))
	return serve(ctx, cfg, srv, logger)
}
