package config

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestLoadDatabase(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want Database
	}{
		{name: "nothing set: no database", env: nil, want: Database{}},
		{
			name: "Heroku's URL gets sslmode=require",
			env:  map[string]string{"DATABASE_URL": "postgres://u:p@ec2.compute.amazonaws.com:5432/d8"},
			want: Database{URL: "postgres://u:p@ec2.compute.amazonaws.com:5432/d8?sslmode=require"},
		},
		{
			name: "an sslmode in the URL is kept",
			env:  map[string]string{"DATABASE_URL": "postgresql://localhost/app?sslmode=disable"},
			want: Database{URL: "postgresql://localhost/app?sslmode=disable"},
		},
		{
			name: "pool and timeouts",
			env: map[string]string{
				"DATABASE_URL":             "postgres://localhost/app?sslmode=disable",
				"DATABASE_MAX_CONNS":       "8",
				"DATABASE_CONNECT_TIMEOUT": "1s",
				"DATABASE_TIMEOUT":         "5s",
				"MIGRATE_LOCK_TIMEOUT":     "30s",
				"MIGRATE_TIMEOUT":          "20m",
			},
			want: Database{
				URL:                "postgres://localhost/app?sslmode=disable",
				MaxConns:           8,
				ConnectTimeout:     time.Second,
				Timeout:            5 * time.Second,
				MigrateLockTimeout: 30 * time.Second,
				MigrateTimeout:     20 * time.Minute,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := LoadDatabase(env(tt.env))
			if err != nil {
				t.Fatalf("LoadDatabase: %v", err)
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
		{"bad lock timeout", map[string]string{"MIGRATE_LOCK_TIMEOUT": "forever"}, `MIGRATE_LOCK_TIMEOUT="forever"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadDatabase(env(tt.env))
			if err == nil {
				t.Fatalf("LoadDatabase succeeded, want an error containing %q", tt.want)
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
