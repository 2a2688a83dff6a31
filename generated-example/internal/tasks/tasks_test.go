package tasks

import (
	"context"
	"errors"
	"os"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/echocache/scaffold/generated-example/internal/db"
	"github.com/echocache/scaffold/generated-example/internal/pgtest"
)

// postgres is the PostgreSQL server of this package's tests; each test
// gets its own database on it.
var postgres pgtest.Shared

func TestMain(m *testing.M) {
	code := m.Run()
	postgres.Close()
	os.Exit(code)
}

// stores returns a factory per Store implementation, for tests that must
// hold on both. Each call returns a new, empty store.
func stores() map[string]func(t *testing.T) Store {
	return map[string]func(t *testing.T) Store{
		"memory":   func(t *testing.T) Store { return NewMemory() },
		"postgres": func(t *testing.T) Store { return newPostgres(t) },
	}
}

// newPostgres returns a Postgres store on a new, migrated database.
func newPostgres(t *testing.T) *Postgres {
	t.Helper()
	return NewPostgres(openDB(t, db.Options{URL: postgres.Database(t)}))
}

// openDB opens the database with opts and gives it the app's schema.
func openDB(t *testing.T, opts db.Options) *db.DB {
	t.Helper()
	d, err := db.Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Close)
	if _, err := d.Migrate(context.Background(), db.MigrateOptions{}); err != nil {
		t.Fatal(err)
	}
	return d
}

func TestStore(t *testing.T) {
	ctx := context.Background()
	for name, newStore := range stores() {
		t.Run(name, func(t *testing.T) {
			s := newStore(t)
			if got, err := s.List(ctx); err != nil || len(got) != 0 {
				t.Fatalf("new store: List = %v, %v; want no tasks", got, err)
			}
			a, err := s.Add(ctx, "milk")
			if err != nil {
				t.Fatal(err)
			}
			b, err := s.Add(ctx, "eggs")
			if err != nil {
				t.Fatal(err)
			}
			if a.ID == b.ID {
				t.Fatalf("two tasks share ID %d", a.ID)
			}
			if a.Title != "milk" || a.UpdatedAt.IsZero() {
				t.Errorf("Add returned %+v, want the title and a time", a)
			}
			got, err := s.List(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if want := []Task{a, b}; !reflect.DeepEqual(got, want) {
				t.Errorf("List = %v, want %v", got, want)
			}
			got[0].Title = "changed"
			if again, _ := s.List(ctx); again[0].Title != "milk" {
				t.Error("List returned the store's own slice")
			}

			deleted, err := s.Delete(ctx, a.ID)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(deleted, a) {
				t.Errorf("Delete returned %v, want %v", deleted, a)
			}
			if _, err := s.Delete(ctx, a.ID); !errors.Is(err, ErrNotFound) {
				t.Errorf("deleting twice: got %v, want ErrNotFound", err)
			}
			if _, err := s.Delete(ctx, -1); !errors.Is(err, ErrNotFound) {
				t.Errorf("deleting a missing ID: got %v, want ErrNotFound", err)
			}
			c, err := s.Add(ctx, "bread")
			if err != nil {
				t.Fatal(err)
			}
			if c.ID == a.ID {
				t.Errorf("a deleted task's ID %d was reused", a.ID)
			}
			if got, _ := s.List(ctx); !reflect.DeepEqual(got, []Task{b, c}) {
				t.Errorf("after delete and add: List = %v, want %v", got, []Task{b, c})
			}
		})
	}
}

// TestConcurrentAdds: adds from many goroutines all land, with distinct
// IDs, and none is lost.
func TestConcurrentAdds(t *testing.T) {
	ctx := context.Background()
	for name, newStore := range stores() {
		t.Run(name, func(t *testing.T) {
			s := newStore(t)
			const n = 40
			var wg sync.WaitGroup
			errs := make(chan error, n)
			for i := 0; i < n; i++ {
				wg.Go(func() {
					_, err := s.Add(ctx, "task "+strconv.Itoa(i))
					errs <- err
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Fatal(err)
				}
			}
			list, err := s.List(ctx)
			if err != nil {
				t.Fatal(err)
			}
			ids := make(map[int64]bool)
			for _, task := range list {
				ids[task.ID] = true
			}
			if len(list) != n || len(ids) != n {
				t.Errorf("got %d tasks with %d distinct IDs, want %d", len(list), len(ids), n)
			}
		})
	}
}

// TestFull: the list holds MaxTasks tasks at most, even when many adds
// race for the last places, and a refused add stores nothing.
func TestFull(t *testing.T) {
	ctx := context.Background()
	for name, newStore := range stores() {
		t.Run(name, func(t *testing.T) {
			s := newStore(t)
			const free = 5
			for i := 0; i < MaxTasks-free; i++ {
				if _, err := s.Add(ctx, "task "+strconv.Itoa(i)); err != nil {
					t.Fatalf("add %d: %v", i, err)
				}
			}
			const racers = 4 * free
			var wg sync.WaitGroup
			results := make(chan error, racers)
			for i := 0; i < racers; i++ {
				wg.Go(func() {
					_, err := s.Add(ctx, "racer "+strconv.Itoa(i))
					results <- err
				})
			}
			wg.Wait()
			close(results)
			added, full := 0, 0
			for err := range results {
				switch {
				case err == nil:
					added++
				case errors.Is(err, ErrFull):
					full++
				default:
					t.Fatal(err)
				}
			}
			if added != free || full != racers-free {
				t.Errorf("racing for %d places: %d adds succeeded and %d got ErrFull, want %d and %d", free, added, full, free, racers-free)
			}
			if list, _ := s.List(ctx); len(list) != MaxTasks {
				t.Errorf("the list holds %d tasks, want %d", len(list), MaxTasks)
			}
			if _, err := s.Add(ctx, "one more"); !errors.Is(err, ErrFull) {
				t.Errorf("adding to a full list: got %v, want ErrFull", err)
			}
			list, _ := s.List(ctx)
			if _, err := s.Delete(ctx, list[0].ID); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Add(ctx, "after a delete"); err != nil {
				t.Errorf("adding after a delete: %v", err)
			}
		})
	}
}

// TestMemoryIDsContinueFromTheClock: a new process's store does not start
// again from 1, so it does not reuse the IDs of the previous process,
// whose fragments a shared cache may still hold.
// TestNamespace: every in-memory store has a namespace of its own, every
// store on one database the same one, and another database another, none
// of them holding the database's credentials.
func TestNamespace(t *testing.T) {
	word := regexp.MustCompile(`^(mem|pg)-[0-9a-f]{8}$`)
	a, b := NewMemory(), NewMemory()
	if a.Namespace() == b.Namespace() || !word.MatchString(a.Namespace()) || !word.MatchString(b.Namespace()) {
		t.Errorf("two in-memory stores: namespaces %q and %q, want two different mem-<8 hex digits>", a.Namespace(), b.Namespace())
	}

	url := postgres.Database(t)
	open := func(url string) *Postgres {
		t.Helper()
		d, err := db.Open(db.Options{URL: url})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(d.Close)
		return NewPostgres(d)
	}
	one, same, other := open(url), open(strings.Replace(url, "postgres@", "postgres:secret-password@", 1)), open(postgres.Database(t))
	if one.Namespace() != same.Namespace() || !strings.HasPrefix(one.Namespace(), "pg-") || !word.MatchString(one.Namespace()) {
		t.Errorf("one database, with and without a password: namespaces %q and %q, want one pg-<8 hex digits>", one.Namespace(), same.Namespace())
	}
	if one.Namespace() == other.Namespace() {
		t.Errorf("two databases share the namespace %q", one.Namespace())
	}
}

func TestMemoryIDsContinueFromTheClock(t *testing.T) {
	before := time.Now().UnixMicro()
	task, err := NewMemory().Add(context.Background(), "first")
	if err != nil {
		t.Fatal(err)
	}
	if task.ID <= before {
		t.Errorf("the first ID of a new store is %d, want more than %d (the clock in microseconds)", task.ID, before)
	}
}

// TestHungServer: a server that accepts connections but answers nothing
// gives ErrUnavailable within the timeout, and the store works again,
// without a new pool, once the server answers.
func TestHungServer(t *testing.T) {
	ctx := context.Background()
	srv := pgtest.Start(t)
	p := NewPostgres(openDB(t, db.Options{URL: srv.CreateDatabase(t), Timeout: 500 * time.Millisecond}))
	kept, err := p.Add(ctx, "kept")
	if err != nil {
		t.Fatal(err)
	}

	srv.Pause(t)
	if _, err := p.List(ctx); !errors.Is(err, ErrUnavailable) {
		t.Errorf("List on a hung server: got %v, want ErrUnavailable", err)
	}
	if _, err := p.Add(ctx, "lost"); !errors.Is(err, ErrUnavailable) {
		t.Errorf("Add on a hung server: got %v, want ErrUnavailable", err)
	}
	srv.Resume(t)

	if _, err := p.Add(ctx, "after"); err != nil {
		t.Fatalf("Add after the server came back: %v", err)
	}
	list, err := p.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0] != kept || list[1].Title != "after" {
		t.Errorf("after the server came back: List = %v, want %q and %q", list, "kept", "after")
	}
}

// TestUnreachable: a server that is not there gives ErrUnavailable
// within the timeouts, not a hang.
func TestUnreachable(t *testing.T) {
	d, err := db.Open(db.Options{
		URL:            "postgres://nobody@127.0.0.1:1/none?sslmode=disable",
		ConnectTimeout: 500 * time.Millisecond,
		Timeout:        time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	p := NewPostgres(d)
	ctx := context.Background()
	if _, err := p.List(ctx); !errors.Is(err, ErrUnavailable) {
		t.Errorf("List: got %v, want ErrUnavailable", err)
	}
	if _, err := p.Add(ctx, "lost"); !errors.Is(err, ErrUnavailable) {
		t.Errorf("Add: got %v, want ErrUnavailable", err)
	}
}
