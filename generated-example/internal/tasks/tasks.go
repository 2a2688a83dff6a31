// Package tasks holds the demo's data: a list of tasks, kept in memory.
package tasks

import (
	"context"
	"errors"
	"slices"
	"sync"
)

// Task is one entry of the list.
type Task struct {
	ID    int64  `json:"id"`
	Title string `json:"title"`
}

// ErrNotFound is returned for a task that does not exist.
var ErrNotFound = errors.New("task not found")

// Store keeps tasks.
type Store interface {
	// List returns every task, oldest first.
	List(ctx context.Context) ([]Task, error)
	// Add stores a new task and returns it with its ID.
	Add(ctx context.Context, title string) (Task, error)
	// Delete removes the task with the given ID, or returns ErrNotFound.
	Delete(ctx context.Context, id int64) error
}

// Memory is a Store in this process's memory. It is safe for concurrent
// use; its tasks are lost when the process exits.
type Memory struct {
	mu     sync.Mutex
	lastID int64
	tasks  []Task
}

// NewMemory returns an empty Memory store.
func NewMemory() *Memory {
	return &Memory{}
}

// List implements Store.
func (m *Memory) List(ctx context.Context) ([]Task, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.tasks), nil
}

// Add implements Store.
func (m *Memory) Add(ctx context.Context, title string) (Task, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.lastID++
	t := Task{ID: m.lastID, Title: title}
	m.tasks = append(m.tasks, t)
	return t, nil
}

// Delete implements Store.
func (m *Memory) Delete(ctx context.Context, id int64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	i := slices.IndexFunc(m.tasks, func(t Task) bool { return t.ID == id })
	if i < 0 {
		return ErrNotFound
	}
	m.tasks = slices.Delete(m.tasks, i, i+1)
	return nil
}
