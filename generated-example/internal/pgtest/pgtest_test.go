package pgtest

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
)

// TestServer: databases on one server are separate, and a restarted
// server keeps its data.
func TestServer(t *testing.T) {
	ctx := context.Background()
	s := Start(t)
	a, b := s.CreateDatabase(t), s.CreateDatabase(t)
	if a == b {
		t.Fatalf("two databases share the URL %s", a)
	}
	run(t, a, "CREATE TABLE t (n int); INSERT INTO t VALUES (42)")
	run(t, b, "CREATE TABLE t (n int)")

	s.Stop()
	if conn, err := pgx.Connect(ctx, a); err == nil {
		conn.Close(ctx)
		t.Fatal("connected to a stopped server")
	}
	s.Restart(t)
	if got := count(t, a); got != 1 {
		t.Errorf("after a restart, database a holds %d rows, want 1", got)
	}
	if got := count(t, b); got != 0 {
		t.Errorf("database b holds %d rows, want 0: the databases are not separate", got)
	}
}

func run(t *testing.T, url, sql string) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql); err != nil {
		t.Fatal(err)
	}
}

func count(t *testing.T, url string) int {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var n int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM t").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
