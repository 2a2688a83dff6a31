package main

import (
	"log/slog"

	"github.com/echocache/scaffold/generated-example/internal/cache"
	"github.com/echocache/scaffold/generated-example/internal/config"
)

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
