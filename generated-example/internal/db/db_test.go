package db

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/pressly/goose/v3/lock"

	"github.com/echocache/scaffold/generated-example/internal/pgtest"
)

// postgres is the PostgreSQL server of this package's tests; each test
// gets its own database on it.
var postgres pgtest.Shared

func TestMain(m *testing.M) {
	code := m.Run()
	postgres.Close()
	os.Exit(code)
}

// open opens a new, empty database.
func open(t *testing.T) (*DB, string) {
	t.Helper()
	url := postgres.Database(t)
	d, err := Open(Options{URL: url})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Close)
	return d, url
}

func TestMigrate(t *testing.T) {
	ctx := context.Background()
	d, _ := open(t)

	var schemaErr *SchemaError
	if err := d.CheckSchema(ctx); !errors.As(err, &schemaErr) || schemaErr.Current != 0 || schemaErr.Want < 1 {
		t.Fatalf("CheckSchema on an empty database: got %v, want a SchemaError from version 0", err)
	}
	if err := d.CheckSchema(ctx); !errors.As(err, &schemaErr) || schemaErr.Current != 0 {
		t.Errorf("a second CheckSchema: got %v, want the same SchemaError: the check changed the database", err)
	}

	applied, err := d.Migrate(ctx, MigrateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(applied) != len(mustSources(t)) || applied[len(applied)-1].Source.Version != schemaErr.Want {
		t.Errorf("Migrate from empty applied %v, want every migration up to version %d", applied, schemaErr.Want)
	}
	if err := d.CheckSchema(ctx); err != nil {
		t.Errorf("CheckSchema after Migrate: %v", err)
	}

	again, err := d.Migrate(ctx, MigrateOptions{})
	if err != nil || len(again) != 0 {
		t.Errorf("a second Migrate: applied %v, err %v; want nothing", again, err)
	}
}

// TestConcurrentMigrate: two release phases at once (say, two deploys)
// take turns and leave one schema.
func TestConcurrentMigrate(t *testing.T) {
	_, url := open(t)
	var wg sync.WaitGroup
	counts := make(chan int, 2)
	for i := 0; i < 2; i++ {
		wg.Go(func() {
			d, err := Open(Options{URL: url})
			if err != nil {
				t.Error(err)
				return
			}
			defer d.Close()
			applied, err := d.Migrate(context.Background(), MigrateOptions{})
			if err != nil {
				t.Error(err)
			}
			counts <- len(applied)
		})
	}
	wg.Wait()
	close(counts)
	total := 0
	for n := range counts {
		total += n
	}
	if sources := len(mustSources(t)); total != sources {
		t.Errorf("two concurrent runs applied %d migrations in all, want %d", total, sources)
	}
}

// TestMigrateBehindAHeldLock: a run that never lets go of the migration
// lock (a stuck release phase) makes the next run fail with one line
// that names the lock, instead of hanging the deploy; once the lock is
// free, migrating works.
func TestMigrateBehindAHeldLock(t *testing.T) {
	ctx := context.Background()
	d, url := open(t)
	holder := holdMigrationLock(t, url)

	_, err := d.Migrate(ctx, MigrateOptions{LockTimeout: time.Second})
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("Migrate behind a held lock: got %v, want ErrLocked", err)
	}
	if msg := err.Error(); !strings.Contains(msg, fmt.Sprintf("advisory lock %d", lock.DefaultLockID)) || strings.Contains(msg, "\n") {
		t.Errorf("error %q is not one line naming the lock", msg)
	}
	var schemaErr *SchemaError
	if err := d.CheckSchema(ctx); !errors.As(err, &schemaErr) || schemaErr.Current != 0 {
		t.Errorf("after a locked-out run, CheckSchema = %v, want version 0: nothing applied", err)
	}

	// The whole run's deadline also bounds the wait for the lock.
	_, err = d.Migrate(ctx, MigrateOptions{LockTimeout: time.Minute, Timeout: time.Second})
	if err == nil {
		t.Fatal("Migrate with a deadline shorter than the lock wait succeeded, want an error")
	}

	if err := holder.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Migrate(ctx, MigrateOptions{LockTimeout: time.Second}); err != nil {
		t.Errorf("Migrate once the lock is free: %v", err)
	}
}

// holdMigrationLock takes goose's migration lock on a connection of its
// own, as a migrate that hangs would hold it, until the connection closes.
func holdMigrationLock(t *testing.T, url string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	if _, err := conn.Exec(context.Background(), "SELECT pg_advisory_lock($1)", lock.DefaultLockID); err != nil {
		t.Fatal(err)
	}
	return conn
}

func mustSources(t *testing.T) []string {
	t.Helper()
	entries, err := migrations.ReadDir("migrations")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// TestUnreachable: a server that is not there gives ErrUnavailable
// within the timeouts, not a hang.
func TestUnreachable(t *testing.T) {
	d, err := Open(Options{
		URL:            "postgres://nobody@127.0.0.1:1/none?sslmode=disable",
		ConnectTimeout: 500 * time.Millisecond,
		Timeout:        time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if err := d.CheckSchema(context.Background()); !errors.Is(err, ErrUnavailable) {
		t.Errorf("CheckSchema: got %v, want ErrUnavailable", err)
	}
}

func TestFail(t *testing.T) {
	tests := []struct {
		name        string
		err         error
		unavailable bool
	}{
		{"connection refused", errors.New("dial tcp 127.0.0.1:1: connect: connection refused"), true},
		{"timeout", context.DeadlineExceeded, true},
		{"connection failure", &pgconn.PgError{Code: "08006"}, true},
		{"server shutting down", &pgconn.PgError{Code: "57P01"}, true},
		{"too many connections", &pgconn.PgError{Code: "53300"}, true},
		{"syntax error", &pgconn.PgError{Code: "42601"}, false},
		{"check violation", &pgconn.PgError{Code: "23514"}, false},
	}
	for _, tt := range tests {
		err := Fail("op", tt.err)
		if got := errors.Is(err, ErrUnavailable); got != tt.unavailable {
			t.Errorf("%s: Fail gives ErrUnavailable %t, want %t", tt.name, got, tt.unavailable)
		}
		if !errors.Is(err, tt.err) || !strings.HasPrefix(err.Error(), "op: ") {
			t.Errorf("%s: Fail(op, err) = %v, want err wrapped with op", tt.name, err)
		}
	}
}
