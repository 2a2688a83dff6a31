// Command generated-example serves the generated-example web app.
//
// It reads its configuration from the environment (see README.md), listens
// on $PORT (5000 by default) and shuts down gracefully on SIGTERM, which is
// how Heroku stops a dyno.
//
// With the argument "migrate" it applies the database migrations instead,
// and exits: the Procfile's release line runs it on every Heroku deploy,
// before the new web processes start.
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/echocache/scaffold/generated-example/internal/cache"
	"github.com/echocache/scaffold/generated-example/internal/config"
	"github.com/echocache/scaffold/generated-example/internal/session"
	"github.com/echocache/scaffold/generated-example/internal/tasks"
	"github.com/echocache/scaffold/generated-example/internal/web"
)

// shutdownTimeout is how long in-flight requests get to finish after
// SIGTERM. Heroku kills the process 30 seconds after SIGTERM.
const shutdownTimeout = 25 * time.Second

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	logger := slog.New(slog.NewTextHandler(os.Stdout, nil))
	if err := dispatch(ctx, os.Args[1:], os.Getenv, logger); err != nil {
		logger.Error("exit", "err", err)
		os.Exit(1)
	}
}

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

// migrate applies the migrations that DATABASE_URL's database lacks, and
// does nothing when it is up to date. Without DATABASE_URL the tasks are in
// memory: there is nothing to migrate, and that is not an error, so a
// deploy without a database still passes its release phase.
func migrate(ctx context.Context, getenv func(string) string, logger *slog.Logger) error {
	cfg, err := config.Load(getenv)
	if err != nil {
		return err
	}
	if cfg.DatabaseURL == "" {
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

// run builds the app from the environment and serves until ctx is done.
func run(ctx context.Context, getenv func(string) string, logger *slog.Logger) error {
	cfg, err := config.Load(getenv)
	if err != nil {
		return err
	}
	if cfg.SessionSecret == "" {
		cfg.SessionSecret = randomSecret()
		logger.Warn("SESSION_SECRET is not set: using a random secret known to this process only, so sessions end when it restarts and are rejected by any other instance; set SESSION_SECRET (openssl rand -hex 32) before running more than one")
	}

	store, err := newCache(cfg, logger)
	if err != nil {
		return err
	}
	defer store.Close()

	var previous [][]byte
	for _, secret := range cfg.SessionPreviousSecrets {
		previous = append(previous, []byte(secret))
	}
	sessions := session.NewStore(store, session.Options{
		MaxAge:          cfg.SessionMaxAge,
		IdleTimeout:     cfg.SessionIdleTimeout,
		AbsoluteTimeout: cfg.SessionAbsoluteTimeout,
	}, []byte(cfg.SessionSecret), previous...)

	taskStore, closeTasks, err := newTaskStore(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer closeTasks()

	handler, err := web.NewServer(cfg, store, taskStore, sessions, logger)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler: handler,
		// Explicit timeouts: the zero values mean "wait forever", which lets
		// slow clients hold connections open.
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	ln, err := net.Listen("tcp", ":"+strconv.Itoa(cfg.Port))
	if err != nil {
		return err
	}
	logger.Info("listening", "addr", ln.Addr().String())

	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}

	logger.Info("shutting down", "timeout", shutdownTimeout)
	shutdownCtx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// newCache returns the memcached cache when MEMCACHIER_SERVERS is set and
// the in-memory one otherwise, and says which in one log line. Memcached
// that does not answer at start-up is not fatal: the app serves every
// request as a cache miss until the servers come back.
func newCache(cfg config.Config, logger *slog.Logger) (*cache.Cache, error) {
	if len(cfg.MemcachedServers) == 0 {
		logger.Info("cache: in memory, for this process only (MEMCACHIER_SERVERS is not set)")
		return cache.NewMemory(cfg.CacheMemoryMB<<20, logger), nil
	}
	c, err := cache.NewMemcached(cache.MemcachedOptions{
		Servers:        cfg.MemcachedServers,
		Username:       cfg.MemcachedUsername,
		Password:       cfg.MemcachedPassword,
		Auth:           cache.AuthMode(cfg.MemcachedAuth),
		ConnectTimeout: cfg.MemcachedConnectTimeout,
		Timeout:        cfg.MemcachedTimeout,
		MaxIdleConns:   cfg.MemcachedMaxIdleConns,
		RetryTimeout:   cfg.MemcachedRetryTimeout,
		DeadTimeout:    cfg.MemcachedDeadTimeout,
		NearCacheTTL:   cfg.NearCacheTTL,
		NearCacheBytes: cfg.NearCacheMB << 20,
	}, logger)
	if err != nil {
		return nil, err
	}
	if err := c.Ping(); err != nil {
		logger.Error("cache: memcached is not answering; serving every request as a cache miss until it does", "servers", len(cfg.MemcachedServers), "err", err)
	} else {
		logger.Info("cache: memcached (MEMCACHIER_SERVERS is set)", "servers", len(cfg.MemcachedServers), "authenticated", c.Authenticated(), "near_cache_ttl", cfg.NearCacheTTL)
	}
	return c, nil
}

// newTaskStore returns the PostgreSQL store when DATABASE_URL is set and
// the in-memory one otherwise, and says which in one log line, with a
// function that closes it. The web process never migrates: a database
// whose schema is missing or behind stops it here. A database that does
// not answer is not fatal: pages that need it get 503 until it is back.
func newTaskStore(ctx context.Context, cfg config.Config, logger *slog.Logger) (tasks.Store, func(), error) {
	if cfg.DatabaseURL == "" {
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

func openPostgres(cfg config.Config) (*tasks.Postgres, error) {
	return tasks.OpenPostgres(tasks.PostgresOptions{
		URL:            cfg.DatabaseURL,
		MaxConns:       cfg.DatabaseMaxConns,
		ConnectTimeout: cfg.DatabaseConnectTimeout,
		Timeout:        cfg.DatabaseTimeout,
	})
}

// randomSecret returns 32 random bytes, hex-encoded. crypto/rand.Read
// never fails: it crashes the program rather than return weak bytes.
func randomSecret() string {
	b := make([]byte, 32)
	rand.Read(b)
	return hex.EncodeToString(b)
}
