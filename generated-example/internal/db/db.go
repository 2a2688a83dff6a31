// Package db is the app's PostgreSQL database: a bounded connection pool
// with timeouts, and the schema's migrations, embedded and applied with
// goose by the "migrate" command.
package db

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

// Defaults for Options. Heroku's essential-0 plan allows 20 connections,
// shared by every dyno and the release phase.
const (
	DefaultMaxConns       = 4
	DefaultConnectTimeout = 2 * time.Second
	DefaultTimeout        = 3 * time.Second
)

// ErrUnavailable wraps errors that mean the database could not be reached
// or did not answer in time: the request may succeed later.
var ErrUnavailable = errors.New("database unavailable")

// Options configures Open. Zero values mean the defaults.
type Options struct {
	// URL is the connection URL, such as Heroku's DATABASE_URL.
	URL string
	// MaxConns bounds the connection pool.
	MaxConns int
	// ConnectTimeout bounds opening one connection, TLS and
	// authentication included, unless the URL sets connect_timeout.
	ConnectTimeout time.Duration
	// Timeout bounds each query, waiting for a pooled connection
	// included. Stores built on the DB apply it with WithTimeout.
	Timeout time.Duration
}

// DB is a PostgreSQL database reached through a connection pool. It is
// safe for concurrent use. The pool replaces broken connections on its
// own, so queries work again as soon as the server is back.
type DB struct {
	pool      *pgxpool.Pool
	timeout   time.Duration
	namespace string
}

// Open returns a DB with its own connection pool. It does not connect:
// the pool opens connections when they are needed.
func Open(opts Options) (*DB, error) {
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
	return &DB{pool: pool, timeout: cmp.Or(opts.Timeout, DefaultTimeout), namespace: namespace(cfg.ConnConfig)}, nil
}

// namespace is "pg-" and 8 hex digits of a digest of the database's
// address and name: the same for every instance reading one database, and
// different for another database (staging and production on one
// memcached). The user and password are not part of it: a rotated
// password is the same database, and the digest is written into cache
// keys that anyone with the cache's credentials can list.
func namespace(cfg *pgx.ConnConfig) string {
	sum := sha256.Sum256([]byte(fmt.Sprintf("%s:%d/%s", cfg.Host, cfg.Port, cfg.Database)))
	return "pg-" + hex.EncodeToString(sum[:4])
}

// Namespace names the database in a cache that other instances of the app
// share (see cache.Cache.Namespace): what an instance caches from this
// database must never be served by an instance reading another one.
func (d *DB) Namespace() string { return d.namespace }

// Pool returns the connection pool, for the app's stores.
func (d *DB) Pool() *pgxpool.Pool { return d.pool }

// WithTimeout returns ctx bounded by the query timeout: every query
// should run under one, so that a hung server costs a request a bounded
// wait.
func (d *DB) WithTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, d.timeout)
}

// Close closes the pool's connections.
func (d *DB) Close() { d.pool.Close() }

// Fail wraps err for op, marking it ErrUnavailable unless the server
// answered with an error of its own about the statement (a bug, not an
// outage). Connection failures (SQLSTATE class 08), a server shutting
// down or starting (57) and a lack of resources such as too many
// connections (53) are outages too.
func Fail(op string, err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && !strings.HasPrefix(pgErr.Code, "08") &&
		!strings.HasPrefix(pgErr.Code, "57") && !strings.HasPrefix(pgErr.Code, "53") {
		return fmt.Errorf("%s: %w", op, err)
	}
	return fmt.Errorf("%s: %w: %w", op, ErrUnavailable, err)
}
