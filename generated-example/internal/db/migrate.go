package db

import (
	"cmp"
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/database"
	"github.com/pressly/goose/v3/lock"
)

// migrations holds the schema, one goose SQL file per version
// (NNNNN_what.sql, with -- +goose Up and -- +goose Down sections). Add a
// file to change the schema; never edit one that has been deployed.
//
//go:embed migrations/*.sql
var migrations embed.FS

// Defaults for MigrateOptions.
const (
	// DefaultLockTimeout is how long Migrate waits for another run's
	// migration lock: a release phase must fail, not hang, behind a run
	// that never finishes.
	DefaultLockTimeout = 10 * time.Second
	// DefaultMigrateTimeout bounds a whole run of Migrate.
	DefaultMigrateTimeout = 5 * time.Minute
)

// MigrateOptions configures Migrate. Zero values mean the defaults.
type MigrateOptions struct {
	// LockTimeout is how long to wait for the migration lock that another
	// run holds; it is rounded up to whole seconds.
	LockTimeout time.Duration
	// Timeout bounds the whole run, waiting for the lock included.
	Timeout time.Duration
}

// ErrLocked is returned by Migrate when another run held the migration
// lock for the whole lock timeout.
var ErrLocked = errors.New("the migration lock is held by another migrate")

// SchemaError reports a database whose schema is older than this program.
type SchemaError struct {
	// Current is the database's version: 0 when it has no schema.
	Current int64
	// Want is the newest embedded migration's version.
	Want int64
}

func (e *SchemaError) Error() string {
	return fmt.Sprintf("database schema is at version %d, want %d", e.Current, e.Want)
}

// Migrate applies the embedded migrations that the database lacks, in
// order, with goose, and returns the ones it applied: none when the schema
// is up to date. Concurrent runs take turns under a PostgreSQL advisory
// lock, so a second run finds nothing left to do; a run that cannot get
// the lock within opts.LockTimeout returns ErrLocked.
func (d *DB) Migrate(ctx context.Context, opts MigrateOptions) ([]*goose.MigrationResult, error) {
	ctx, cancel := context.WithTimeout(ctx, cmp.Or(opts.Timeout, DefaultMigrateTimeout))
	defer cancel()
	db := stdlib.OpenDBFromPool(d.pool)
	defer db.Close()
	wait := cmp.Or(opts.LockTimeout, DefaultLockTimeout)
	locker, err := lock.NewPostgresSessionLocker(lock.WithLockTimeout(1, uint64(math.Ceil(wait.Seconds()))))
	if err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	named := &namedLocker{SessionLocker: locker, wait: wait}
	provider, err := newProvider(db, goose.WithSessionLocker(named))
	if err != nil {
		return nil, err
	}
	results, err := provider.Up(ctx)
	switch {
	case named.failed != nil:
		return results, fmt.Errorf("migrate: %w", named.failed)
	case err != nil:
		return results, Fail("migrate", err)
	}
	return results, nil
}

// namedLocker keeps, when a run cannot get the migration lock, an error
// that names the lock and how long the run waited: goose's own says
// neither.
type namedLocker struct {
	lock.SessionLocker
	wait   time.Duration
	failed error
}

func (l *namedLocker) SessionLock(ctx context.Context, conn *sql.Conn) error {
	err := l.SessionLocker.SessionLock(ctx, conn)
	if err != nil && ctx.Err() == nil {
		l.failed = fmt.Errorf("%w (PostgreSQL advisory lock %d, waited %s): let that run finish, or end it (SELECT pid FROM pg_locks WHERE locktype = 'advisory')", ErrLocked, lock.DefaultLockID, l.wait)
	}
	return err
}

// CheckSchema returns a *SchemaError when the database lacks some of the
// embedded migrations. It only reads: the web process never changes the
// schema, the release phase does (see Migrate). A database newer than
// this program passes, so that a deploy can be rolled back.
func (d *DB) CheckSchema(ctx context.Context) error {
	ctx, cancel := d.WithTimeout(ctx)
	defer cancel()
	db := stdlib.OpenDBFromPool(d.pool)
	defer db.Close()
	provider, err := newProvider(db)
	if err != nil {
		return err
	}
	sources := provider.ListSources()
	want := sources[len(sources)-1].Version

	store, err := database.NewStore(database.DialectPostgres, goose.DefaultTablename)
	if err != nil {
		return fmt.Errorf("check schema: %w", err)
	}
	current, err := store.GetLatestVersion(ctx, db)
	var pgErr *pgconn.PgError
	switch {
	case errors.As(err, &pgErr) && pgErr.Code == "42P01": // undefined_table: never migrated
		current = 0
	case errors.Is(err, database.ErrVersionNotFound):
		current = 0
	case err != nil:
		return Fail("check schema", err)
	}
	if current < want {
		return &SchemaError{Current: current, Want: want}
	}
	return nil
}

// newProvider returns a goose provider for the embedded migrations.
func newProvider(db *sql.DB, opts ...goose.ProviderOption) (*goose.Provider, error) {
	fsys, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return nil, err
	}
	provider, err := goose.NewProvider(goose.DialectPostgres, db, fsys, opts...)
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	return provider, nil
}
