package tasks

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Defaults for PostgresOptions. Heroku's essential-0 plan allows 20
// connections, shared by every dyno and the release phase.
const (
	DefaultMaxConns       = 4
	DefaultConnectTimeout = 2 * time.Second
	DefaultTimeout        = 3 * time.Second
)

// PostgresOptions configures OpenPostgres. Zero values mean the defaults.
type PostgresOptions struct {
	// URL is the connection URL, such as Heroku's DATABASE_URL.
	URL string
	// MaxConns bounds the connection pool.
	MaxConns int
	// ConnectTimeout bounds opening one connection, TLS and
	// authentication included, unless the URL sets connect_timeout.
	ConnectTimeout time.Duration
	// Timeout bounds each call of a Store method, waiting for a pooled
	// connection included.
	Timeout time.Duration
}

// Postgres is a Store in the PostgreSQL table that the embedded migrations
// create (see Migrate). It is safe for concurrent use.
//
// A call that cannot reach the server, or gets no answer within the
// timeout, returns an error wrapping ErrUnavailable. The pool replaces
// broken connections on its own, so the store works again as soon as the
// server is back.
type Postgres struct {
	pool      *pgxpool.Pool
	timeout   time.Duration
	namespace string
}

// OpenPostgres returns a Postgres store with its own connection pool. It
// does not connect: the pool opens connections when they are needed.
func OpenPostgres(opts PostgresOptions) (*Postgres, error) {
	cfg, err := pgxpool.ParseConfig(opts.URL)
	if err != nil {
		return nil, fmt.Errorf("database URL: %w", err)
	}
	cfg.MaxConns = int32(cmp.Or(opts.MaxConns, DefaultMaxConns))
	if cfg.ConnConfig.ConnectTimeout == 0 {
		cfg.ConnConfig.ConnectTimeout = cmp.Or(opts.ConnectTimeout, DefaultConnectTimeout)
	}
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		return nil, fmt.Errorf("database pool: %w", err)
	}
	return &Postgres{pool: pool, timeout: cmp.Or(opts.Timeout, DefaultTimeout), namespace: databaseNamespace(cfg.ConnConfig)}, nil
}

// databaseNamespace is "pg-" and 8 hex digits of a digest of the
// database's address and name: the same for every instance reading one
// database, and different for another database (staging and production
// on one memcached). The user and password are not part of it: a rotated
// password is the same database, and the digest is written into cache
// keys that anyone with the cache's credentials can list.
func databaseNamespace(cfg *pgx.ConnConfig) string {
	sum := sha256.Sum256([]byte(fmt.Sprintf("%s:%d/%s", cfg.Host, cfg.Port, cfg.Database)))
	return "pg-" + hex.EncodeToString(sum[:4])
}

// Close closes the pool's connections.
func (p *Postgres) Close() { p.pool.Close() }

// Kind implements Store.
func (p *Postgres) Kind() string { return "PostgreSQL" }

// Namespace implements Store.
func (p *Postgres) Namespace() string { return p.namespace }

// List implements Store.
func (p *Postgres) List(ctx context.Context) ([]Task, error) {
	ctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	rows, err := p.pool.Query(ctx, `SELECT id, title, updated_at FROM tasks ORDER BY id LIMIT $1`, MaxTasks)
	if err != nil {
		return nil, p.fail("list tasks", err)
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Task, error) { return scanTask(row) })
	if err != nil {
		return nil, p.fail("list tasks", err)
	}
	return list, nil
}

// Add implements Store.
func (p *Postgres) Add(ctx context.Context, title string) (Task, error) {
	ctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	var t Task
	err := pgx.BeginFunc(ctx, p.pool, func(tx pgx.Tx) error {
		// The lock makes counting and inserting one step: concurrent adds
		// (and deletes) wait their turn, so the list never grows past
		// MaxTasks. Reads are not blocked.
		if _, err := tx.Exec(ctx, `LOCK TABLE tasks IN SHARE ROW EXCLUSIVE MODE`); err != nil {
			return err
		}
		row := tx.QueryRow(ctx, `
			INSERT INTO tasks (title)
			SELECT $1 WHERE (SELECT count(*) FROM tasks) < $2
			RETURNING id, title, updated_at`, title, MaxTasks)
		var err error
		t, err = scanTask(row)
		return err
	})
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return Task{}, ErrFull
	case err != nil:
		return Task{}, p.fail("add task", err)
	}
	return t, nil
}

// Delete implements Store.
func (p *Postgres) Delete(ctx context.Context, id int64) (Task, error) {
	ctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	row := p.pool.QueryRow(ctx, `DELETE FROM tasks WHERE id = $1 RETURNING id, title, updated_at`, id)
	t, err := scanTask(row)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return Task{}, ErrNotFound
	case err != nil:
		return Task{}, p.fail("delete task", err)
	}
	return t, nil
}

func scanTask(row pgx.Row) (Task, error) {
	var t Task
	err := row.Scan(&t.ID, &t.Title, &t.UpdatedAt)
	return t, err
}

// fail wraps err for op, marking it ErrUnavailable unless the server
// answered with an error of its own about the statement (a bug, not an
// outage). Connection failures (SQLSTATE class 08), a server shutting
// down or starting (57) and a lack of resources such as too many
// connections (53) are outages too.
func (p *Postgres) fail(op string, err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && !strings.HasPrefix(pgErr.Code, "08") &&
		!strings.HasPrefix(pgErr.Code, "57") && !strings.HasPrefix(pgErr.Code, "53") {
		return fmt.Errorf("%s: %w", op, err)
	}
	return fmt.Errorf("%s: %w: %w", op, ErrUnavailable, err)
}
