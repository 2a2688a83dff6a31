package config

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

// env turns a map into a getenv function.
func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestLoad(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want Config
	}{
		{
			name: "nothing set",
			env:  nil,
			want: Config{Port: DefaultPort, CacheKeyPrefix: DefaultCacheKeyPrefix, NearCacheTTL: DefaultNearCacheTTL, MaxConns: DefaultMaxConns},
		},
		{
			name: "near cache off",
			env:  map[string]string{"NEAR_CACHE_TTL": "0"},
			want: Config{Port: DefaultPort, CacheKeyPrefix: DefaultCacheKeyPrefix, MaxConns: DefaultMaxConns},
		},
		{
			name: "view layer off",
			env:  map[string]string{"CACHE_VIEWS": "0"},
			want: Config{Port: DefaultPort, CacheKeyPrefix: DefaultCacheKeyPrefix, NearCacheTTL: DefaultNearCacheTTL, MaxConns: DefaultMaxConns, NoViews: true},
		},
		{
			name: "view layer on",
			env:  map[string]string{"CACHE_VIEWS": "true"},
			want: Config{Port: DefaultPort, CacheKeyPrefix: DefaultCacheKeyPrefix, NearCacheTTL: DefaultNearCacheTTL, MaxConns: DefaultMaxConns},
		},
		{
			name: "everything set",
			env: map[string]string{
				"PORT":                      "8080",
				"MEMCACHIER_SERVERS":        "mc1.example.com:11211, mc2.example.com:11211",
				"MEMCACHIER_USERNAME":       "user",
				"MEMCACHIER_PASSWORD":       "pass",
				"MEMCACHED_AUTH":            "memcached",
				"MEMCACHED_CONNECT_TIMEOUT": "1s",
				"MEMCACHED_TIMEOUT":         "500ms",
				"MEMCACHED_RETRY_TIMEOUT":   "3s",
				"MEMCACHED_DEAD_TIMEOUT":    "1m",
				"MEMCACHED_MAX_IDLE_CONNS":  "128",
				"CACHE_KEY_PREFIX":          "shop-staging:",
				"CACHE_MEMORY_MB":           "16",
				"NEAR_CACHE_TTL":            "250ms",
				"NEAR_CACHE_MB":             "8",
				"MAX_BODY_BYTES":            "65536",
				"DASHBOARD_PASSWORD":        "0f9e8d7c6b5a4938",
				"MAX_CONNS":                 "200",
			},
			want: Config{
				Port:                    8080,
				MemcachedServers:        []string{"mc1.example.com:11211", "mc2.example.com:11211"},
				MemcachedUsername:       "user",
				MemcachedPassword:       "pass",
				MemcachedAuth:           "memcached",
				MemcachedConnectTimeout: time.Second,
				MemcachedTimeout:        500 * time.Millisecond,
				MemcachedRetryTimeout:   3 * time.Second,
				MemcachedDeadTimeout:    time.Minute,
				MemcachedMaxIdleConns:   128,
				CacheKeyPrefix:          "shop-staging:",
				CacheMemoryMB:           16,
				NearCacheTTL:            250 * time.Millisecond,
				NearCacheMB:             8,
				MaxBodyBytes:            65536,
				DashboardPassword:       "0f9e8d7c6b5a4938",
				MaxConns:                200,
			},
		},
		{
			name: "on Heroku",
			env:  map[string]string{"DYNO": "web.1"},
			want: Config{Port: DefaultPort, CacheKeyPrefix: DefaultCacheKeyPrefix, NearCacheTTL: DefaultNearCacheTTL, MaxConns: DefaultMaxConns, OnHeroku: true, ForceHTTPS: true},
		},
		{
			name: "on Heroku without https",
			env:  map[string]string{"DYNO": "web.1", "FORCE_HTTPS": "0"},
			want: Config{Port: DefaultPort, CacheKeyPrefix: DefaultCacheKeyPrefix, NearCacheTTL: DefaultNearCacheTTL, MaxConns: DefaultMaxConns, OnHeroku: true},
		},
		{
			name: "https behind another proxy",
			env:  map[string]string{"FORCE_HTTPS": "true"},
			want: Config{Port: DefaultPort, CacheKeyPrefix: DefaultCacheKeyPrefix, NearCacheTTL: DefaultNearCacheTTL, MaxConns: DefaultMaxConns, ForceHTTPS: true},
		},
		{
			name: "IPv6 server",
			env:  map[string]string{"MEMCACHIER_SERVERS": "[::1]:11211"},
			want: Config{Port: DefaultPort, MemcachedServers: []string{"[::1]:11211"}, CacheKeyPrefix: DefaultCacheKeyPrefix, NearCacheTTL: DefaultNearCacheTTL, MaxConns: DefaultMaxConns},
		},
		{
			name: "cache timeouts",
			env: map[string]string{
				"CACHE_DEFAULT_TIMEOUT":  "60",
				"CACHE_MEMO_TIMEOUT":     "0",
				"CACHE_FRAGMENT_TIMEOUT": "86400",
				"CACHE_STALE_TIMEOUT":    "0",
				"CACHE_GRACE_TIMEOUT":    "600",
			},
			want: Config{
				Port: DefaultPort, CacheKeyPrefix: DefaultCacheKeyPrefix, NearCacheTTL: DefaultNearCacheTTL, MaxConns: DefaultMaxConns,
				Views:     Lifetimes{Fresh: time.Minute, Grace: 10 * time.Minute},
				Memoize:   Lifetimes{Grace: 10 * time.Minute},
				Fragments: Lifetimes{Fresh: 24 * time.Hour, Grace: 10 * time.Minute},
			},
		},
	}
	defaults := Lifetimes{Fresh: DefaultCacheTimeout * time.Second, Stale: DefaultStaleTimeout * time.Second, Grace: DefaultGraceTimeout * time.Second}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Load(env(tt.env))
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if tt.want.Views == (Lifetimes{}) {
				tt.want.Views, tt.want.Memoize, tt.want.Fragments = defaults, defaults, defaults
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want string // a substring of the error
	}{
		{"port not a number", map[string]string{"PORT": "http"}, `PORT="http"`},
		{"port out of range", map[string]string{"PORT": "70000"}, `PORT="70000"`},
		{"server without port", map[string]string{"MEMCACHIER_SERVERS": "host-without-port"}, `"host-without-port" is not host:port`},
		{"empty server entry", map[string]string{"MEMCACHIER_SERVERS": "a:11211,,b:11211"}, "entry 2 is empty"},
		{"bad server port", map[string]string{"MEMCACHIER_SERVERS": "a:memcache"}, `bad port "memcache"`},
		{"username without password", map[string]string{"MEMCACHIER_USERNAME": "u"}, "set both"},
		{"unknown auth form", map[string]string{"MEMCACHED_AUTH": "sasl"}, `MEMCACHED_AUTH="sasl"`},
		{"bad duration", map[string]string{"MEMCACHED_TIMEOUT": "750"}, `MEMCACHED_TIMEOUT="750"`},
		{"negative duration", map[string]string{"MEMCACHED_DEAD_TIMEOUT": "-1s"}, `MEMCACHED_DEAD_TIMEOUT="-1s"`},
		{"bad pool size", map[string]string{"MEMCACHED_MAX_IDLE_CONNS": "0"}, `MEMCACHED_MAX_IDLE_CONNS="0"`},
		{"bad memory size", map[string]string{"CACHE_MEMORY_MB": "lots"}, `CACHE_MEMORY_MB="lots"`},
		{"bad near-cache TTL", map[string]string{"NEAR_CACHE_TTL": "1"}, `NEAR_CACHE_TTL="1"`},
		{"bad view switch", map[string]string{"CACHE_VIEWS": "off"}, `CACHE_VIEWS="off"`},
		{"negative near-cache TTL", map[string]string{"NEAR_CACHE_TTL": "-1s"}, `NEAR_CACHE_TTL="-1s"`},
		{"bad near-cache size", map[string]string{"NEAR_CACHE_MB": "0"}, `NEAR_CACHE_MB="0"`},
		{"bad body limit", map[string]string{"MAX_BODY_BYTES": "256KB"}, `MAX_BODY_BYTES="256KB"`},
		{"bad FORCE_HTTPS", map[string]string{"FORCE_HTTPS": "yes"}, `FORCE_HTTPS="yes": want 1`},
		{"no connections", map[string]string{"MAX_CONNS": "0"}, `MAX_CONNS="0" is not a positive whole number`},
		{"short dashboard password", map[string]string{"DASHBOARD_PASSWORD": "s3cret-pw"}, "DASHBOARD_PASSWORD is 9 bytes, want at least 16"},
		{"key prefix with a space", map[string]string{"CACHE_KEY_PREFIX": "my app:"}, `CACHE_KEY_PREFIX="my app:"`},
		{"key prefix with a control character", map[string]string{"CACHE_KEY_PREFIX": "app\n"}, `CACHE_KEY_PREFIX="app\n"`},
		{"key prefix too long", map[string]string{"CACHE_KEY_PREFIX": strings.Repeat("p", 65)}, "at most 64 bytes"},
		{"timeout as a duration", map[string]string{"CACHE_DEFAULT_TIMEOUT": "5m"}, `CACHE_DEFAULT_TIMEOUT="5m" is not a number of seconds`},
		{"negative grace", map[string]string{"CACHE_GRACE_TIMEOUT": "-1"}, `CACHE_GRACE_TIMEOUT="-1"`},
		{"bad layer timeout", map[string]string{"CACHE_VIEW_TIMEOUT": "ten"}, `CACHE_VIEW_TIMEOUT="ten"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(env(tt.env))
			if err == nil {
				t.Fatalf("Load succeeded, want an error containing %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got error %q, want it to contain %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error %q spans several lines, want one", err)
			}
		})
	}
}

func TestLoadReportsEveryProblem(t *testing.T) {
	_, err := Load(env(map[string]string{"PORT": "x", "MEMCACHED_TIMEOUT": "soon"}))
	if err == nil {
		t.Fatal("Load succeeded, want an error")
	}
	for _, want := range []string{"PORT", "MEMCACHED_TIMEOUT"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %s", err, want)
		}
	}
}

func TestLoadNeverEchoesPassword(t *testing.T) {
	_, err := Load(env(map[string]string{"MEMCACHIER_PASSWORD": "hunter2-secret"}))
	if err == nil {
		t.Fatal("Load succeeded, want an error")
	}
	if strings.Contains(err.Error(), "hunter2-secret") {
		t.Errorf("error %q contains the password", err)
	}
}
