// Command generated-example serves the generated-example web app.
//
// It reads its configuration from the environment (see README.md), listens
// on $PORT (5000 by default) and shuts down gracefully on SIGTERM, which is
// how Heroku stops a dyno.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/echocache/scaffold/generated-example/internal/cache"
	"github.com/echocache/scaffold/generated-example/internal/config"
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

// serve serves handler on cfg.Port until ctx is done, then gives
// in-flight requests shutdownTimeout to finish.
func serve(ctx context.Context, cfg config.Config, handler http.Handler, logger *slog.Logger) error {
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
		KeyPrefix:      cfg.CacheKeyPrefix,
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
