package main

import (
	"log/slog"

	"github.com/echocache/scaffold/generated-example/internal/db"
	"github.com/echocache/scaffold/generated-example/internal/tasks"
)

// newTaskStore returns the tasks' store: in the database when there is
// one, and in memory otherwise, which it says in one log line.
func newTaskStore(d *db.DB, logger *slog.Logger) tasks.Store {
	if d == nil {
		logger.Info("tasks: in memory, for this process only (DATABASE_URL is not set)")
		return tasks.NewMemory()
	}
	return tasks.NewPostgres(d)
}
