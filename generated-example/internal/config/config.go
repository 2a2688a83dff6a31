// Package config reads the app's settings from the environment, once, at
// start-up, and checks them so that a bad value stops the app with a clear
// message instead of failing later at request time.
package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// Config holds every setting the app reads from its environment.
type Config struct {
	// Port is the TCP port to listen on (PORT; Heroku sets it).
	Port int

	// MemcachedServers lists the memcached servers as host:port
	// (MEMCACHIER_SERVERS, comma-separated). Empty means the app caches in
	// memory.
	MemcachedServers []string
	// MemcachedUsername and MemcachedPassword authenticate every new
	// connection (MEMCACHIER_USERNAME, MEMCACHIER_PASSWORD).
	MemcachedUsername string
	MemcachedPassword string
	// MemcachedAuth is the authentication form (MEMCACHED_AUTH):
	// "memcachier" (the default) or "memcached" for memcached's own -Y.
	MemcachedAuth string
	// Memcached timeouts and pool size (MEMCACHED_CONNECT_TIMEOUT,
	// MEMCACHED_TIMEOUT, MEMCACHED_RETRY_TIMEOUT, MEMCACHED_DEAD_TIMEOUT,
	// MEMCACHED_MAX_IDLE_CONNS). Zero means the cache package's default.
	MemcachedConnectTimeout time.Duration
	MemcachedTimeout        time.Duration
	MemcachedRetryTimeout   time.Duration
	MemcachedDeadTimeout    time.Duration
	MemcachedMaxIdleConns   int

	// CacheMemoryMB bounds the in-memory cache used without memcached
	// (CACHE_MEMORY_MB). Zero means the cache package's default.
	CacheMemoryMB int
	// NearCacheTTL is how long a cached page or fragment read from
	// memcached is served from this process's memory (NEAR_CACHE_TTL, default
	// DefaultNearCacheTTL); 0 turns the near cache off. NearCacheMB bounds
	// its memory (NEAR_CACHE_MB); zero means the cache package's default.
	NearCacheTTL time.Duration
	NearCacheMB  int

	// SessionSecret signs session cookies (SESSION_SECRET). Empty means the
	// caller makes up a random one, which logs everyone out on restart.
	SessionSecret string
	// SessionPreviousSecrets are older secrets whose cookies are still
	// accepted (SESSION_PREVIOUS_SECRETS, comma-separated), for rotation.
	SessionPreviousSecrets []string
	// Session lifetime and optional timeouts (SESSION_MAX_AGE,
	// SESSION_IDLE_TIMEOUT, SESSION_ABSOLUTE_TIMEOUT). Zero means the session
	// package's default: 31 days, and no idle or absolute timeout.
	SessionMaxAge          time.Duration
	SessionIdleTimeout     time.Duration
	SessionAbsoluteTimeout time.Duration

	// MaxBodyBytes is the largest request body accepted, in bytes
	// (MAX_BODY_BYTES); larger ones are answered 413. Zero means the web
	// package's default.
	MaxBodyBytes int64

	// DatabaseURL is the PostgreSQL URL of the tasks' database
	// (DATABASE_URL; Heroku Postgres sets it). Empty means the tasks are
	// kept in memory. A URL without sslmode gets sslmode=require: TLS
	// without certificate verification, which Heroku's servers need; a
	// local server without TLS wants ?sslmode=disable in the URL.
	DatabaseURL string
	// Database pool size and timeouts (DATABASE_MAX_CONNS,
	// DATABASE_CONNECT_TIMEOUT, DATABASE_TIMEOUT: per query). Zero means
	// the tasks package's default: 4 connections, 2s, 3s.
	DatabaseMaxConns       int
	DatabaseConnectTimeout time.Duration
	DatabaseTimeout        time.Duration
}

// DefaultPort is the port used when PORT is unset, as in the Flask guide.
const DefaultPort = 5000

// DefaultNearCacheTTL is NearCacheTTL when NEAR_CACHE_TTL is unset: other
// instances see a change within a second.
const DefaultNearCacheTTL = time.Second

// MinSecretLength is the shortest SESSION_SECRET accepted: 32 bytes, the
// size of an HMAC-SHA256 key. Heroku's app.json generator makes 64.
const MinSecretLength = 32

// Load reads the configuration through getenv (os.Getenv in main, a map in
// tests). It reports every problem it finds in one line.
func Load(getenv func(string) string) (Config, error) {
	var cfg Config
	var problems []string
	bad := func(format string, args ...any) {
		problems = append(problems, fmt.Sprintf(format, args...))
	}

	cfg.Port = DefaultPort
	if v := getenv("PORT"); v != "" {
		port, err := strconv.Atoi(v)
		if err != nil || port < 1 || port > 65535 {
			bad("PORT=%q is not a port number (1-65535)", v)
		}
		cfg.Port = port
	}

	if v := getenv("MEMCACHIER_SERVERS"); strings.TrimSpace(v) != "" {
		servers, err := parseServers(v)
		if err != nil {
			bad("MEMCACHIER_SERVERS: %v", err)
		}
		cfg.MemcachedServers = servers
	}
	cfg.MemcachedUsername = getenv("MEMCACHIER_USERNAME")
	cfg.MemcachedPassword = getenv("MEMCACHIER_PASSWORD")
	if (cfg.MemcachedUsername == "") != (cfg.MemcachedPassword == "") {
		bad("set both MEMCACHIER_USERNAME and MEMCACHIER_PASSWORD, or neither")
	}
	switch cfg.MemcachedAuth = getenv("MEMCACHED_AUTH"); cfg.MemcachedAuth {
	case "", "memcachier", "memcached":
	default:
		bad("MEMCACHED_AUTH=%q: want memcachier (MemCachier, the default) or memcached (memcached -Y)", cfg.MemcachedAuth)
	}
	for _, d := range []struct {
		name string
		dst  *time.Duration
	}{
		{"MEMCACHED_CONNECT_TIMEOUT", &cfg.MemcachedConnectTimeout},
		{"MEMCACHED_TIMEOUT", &cfg.MemcachedTimeout},
		{"MEMCACHED_RETRY_TIMEOUT", &cfg.MemcachedRetryTimeout},
		{"MEMCACHED_DEAD_TIMEOUT", &cfg.MemcachedDeadTimeout},
		{"SESSION_MAX_AGE", &cfg.SessionMaxAge},
		{"SESSION_IDLE_TIMEOUT", &cfg.SessionIdleTimeout},
		{"SESSION_ABSOLUTE_TIMEOUT", &cfg.SessionAbsoluteTimeout},
	} {
		if v := getenv(d.name); v != "" {
			parsed, err := time.ParseDuration(v)
			if err != nil || parsed <= 0 {
				bad("%s=%q is not a positive duration such as 750ms or 2s", d.name, v)
			}
			*d.dst = parsed
		}
	}
	for _, n := range []struct {
		name string
		dst  *int
	}{
		{"MEMCACHED_MAX_IDLE_CONNS", &cfg.MemcachedMaxIdleConns},
		{"CACHE_MEMORY_MB", &cfg.CacheMemoryMB},
		{"NEAR_CACHE_MB", &cfg.NearCacheMB},
	} {
		if v := getenv(n.name); v != "" {
			parsed, err := strconv.Atoi(v)
			if err != nil || parsed <= 0 {
				bad("%s=%q is not a positive whole number", n.name, v)
			}
			*n.dst = parsed
		}
	}

	cfg.NearCacheTTL = DefaultNearCacheTTL
	if v := getenv("NEAR_CACHE_TTL"); v != "" {
		parsed, err := time.ParseDuration(v)
		if err != nil || parsed < 0 {
			bad("NEAR_CACHE_TTL=%q is not a duration such as 1s or 500ms, or 0 for no near cache", v)
		}
		cfg.NearCacheTTL = parsed
	}

	if v := getenv("MAX_BODY_BYTES"); v != "" {
		parsed, err := strconv.ParseInt(v, 10, 64)
		if err != nil || parsed <= 0 {
			bad("MAX_BODY_BYTES=%q is not a positive number of bytes", v)
		}
		cfg.MaxBodyBytes = parsed
	}

	cfg.SessionSecret = getenv("SESSION_SECRET")
	switch n := len(cfg.SessionSecret); {
	case n == 0 && getenv("DYNO") != "":
		// Every dyno must sign cookies with the same secret, or a session
		// made on one is rejected by the next; a made-up secret cannot be.
		bad("SESSION_SECRET is not set, and every dyno needs the same one: heroku config:set SESSION_SECRET=$(openssl rand -hex 32)")
	case n > 0 && n < MinSecretLength:
		bad("SESSION_SECRET is %d bytes, want at least %d (for example: openssl rand -hex 32)", n, MinSecretLength)
	}
	if v := getenv("SESSION_PREVIOUS_SECRETS"); v != "" {
		for i, secret := range strings.Split(v, ",") {
			if n := len(strings.TrimSpace(secret)); n < MinSecretLength {
				bad("SESSION_PREVIOUS_SECRETS entry %d is %d bytes, want at least %d", i+1, n, MinSecretLength)
			}
			cfg.SessionPreviousSecrets = append(cfg.SessionPreviousSecrets, strings.TrimSpace(secret))
		}
	}

	loadDatabase(getenv, &cfg, bad)

	if len(problems) > 0 {
		return Config{}, fmt.Errorf("config: %s", strings.Join(problems, "; "))
	}
	return cfg, nil
}

// loadDatabase reads the DATABASE_ settings into cfg and reports problems
// through bad.
func loadDatabase(getenv func(string) string, cfg *Config, bad func(string, ...any)) {
	if v := strings.TrimSpace(getenv("DATABASE_URL")); v != "" {
		dbURL, err := databaseURL(v)
		if err != nil {
			bad("DATABASE_URL: %v", err)
		}
		cfg.DatabaseURL = dbURL
	}
	if v := getenv("DATABASE_MAX_CONNS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			bad("DATABASE_MAX_CONNS=%q is not a positive whole number", v)
		}
		cfg.DatabaseMaxConns = n
	}
	for _, d := range []struct {
		name string
		dst  *time.Duration
	}{
		{"DATABASE_CONNECT_TIMEOUT", &cfg.DatabaseConnectTimeout},
		{"DATABASE_TIMEOUT", &cfg.DatabaseTimeout},
	} {
		if v := getenv(d.name); v != "" {
			parsed, err := time.ParseDuration(v)
			if err != nil || parsed <= 0 {
				bad("%s=%q is not a positive duration such as 750ms or 2s", d.name, v)
			}
			*d.dst = parsed
		}
	}
}

// databaseURL checks a PostgreSQL URL and adds sslmode=require when it
// names no sslmode. Its errors never contain the password.
func databaseURL(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		// url.Parse quotes parts of the URL in its errors, such as a
		// password it took for a port: say nothing of the text.
		return "", errors.New("not a valid URL (a password with / ? # @ or : must be percent-encoded); want postgres://user:password@host:5432/dbname")
	}
	if u.Scheme != "postgres" && u.Scheme != "postgresql" {
		return "", fmt.Errorf("want a postgres:// URL, such as postgres://user:password@host:5432/dbname")
	}
	if q := u.Query(); !q.Has("sslmode") {
		q.Set("sslmode", "require")
		u.RawQuery = q.Encode()
	}
	if _, err := pgxpool.ParseConfig(u.String()); err != nil {
		// pgx hides the password too; this also covers its encoded forms.
		msg := strings.ReplaceAll(err.Error(), u.String(), u.Redacted())
		if password, ok := u.User.Password(); ok && password != "" {
			msg = strings.ReplaceAll(msg, password, "*****")
			msg = strings.ReplaceAll(msg, url.PathEscape(password), "*****")
		}
		return "", errors.New(msg)
	}
	return u.String(), nil
}

// parseServers splits a comma-separated server list and checks that every
// entry is host:port, so that a typo is a start-up error that names it.
func parseServers(list string) ([]string, error) {
	var servers []string
	for i, s := range strings.Split(list, ",") {
		s = strings.TrimSpace(s)
		if s == "" {
			return nil, fmt.Errorf("entry %d is empty in %q", i+1, list)
		}
		host, port, err := net.SplitHostPort(s)
		if err != nil || host == "" {
			return nil, fmt.Errorf("%q is not host:port (for example mc1.example.com:11211)", s)
		}
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return nil, fmt.Errorf("%q has a bad port %q", s, port)
		}
		servers = append(servers, s)
	}
	return servers, nil
}
