package main

import (
	"context"
	"io"
	"log/slog"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/echocache/scaffold/generated-example/internal/memcachedtest"
	"github.com/echocache/scaffold/generated-example/internal/pgtest"
	"github.com/echocache/scaffold/generated-example/internal/testlog"
)

func TestRunRejectsBadDatabaseURL(t *testing.T) {
	rejectsConfig(t,
		map[string]string{"DATABASE_URL": "postgres://app:s3cret-pw@db.example.com:badport/app"},
		map[string]string{"DATABASE_URL": "postgres://app:s3cret-pw@db.example.com/app?sslmode=bogus"},
		map[string]string{"DATABASE_URL": "mysql://app:s3cret-pw@db.example.com/app"},
	)
}

func TestMigrateIsACommand(t *testing.T) {
	err := dispatch(context.Background(), []string{"serve"}, func(string) string { return "" }, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err == nil || !strings.Contains(err.Error(), "migrate") {
		t.Errorf("dispatch(serve): got %v, want an error naming the commands", err)
	}
}

// postgres is the PostgreSQL server of this package's tests; each test
// gets its own database on it.
var postgres pgtest.Shared

// TestMigrate runs "generated-example migrate" as Heroku's release phase does:
// from an empty database, then again with nothing to do. Without
// DATABASE_URL there is nothing to migrate, and that is not an error.
func TestMigrate(t *testing.T) {
	var logs testlog.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	if err := dispatch(context.Background(), []string{"migrate"}, func(string) string { return "" }, logger); err != nil {
		t.Errorf("migrate without DATABASE_URL: %v", err)
	}
	if !strings.Contains(logs.String(), "DATABASE_URL is not set") {
		t.Errorf("migrate without DATABASE_URL does not say why there is nothing to do:\n%s", logs.String())
	}

	env := map[string]string{"DATABASE_URL": postgres.Database(t)}
	getenv := func(k string) string { return env[k] }
	for i, want := range []string{"migrate: applied", "schema is up to date"} {
		logs = testlog.Buffer{}
		if err := dispatch(context.Background(), []string{"migrate"}, getenv, logger); err != nil {
			t.Fatalf("migrate run %d: %v", i+1, err)
		}
		if !strings.Contains(logs.String(), want) {
			t.Errorf("migrate run %d: the log does not say %q:\n%s", i+1, want, logs.String())
		}
	}
}

// TestRunRefusesMissingSchema: the web process does not migrate; it stops
// with one line that says what to run.
func TestRunRefusesMissingSchema(t *testing.T) {
	env := map[string]string{"DATABASE_URL": postgres.Database(t), "PORT": strconv.Itoa(memcachedtest.FreePort(t))}
	err := run(context.Background(), func(k string) string { return env[k] }, slog.New(slog.NewTextHandler(io.Discard, nil)))
	// The version wanted is the newest migration's, which grows with the
	// app's schema.
	want := regexp.MustCompile(`database schema is at version 0, want [1-9][0-9]*: run "generated-example migrate"`)
	if err == nil || !want.MatchString(err.Error()) || strings.Contains(err.Error(), "\n") {
		t.Errorf("run on an empty database: got %v, want one line matching %q", err, want)
	}
}

// migratedDatabase returns the URL of a new database with the app's schema.
func migratedDatabase(t *testing.T) string {
	t.Helper()
	dbURL := postgres.Database(t)
	err := dispatch(context.Background(), []string{"migrate"}, func(k string) string {
		return map[string]string{"DATABASE_URL": dbURL}[k]
	}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	return dbURL
}

// TestCheckDatabase: the check fails on a database whose schema is
// behind, naming the command that fixes it, and passes once migrated.
func TestCheckDatabase(t *testing.T) {
	url := postgres.Database(t)
	env := map[string]string{"DATABASE_URL": url}
	out, err := runChecks(t, env, checkDatabase)
	if want := regexp.MustCompile(`error    database: database schema is at version 0, want [1-9][0-9]*: run "generated-example migrate"`); err == nil || !want.MatchString(out) {
		t.Errorf("check on an empty database: %v, output lacks a line matching %q:\n%s", err, want, out)
	}
	if err := dispatch(context.Background(), []string{"migrate"}, func(k string) string { return env[k] }, slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
		t.Fatal(err)
	}
	out, err = runChecks(t, env, checkDatabase)
	if want := "ok       database: PostgreSQL answered"; err != nil || !strings.Contains(out, want) {
		t.Errorf("check after migrate: %v, output lacks %q:\n%s", err, want, out)
	}
}
