// Package config reads the app's settings from the environment, once, at
// start-up, and checks them so that a bad value stops the app with a clear
// message instead of failing later at request time.
package config

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"
)

// Config holds the settings every app has: the port, the cache and the
// request limits. The app's optional parts read theirs with Load functions
// of their own.
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

	// CacheKeyPrefix starts every cache key (CACHE_KEY_PREFIX, as
	// Flask-Caching names it; default DefaultCacheKeyPrefix), so that apps
	// sharing a memcached keep apart.
	CacheKeyPrefix string

	// CacheMemoryMB bounds the in-memory cache used without memcached
	// (CACHE_MEMORY_MB). Zero means the cache package's default.
	CacheMemoryMB int
	// NearCacheTTL is how long a cached page or fragment read from
	// memcached is served from this process's memory (NEAR_CACHE_TTL, default
	// DefaultNearCacheTTL); 0 turns the near cache off. NearCacheMB bounds
	// its memory (NEAR_CACHE_MB); zero means the cache package's default.
	NearCacheTTL time.Duration
	NearCacheMB  int

	// MaxBodyBytes is the largest request body accepted, in bytes
	// (MAX_BODY_BYTES); larger ones are answered 413. Zero means the web
	// package's default.
	MaxBodyBytes int64

	// Views, Memoize and Fragments are how long each caching layer serves
	// what it stores: CACHE_DEFAULT_TIMEOUT seconds fresh (as Flask-Caching
	// names it; default DefaultCacheTimeout, 0 for until evicted or
	// invalidated), or the layer's own CACHE_VIEW_TIMEOUT,
	// CACHE_MEMO_TIMEOUT or CACHE_FRAGMENT_TIMEOUT; then
	// CACHE_STALE_TIMEOUT seconds stale while one refresh runs (default
	// DefaultStaleTimeout), and CACHE_GRACE_TIMEOUT seconds in all past
	// fresh when making a fresh one fails (default DefaultGraceTimeout).
	Views, Memoize, Fragments Lifetimes
	// NoViews turns the view layer off (CACHE_VIEWS=0; default on): every
	// page is rendered for its request, with the memoized results and
	// fragments beneath still cached. For debugging a page, and for
	// measuring those layers alone.
	NoViews bool

	// MaxConns is how many connections the app holds open at once
	// (MAX_CONNS); at the limit it stops accepting until one closes.
	MaxConns int

	// OnHeroku is whether the app runs on a Heroku dyno (DYNO is set), behind
	// Heroku's router: it terminates TLS and says so in X-Forwarded-Proto,
	// and appends the client's address to X-Forwarded-For.
	OnHeroku bool
	// ForceHTTPS redirects plain http to https, refuses anything but GET
	// and HEAD over it, and sends Strict-Transport-Security (FORCE_HTTPS:
	// 1 or 0; on by default on Heroku). It needs a router or proxy in front
	// that terminates TLS and sets X-Forwarded-Proto.
	ForceHTTPS bool

	// DashboardPassword is asked for by the pages for the app's operators,
	// such as the cache dashboard (DASHBOARD_PASSWORD). Empty means those
	// pages are open, except on Heroku, where they are then not served.
	DashboardPassword string
}

// Lifetimes say how long a caching layer serves an entry: fresh, then
// stale while it is refreshed, and in all past fresh when making a fresh
// one fails. They convert to the cache package's cache.Lifetimes.
type Lifetimes struct {
	Fresh, Stale, Grace time.Duration
}

// Defaults of the caching layers' lifetimes, in seconds as the variables
// take them: CACHE_DEFAULT_TIMEOUT is Flask-Caching's default, and an
// hour of grace rides out most database outages.
const (
	DefaultCacheTimeout = 300
	DefaultStaleTimeout = 60
	DefaultGraceTimeout = 3600
)

// DefaultPort is the port used when PORT is unset, as in the Flask guide.
const DefaultPort = 5000

// MinDashboardPassword is the shortest DASHBOARD_PASSWORD accepted, in
// bytes: the password is all that guards the dashboard, and basic
// authentication lets anyone try as often as they like.
const MinDashboardPassword = 16

// DefaultMaxConns is MaxConns when MAX_CONNS is unset: at about 20 KB
// an idle connection, 1,000 of them hold some 20 MB, and a dyno behind
// Heroku's router, or a small app behind nothing, rarely needs a tenth.
const DefaultMaxConns = 1000

// DefaultNearCacheTTL is NearCacheTTL when NEAR_CACHE_TTL is unset: other
// instances see a change within a second.
const DefaultNearCacheTTL = time.Second

// DefaultCacheKeyPrefix is CacheKeyPrefix when CACHE_KEY_PREFIX is unset:
// the app's name and a colon.
const DefaultCacheKeyPrefix = "generated-example:"

// maxCacheKeyPrefix is the longest CACHE_KEY_PREFIX, in bytes, which
// leaves every key at least 186 of memcached's 250.
const maxCacheKeyPrefix = 64

// Load reads the configuration through getenv (os.Getenv in main, a map in
// tests). It reports every problem it finds in one line.
func Load(getenv func(string) string) (Config, error) {
	var cfg Config
	var p problems
	bad := p.add

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
	} {
		p.duration(getenv, d.name, d.dst)
	}
	cfg.MaxConns = DefaultMaxConns
	for _, n := range []struct {
		name string
		dst  *int
	}{
		{"MEMCACHED_MAX_IDLE_CONNS", &cfg.MemcachedMaxIdleConns},
		{"CACHE_MEMORY_MB", &cfg.CacheMemoryMB},
		{"NEAR_CACHE_MB", &cfg.NearCacheMB},
		{"MAX_CONNS", &cfg.MaxConns},
	} {
		if v := getenv(n.name); v != "" {
			parsed, err := strconv.Atoi(v)
			if err != nil || parsed <= 0 {
				bad("%s=%q is not a positive whole number", n.name, v)
			}
			*n.dst = parsed
		}
	}

	cfg.CacheKeyPrefix = DefaultCacheKeyPrefix
	if v := getenv("CACHE_KEY_PREFIX"); v != "" {
		cfg.CacheKeyPrefix = v
	}
	if v := cfg.CacheKeyPrefix; len(v) > maxCacheKeyPrefix || strings.IndexFunc(v, func(r rune) bool { return r <= ' ' || r == 0x7f }) >= 0 {
		bad("CACHE_KEY_PREFIX=%q: want at most %d bytes with no spaces or control characters, such as myapp:", v, maxCacheKeyPrefix)
	}

	seconds := func(name string, def int) time.Duration {
		v := getenv(name)
		if v == "" {
			return time.Duration(def) * time.Second
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			bad("%s=%q is not a number of seconds (0 or more)", name, v)
		}
		return time.Duration(n) * time.Second
	}
	fresh := seconds("CACHE_DEFAULT_TIMEOUT", DefaultCacheTimeout)
	stale := seconds("CACHE_STALE_TIMEOUT", DefaultStaleTimeout)
	grace := seconds("CACHE_GRACE_TIMEOUT", DefaultGraceTimeout)
	for _, l := range []struct {
		name string
		dst  *Lifetimes
	}{
		{"CACHE_VIEW_TIMEOUT", &cfg.Views},
		{"CACHE_MEMO_TIMEOUT", &cfg.Memoize},
		{"CACHE_FRAGMENT_TIMEOUT", &cfg.Fragments},
	} {
		*l.dst = Lifetimes{Fresh: fresh, Stale: stale, Grace: grace}
		if getenv(l.name) != "" {
			l.dst.Fresh = seconds(l.name, 0)
		}
	}

	if v := getenv("CACHE_VIEWS"); v != "" {
		on, err := strconv.ParseBool(v)
		if err != nil {
			bad("CACHE_VIEWS=%q: want 0 (render every page) or 1 (cache pages)", v)
		}
		cfg.NoViews = !on
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

	cfg.OnHeroku = getenv("DYNO") != ""
	cfg.ForceHTTPS = cfg.OnHeroku
	if v := getenv("FORCE_HTTPS"); v != "" {
		force, err := strconv.ParseBool(v)
		if err != nil {
			bad("FORCE_HTTPS=%q: want 1 (redirect http to https) or 0", v)
		}
		cfg.ForceHTTPS = force
	}

	cfg.DashboardPassword = getenv("DASHBOARD_PASSWORD")
	if n := len(cfg.DashboardPassword); n > 0 && n < MinDashboardPassword {
		bad("DASHBOARD_PASSWORD is %d bytes, want at least %d (for example: openssl rand -hex 16)", n, MinDashboardPassword)
	}

	if err := p.err(); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

// problems collects what is wrong with the environment, so that one line
// reports all of it.
type problems []string

func (p *problems) add(format string, args ...any) {
	*p = append(*p, fmt.Sprintf(format, args...))
}

// duration reads the positive duration in the variable name into dst,
// leaving dst alone when the variable is unset.
func (p *problems) duration(getenv func(string) string, name string, dst *time.Duration) {
	if v := getenv(name); v != "" {
		parsed, err := time.ParseDuration(v)
		if err != nil || parsed <= 0 {
			p.add("%s=%q is not a positive duration such as 750ms or 2s", name, v)
		}
		*dst = parsed
	}
}

// err is the problems as one error, or nil for none.
func (p problems) err() error {
	if len(p) == 0 {
		return nil
	}
	return fmt.Errorf("config: %s", strings.Join(p, "; "))
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
