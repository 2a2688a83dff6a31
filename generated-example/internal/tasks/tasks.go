// Package tasks holds the demo's data: a list of tasks, kept in PostgreSQL
// (Postgres) or in this process's memory (Memory).
package tasks

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/echocache/scaffold/generated-example/internal/db"
)

// MaxTasks bounds the list, so that one visitor cannot make every page
// render thousands of rows (and as many cached fragments).
const MaxTasks = 100

// Task is one entry of the list.
type Task struct {
	ID    int64  `json:"id"`
	Title string `json:"title"`
	// UpdatedAt changes whenever the task does: with the ID, it names
	// one version of the task, for example in a cached fragment's key.
	UpdatedAt time.Time `json:"updated_at"`
}

var (
	// ErrNotFound is returned for a task that does not exist.
	ErrNotFound = errors.New("task not found")
	// ErrFull is returned by Add when the list already holds MaxTasks tasks.
	ErrFull = errors.New("task list is full")
	// ErrUnavailable wraps errors that mean the store could not be reached
	// or did not answer in time: the request may succeed later. It is the
	// database's own (db.ErrUnavailable).
	ErrUnavailable = db.ErrUnavailable
)

// Store keeps tasks.
type Store interface {
	// List returns every task, oldest first.
	List(ctx context.Context) ([]Task, error)
	// Add stores a new task and returns it with its ID. It returns ErrFull,
	// and stores nothing, when the list already holds MaxTasks tasks.
	Add(ctx context.Context, title string) (Task, error)
	// Delete removes the task with the given ID and returns it, or returns
	// ErrNotFound.
	Delete(ctx context.Context, id int64) (Task, error)
	// Kind says where the tasks are kept, for people: "PostgreSQL" or
	// "memory".
	Kind() string
	// Namespace names the store's data in a cache that other instances
	// of the app share: what one instance caches from its store must never
	// be served by an instance reading another. It is a short word, safe
	// in a cache key.
	Namespace() string
}

// Memory is a Store in this process's memory. It is safe for concurrent
// use; its tasks are lost when the process exits.
type Memory struct {
	namespace string

	mu     sync.Mutex
	lastID int64
	tasks  []Task
}

// NewMemory returns an empty Memory store. Its IDs continue from the
// clock (microseconds since 1970) rather than from 1, so that a restarted
// process does not hand out the IDs of the tasks a shared cache still
// remembers from the previous one.
func NewMemory() *Memory {
	b := make([]byte, 4)
	rand.Read(b)
	return &Memory{namespace: "mem-" + hex.EncodeToString(b), lastID: time.Now().UnixMicro()}
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
	if len(m.tasks) >= MaxTasks {
		return Task{}, ErrFull
	}
	m.lastID++
	t := Task{ID: m.lastID, Title: title, UpdatedAt: time.Now()}
	m.tasks = append(m.tasks, t)
	return t, nil
}

// Delete implements Store.
func (m *Memory) Delete(ctx context.Context, id int64) (Task, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	i := slices.IndexFunc(m.tasks, func(t Task) bool { return t.ID == id })
	if i < 0 {
		return Task{}, ErrNotFound
	}
	t := m.tasks[i]
	m.tasks = slices.Delete(m.tasks, i, i+1)
	return t, nil
}

// Kind implements Store.
func (m *Memory) Kind() string { return "memory" }

// Namespace implements Store. The tasks are this store's alone, so the
// name is random: "mem-" and 8 hex digits, different for every store.
func (m *Memory) Namespace() string { return m.namespace }
