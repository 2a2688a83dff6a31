package tasks

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"

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
// is up to date. Concurrent runs take turns (a PostgreSQL advisory lock),
// so a second run finds nothing left to do.
func (p *Postgres) Migrate(ctx context.Context) ([]*goose.MigrationResult, error) {
	db := stdlib.OpenDBFromPool(p.pool)
	defer db.Close()
	locker, err := lock.NewPostgresSessionLocker()
	if err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	provider, err := newProvider(db, goose.WithSessionLocker(locker))
	if err != nil {
		return nil, err
	}
	results, err := provider.Up(ctx)
	if err != nil {
		return results, p.fail("migrate", err)
	}
	return results, nil
}

// CheckSchema returns a *SchemaError when the database lacks some of the
// embedded migrations. It only reads: the web process never changes the
// schema, the release phase does (see Migrate). A database newer than
// this program passes, so that a deploy can be rolled back.
func (p *Postgres) CheckSchema(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	db := stdlib.OpenDBFromPool(p.pool)
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
		return p.fail("check schema", err)
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
