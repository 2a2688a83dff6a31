package config

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// Database holds the settings of the app's PostgreSQL database.
type Database struct {
	// URL is the PostgreSQL URL of the app's database (DATABASE_URL;
	// Heroku Postgres sets it). Empty means the app runs without one. A
	// URL without sslmode gets sslmode=require: TLS without certificate
	// verification, which Heroku's servers need; a local server without
	// TLS wants ?sslmode=disable in the URL.
	URL string
	// Pool size and timeouts (DATABASE_MAX_CONNS, DATABASE_CONNECT_TIMEOUT,
	// DATABASE_TIMEOUT: per query). Zero means the db package's default:
	// 4 connections, 2s, 3s.
	MaxConns       int
	ConnectTimeout time.Duration
	Timeout        time.Duration
	// MigrateLockTimeout is how long "migrate" waits for the migration
	// lock that another run holds (MIGRATE_LOCK_TIMEOUT), and
	// MigrateTimeout bounds a whole run (MIGRATE_TIMEOUT), so that a
	// release phase fails instead of hanging. Zero means the db package's
	// default: 10s, 5m.
	MigrateLockTimeout time.Duration
	MigrateTimeout     time.Duration
}

// LoadDatabase reads the DATABASE_ settings through getenv. It reports
// every problem it finds in one line.
func LoadDatabase(getenv func(string) string) (Database, error) {
	var db Database
	var p problems
	if v := strings.TrimSpace(getenv("DATABASE_URL")); v != "" {
		dbURL, err := databaseURL(v)
		if err != nil {
			p.add("DATABASE_URL: %v", err)
		}
		db.URL = dbURL
	}
	if v := getenv("DATABASE_MAX_CONNS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			p.add("DATABASE_MAX_CONNS=%q is not a positive whole number", v)
		}
		db.MaxConns = n
	}
	p.duration(getenv, "DATABASE_CONNECT_TIMEOUT", &db.ConnectTimeout)
	p.duration(getenv, "DATABASE_TIMEOUT", &db.Timeout)
	p.duration(getenv, "MIGRATE_LOCK_TIMEOUT", &db.MigrateLockTimeout)
	p.duration(getenv, "MIGRATE_TIMEOUT", &db.MigrateTimeout)
	if err := p.err(); err != nil {
		return Database{}, err
	}
	return db, nil
}

// databaseURL checks a PostgreSQL URL and adds sslmode=require when it
// names no sslmode. Its errors never contain the password.
func databaseURL(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		// url.Parse quotes parts of the URL in its errors, such as a
		// password it took for a port: say nothing of the text.
		return "", errors.New("not a valid URL (a password with / ? # @ or : must be percent-encoded); want postgres://user:password@host:5432/dbname")
	}
	if u.Scheme != "postgres" && u.Scheme != "postgresql" {
		return "", fmt.Errorf("want a postgres:// URL, such as postgres://user:password@host:5432/dbname")
	}
	if q := u.Query(); !q.Has("sslmode") {
		q.Set("sslmode", "require")
		u.RawQuery = q.Encode()
	}
	if _, err := pgxpool.ParseConfig(u.String()); err != nil {
		// pgx hides the password too; this also covers its encoded forms.
		msg := strings.ReplaceAll(err.Error(), u.String(), u.Redacted())
		if password, ok := u.User.Password(); ok && password != "" {
			msg = strings.ReplaceAll(msg, password, "*****")
			msg = strings.ReplaceAll(msg, url.PathEscape(password), "*****")
		}
		return "", errors.New(msg)
	}
	return u.String(), nil
}
