package tasks

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"

	"github.com/echocache/scaffold/generated-example/internal/db"
)

// Postgres is a Store in the PostgreSQL table that the database's
// migrations create (see db.DB.Migrate). It is safe for concurrent use.
//
// Each call runs under the database's query timeout. A call that cannot
// reach the server, or gets no answer in time, returns an error wrapping
// ErrUnavailable.
type Postgres struct {
	db *db.DB
}

// NewPostgres returns a Postgres store in d.
func NewPostgres(d *db.DB) *Postgres {
	return &Postgres{db: d}
}

// Kind implements Store.
func (p *Postgres) Kind() string { return "PostgreSQL" }

// Namespace implements Store: the database's own (db.DB.Namespace).
func (p *Postgres) Namespace() string { return p.db.Namespace() }

// List implements Store.
func (p *Postgres) List(ctx context.Context) ([]Task, error) {
	ctx, cancel := p.db.WithTimeout(ctx)
	defer cancel()
	rows, err := p.db.Pool().Query(ctx, `SELECT id, title, updated_at FROM tasks ORDER BY id LIMIT $1`, MaxTasks)
	if err != nil {
		return nil, db.Fail("list tasks", err)
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Task, error) { return scanTask(row) })
	if err != nil {
		return nil, db.Fail("list tasks", err)
	}
	return list, nil
}

// Add implements Store.
func (p *Postgres) Add(ctx context.Context, title string) (Task, error) {
	ctx, cancel := p.db.WithTimeout(ctx)
	defer cancel()
	var t Task
	err := pgx.BeginFunc(ctx, p.db.Pool(), func(tx pgx.Tx) error {
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
		return Task{}, db.Fail("add task", err)
	}
	return t, nil
}

// Delete implements Store.
func (p *Postgres) Delete(ctx context.Context, id int64) (Task, error) {
	ctx, cancel := p.db.WithTimeout(ctx)
	defer cancel()
	row := p.db.Pool().QueryRow(ctx, `DELETE FROM tasks WHERE id = $1 RETURNING id, title, updated_at`, id)
	t, err := scanTask(row)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return Task{}, ErrNotFound
	case err != nil:
		return Task{}, db.Fail("delete task", err)
	}
	return t, nil
}

func scanTask(row pgx.Row) (Task, error) {
	var t Task
	err := row.Scan(&t.ID, &t.Title, &t.UpdatedAt)
	return t, err
}
