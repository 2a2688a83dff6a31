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
	secret := strings.Repeat("s", MinSecretLength)
	tests := []struct {
		name string
		env  map[string]string
		want Config
	}{
		{
			name: "nothing set",
			env:  nil,
			want: Config{Port: DefaultPort, NearCacheTTL: DefaultNearCacheTTL},
		},
		{
			name: "near cache off",
			env:  map[string]string{"NEAR_CACHE_TTL": "0"},
			want: Config{Port: DefaultPort},
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
				"CACHE_MEMORY_MB":           "16",
				"NEAR_CACHE_TTL":            "250ms",
				"NEAR_CACHE_MB":             "8",
				"SESSION_SECRET":            secret,
				"SESSION_PREVIOUS_SECRETS":  secret + "-old1, " + secret + "-old2",
				"SESSION_MAX_AGE":           "720h",
				"SESSION_IDLE_TIMEOUT":      "2h",
				"SESSION_ABSOLUTE_TIMEOUT":  "24h",
				"MAX_BODY_BYTES":            "65536",
				"DYNO":                      "web.1",
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
				CacheMemoryMB:           16,
				NearCacheTTL:            250 * time.Millisecond,
				NearCacheMB:             8,
				SessionSecret:           secret,
				SessionPreviousSecrets:  []string{secret + "-old1", secret + "-old2"},
				SessionMaxAge:           720 * time.Hour,
				SessionIdleTimeout:      2 * time.Hour,
				SessionAbsoluteTimeout:  24 * time.Hour,
				MaxBodyBytes:            65536,
			},
		},
		{
			name: "IPv6 server",
			env:  map[string]string{"MEMCACHIER_SERVERS": "[::1]:11211"},
			want: Config{Port: DefaultPort, MemcachedServers: []string{"[::1]:11211"}, NearCacheTTL: DefaultNearCacheTTL},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Load(env(tt.env))
			if err != nil {
				t.Fatalf("Load: %v", err)
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
		{"short secret", map[string]string{"SESSION_SECRET": "dev"}, "SESSION_SECRET is 3 bytes"},
		{"short previous secret", map[string]string{"SESSION_PREVIOUS_SECRETS": "short"}, "SESSION_PREVIOUS_SECRETS entry 1"},
		{"bad session age", map[string]string{"SESSION_MAX_AGE": "31d"}, `SESSION_MAX_AGE="31d"`},
		{"unknown auth form", map[string]string{"MEMCACHED_AUTH": "sasl"}, `MEMCACHED_AUTH="sasl"`},
		{"bad duration", map[string]string{"MEMCACHED_TIMEOUT": "750"}, `MEMCACHED_TIMEOUT="750"`},
		{"negative duration", map[string]string{"MEMCACHED_DEAD_TIMEOUT": "-1s"}, `MEMCACHED_DEAD_TIMEOUT="-1s"`},
		{"bad pool size", map[string]string{"MEMCACHED_MAX_IDLE_CONNS": "0"}, `MEMCACHED_MAX_IDLE_CONNS="0"`},
		{"bad memory size", map[string]string{"CACHE_MEMORY_MB": "lots"}, `CACHE_MEMORY_MB="lots"`},
		{"bad near-cache TTL", map[string]string{"NEAR_CACHE_TTL": "1"}, `NEAR_CACHE_TTL="1"`},
		{"negative near-cache TTL", map[string]string{"NEAR_CACHE_TTL": "-1s"}, `NEAR_CACHE_TTL="-1s"`},
		{"bad near-cache size", map[string]string{"NEAR_CACHE_MB": "0"}, `NEAR_CACHE_MB="0"`},
		{"bad body limit", map[string]string{"MAX_BODY_BYTES": "256KB"}, `MAX_BODY_BYTES="256KB"`},
		{"no secret on Heroku", map[string]string{"DYNO": "web.1"}, "heroku config:set SESSION_SECRET="},
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
	_, err := Load(env(map[string]string{"PORT": "x", "SESSION_SECRET": "short"}))
	if err == nil {
		t.Fatal("Load succeeded, want an error")
	}
	for _, want := range []string{"PORT", "SESSION_SECRET"} {
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

func TestLoadDatabase(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want Config
	}{
		{
			name: "Heroku's URL gets sslmode=require",
			env:  map[string]string{"DATABASE_URL": "postgres://u:p@ec2.compute.amazonaws.com:5432/d8"},
			want: Config{Port: DefaultPort, NearCacheTTL: DefaultNearCacheTTL, DatabaseURL: "postgres://u:p@ec2.compute.amazonaws.com:5432/d8?sslmode=require"},
		},
		{
			name: "an sslmode in the URL is kept",
			env:  map[string]string{"DATABASE_URL": "postgresql://localhost/app?sslmode=disable"},
			want: Config{Port: DefaultPort, NearCacheTTL: DefaultNearCacheTTL, DatabaseURL: "postgresql://localhost/app?sslmode=disable"},
		},
		{
			name: "pool and timeouts",
			env: map[string]string{
				"DATABASE_URL":             "postgres://localhost/app?sslmode=disable",
				"DATABASE_MAX_CONNS":       "8",
				"DATABASE_CONNECT_TIMEOUT": "1s",
				"DATABASE_TIMEOUT":         "5s",
			},
			want: Config{
				Port:                   DefaultPort,
				NearCacheTTL:           DefaultNearCacheTTL,
				DatabaseURL:            "postgres://localhost/app?sslmode=disable",
				DatabaseMaxConns:       8,
				DatabaseConnectTimeout: time.Second,
				DatabaseTimeout:        5 * time.Second,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Load(env(tt.env))
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

// TestLoadDatabaseErrors: a bad DATABASE_URL is one line that says what
// is wrong, never with the password.
func TestLoadDatabaseErrors(t *testing.T) {
	const password = "s3cret-p%40ss"
	tests := []struct {
		name string
		env  map[string]string
		want string // a substring of the error
	}{
		{"bad port", map[string]string{"DATABASE_URL": "postgres://u:" + password + "@host:port/db"}, "DATABASE_URL: not a valid URL"},
		{"password taken for a port", map[string]string{"DATABASE_URL": "postgres://u:s3cret/x@host:5432/db"}, "DATABASE_URL: not a valid URL"},
		{"not postgres", map[string]string{"DATABASE_URL": "mysql://u:" + password + "@host/db"}, "want a postgres:// URL"},
		{"bad sslmode", map[string]string{"DATABASE_URL": "postgres://u:" + password + "@host/db?sslmode=maybe"}, "sslmode"},
		{"bad setting", map[string]string{"DATABASE_URL": "postgres://u:" + password + "@host/db?connect_timeout=soon"}, "connect_timeout"},
		{"bad pool size", map[string]string{"DATABASE_MAX_CONNS": "-1"}, `DATABASE_MAX_CONNS="-1"`},
		{"bad timeout", map[string]string{"DATABASE_TIMEOUT": "3"}, `DATABASE_TIMEOUT="3"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(env(tt.env))
			if err == nil {
				t.Fatalf("Load succeeded, want an error containing %q", tt.want)
			}
			msg := err.Error()
			if !strings.Contains(msg, tt.want) {
				t.Errorf("got error %q, want it to contain %q", msg, tt.want)
			}
			if strings.Contains(msg, "s3cret") || strings.Contains(msg, "\n") {
				t.Errorf("error %q shows the password or spans several lines", msg)
			}
		})
	}
}
