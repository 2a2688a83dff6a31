package cache

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// counted returns a function that counts its calls and returns f(arg).
func counted[A, R any](f func(A) (R, error)) (func(context.Context, A) (R, error), *atomic.Int64) {
	var n atomic.Int64
	return func(_ context.Context, a A) (R, error) {
		n.Add(1)
		return f(a)
	}, &n
}

func TestMemoize(t *testing.T) {
	ctx := context.Background()
	tests := []backendCase{
		{"hit after miss", func(t *testing.T, c *Cache) {
			fn, calls := counted(func(n int) (string, error) { return fmt.Sprint("x", n), nil })
			m := Memoize(c, t.Name(), time.Minute, fn)
			for i := 0; i < 3; i++ {
				if got, err := m.Call(ctx, 7); got != "x7" || err != nil {
					t.Fatalf("Call(7) = %q, %v", got, err)
				}
			}
			if n := calls.Load(); n != 1 {
				t.Errorf("three calls ran the function %d times, want 1", n)
			}
		}},
		{"zero values are cached", func(t *testing.T, c *Cache) {
			fn, calls := counted(func(int) (int, error) { return 0, nil })
			m := Memoize(c, t.Name(), time.Minute, fn)
			m.Call(ctx, 1)
			m.Call(ctx, 1)
			if n := calls.Load(); n != 1 {
				t.Errorf("a zero result was recomputed: %d calls", n)
			}
		}},
		{"errors are not cached", func(t *testing.T, c *Cache) {
			fail := errors.New("db down")
			fn, calls := counted(func(int) (int, error) { return 5, fail })
			m := Memoize(c, t.Name(), time.Minute, fn)
			for i := 0; i < 2; i++ {
				if _, err := m.Call(ctx, 1); !errors.Is(err, fail) {
					t.Fatalf("got %v, want the function's error", err)
				}
			}
			if n := calls.Load(); n != 2 {
				t.Errorf("an error was cached: %d calls, want 2", n)
			}
		}},
		{"forget one argument", func(t *testing.T, c *Cache) {
			fn, calls := counted(func(n int) (int, error) { return n * 2, nil })
			m := Memoize(c, t.Name(), time.Minute, fn)
			m.Call(ctx, 1)
			m.Call(ctx, 2)
			if err := m.Forget(1); err != nil {
				t.Fatal(err)
			}
			m.Call(ctx, 1) // recomputed
			m.Call(ctx, 2) // still cached
			if n := calls.Load(); n != 3 {
				t.Errorf("got %d calls, want 3: Forget(1) must drop only f(1)", n)
			}
		}},
		{"forget all", func(t *testing.T, c *Cache) {
			fn, calls := counted(func(n int) (int, error) { return n, nil })
			m := Memoize(c, t.Name(), time.Minute, fn)
			other, otherCalls := counted(func(n int) (int, error) { return n, nil })
			o := Memoize(c, t.Name()+"/other", time.Minute, other)
			m.Call(ctx, 1)
			m.Call(ctx, 2)
			o.Call(ctx, 1)
			if err := m.ForgetAll(); err != nil {
				t.Fatal(err)
			}
			m.Call(ctx, 1)
			m.Call(ctx, 2)
			o.Call(ctx, 1)
			if n := calls.Load(); n != 4 {
				t.Errorf("got %d calls, want 4: ForgetAll must drop every result", n)
			}
			if n := otherCalls.Load(); n != 1 {
				t.Errorf("ForgetAll of one function dropped another's results")
			}
		}},
		{"version outlives the first result (flask-caching 531)", func(t *testing.T, c *Cache) {
			fn, calls := counted(func(n int) (int, error) { return n, nil })
			// memcached counts whole seconds, so a 5s item lives 4 to 5s:
			// f(1) is gone by 5s, f(2) lives until 7s at least, and the
			// check at 5.5s has a second and a half to spare on a slow
			// machine.
			m := Memoize(c, t.Name(), 5*time.Second, fn)
			m.Call(ctx, 1) // creates the version
			time.Sleep(3 * time.Second)
			m.Call(ctx, 2)
			time.Sleep(2500 * time.Millisecond)
			// f(1) has expired; f(2) must still be a hit. With a version
			// key that expired with f(1), f(2) would be lost too.
			m.Call(ctx, 2)
			if n := calls.Load(); n != 2 {
				t.Errorf("got %d calls, want 2: f(2) was dropped when f(1) expired", n)
			}
		}},
		{"evicted version never revives old results", func(t *testing.T, c *Cache) {
			value := 1
			fn, calls := counted(func(int) (int, error) { return value, nil })
			m := Memoize(c, t.Name(), time.Minute, fn)
			m.Call(ctx, 0)
			c.backend.delete(m.tagKeys[0]) // as if memcached evicted the function's tag
			value = 2
			if got, _ := m.Call(ctx, 0); got != 2 {
				t.Errorf("after the version was evicted got %d, want the new result 2", got)
			}
			if got, _ := m.Call(ctx, 0); got != 2 || calls.Load() != 2 {
				t.Errorf("got %d after %d calls, want 2 from the cache", got, calls.Load())
			}
		}},
		{"concurrent misses run once", func(t *testing.T, c *Cache) {
			fn, calls := counted(func(n int) (int, error) {
				time.Sleep(time.Second) // long enough that every caller is waiting by then
				return n, nil
			})
			m := Memoize(c, t.Name(), time.Minute, fn)
			var wg sync.WaitGroup
			for i := 0; i < 20; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if got, err := m.Call(ctx, 9); got != 9 || err != nil {
						t.Errorf("Call = %d, %v", got, err)
					}
				}()
			}
			wg.Wait()
			if n := calls.Load(); n != 1 {
				t.Errorf("20 concurrent misses ran the function %d times, want 1", n)
			}
		}},
		{"struct arguments and results", func(t *testing.T, c *Cache) {
			type query struct {
				Tags  map[string]int
				Limit int
			}
			type row struct {
				Name string
				At   time.Time
			}
			at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
			fn, calls := counted(func(q query) ([]row, error) { return []row{{fmt.Sprint(q.Limit), at}}, nil })
			m := Memoize(c, t.Name(), time.Minute, fn)
			a := query{Tags: map[string]int{"a": 1, "b": 2, "c": 3}, Limit: 5}
			b := query{Tags: map[string]int{"c": 3, "b": 2, "a": 1}, Limit: 5}
			m.Call(ctx, a)
			got, _ := m.Call(ctx, b)
			if n := calls.Load(); n != 1 {
				t.Errorf("equal arguments ran the function %d times, want 1", n)
			}
			if want := []row{{"5", at}}; !reflect.DeepEqual(got, want) {
				t.Errorf("cached result %v, want %v", got, want)
			}
			m.Call(ctx, query{Tags: a.Tags, Limit: 6})
			if n := calls.Load(); n != 2 {
				t.Errorf("a different argument was served another's result")
			}
		}},
	}
	onBackends(t, tests)
}

// binaryResult encodes itself; Memo must use that instead of JSON.
type binaryResult struct{ n int }

func (r binaryResult) MarshalBinary() ([]byte, error) { return []byte(fmt.Sprint("n=", r.n)), nil }

func (r *binaryResult) UnmarshalBinary(b []byte) error {
	_, err := fmt.Sscanf(string(b), "n=%d", &r.n)
	return err
}

func TestMemoizeBinaryCodec(t *testing.T) {
	c := NewMemory(0, discard())
	fn, calls := counted(func(n int) (binaryResult, error) { return binaryResult{n * 10}, nil })
	m := Memoize(c, "bin", time.Minute, fn)
	m.Call(context.Background(), 4)
	got, err := m.Call(context.Background(), 4)
	if err != nil || got.n != 40 || calls.Load() != 1 {
		t.Errorf("got %+v, %v after %d calls; want {40} from the cache", got, err, calls.Load())
	}
	key, _ := m.key(4)
	if stored, _ := storedBody(t, m.cache, key); string(stored) != "n=40" {
		t.Errorf("stored %q, want the value's own encoding", stored)
	}
}

// TestMemoizeHitIsOneRoundTrip counts memcached commands: a hit fetches
// the result and the version in one multi-get.
func TestMemoizeHitIsOneRoundTrip(t *testing.T) {
	c := NewMemory(0, discard())
	var gets, multis atomic.Int64
	c.backend = countingBackend{c.backend, &gets, &multis}
	m := Memoize(c, "f", time.Minute, func(_ context.Context, n int) (int, error) { return n, nil })
	m.Call(context.Background(), 1)
	gets.Store(0)
	multis.Store(0)
	m.Call(context.Background(), 1)
	if g, mg := gets.Load(), multis.Load(); g != 0 || mg != 1 {
		t.Errorf("a hit made %d gets and %d multi-gets, want one multi-get", g, mg)
	}
}

type countingBackend struct {
	backend
	gets, multis *atomic.Int64
}

func (b countingBackend) get(key string) ([]byte, error) {
	b.gets.Add(1)
	return b.backend.get(key)
}

func (b countingBackend) getMulti(keys []string) (map[string][]byte, error) {
	b.multis.Add(1)
	return b.backend.getMulti(keys)
}

func TestMemoizeWithCacheDown(t *testing.T) {
	c := newMemcachedCache(t, fastOptions("127.0.0.1:1"), discard())
	fn, calls := counted(func(n int) (int, error) { return n + 1, nil })
	m := Memoize(c, "f", time.Minute, fn)
	for i := 0; i < 3; i++ {
		if got, err := m.Call(context.Background(), 1); got != 2 || err != nil {
			t.Fatalf("Call = %d, %v, want 2, nil", got, err)
		}
	}
	if n := calls.Load(); n != 3 {
		t.Errorf("got %d calls, want one per Call with no cache", n)
	}
}

func TestMemoizeUnsupportedArgument(t *testing.T) {
	c := NewMemory(0, discard())
	fn, calls := counted(func(f func()) (int, error) { return 1, nil })
	m := Memoize(c, "f", time.Minute, fn)
	for i := 0; i < 2; i++ {
		if got, err := m.Call(context.Background(), func() {}); got != 1 || err != nil {
			t.Fatalf("Call = %d, %v", got, err)
		}
	}
	if n := calls.Load(); n != 2 {
		t.Errorf("a function argument was cached: %d calls", n)
	}
}

// A panicking function must not hand its waiters a zero result with a nil
// error, and the panic must still reach the caller that ran it.
func TestMemoizePanicReachesWaiters(t *testing.T) {
	ctx := context.Background()
	onBackends(t, []backendCase{{"panic", func(t *testing.T, c *Cache) {
		started, release := make(chan struct{}), make(chan struct{})
		m := Memoize(c, t.Name(), time.Minute, func(context.Context, int) (int, error) {
			close(started)
			<-release
			panic("boom")
		})
		key, err := m.key(1)
		if err != nil {
			t.Fatal(err)
		}

		leader := make(chan any, 1)
		go func() {
			defer func() { leader <- recover() }()
			m.Call(ctx, 1)
		}()
		<-started
		version := currentVersions(m)
		const waiters = 3
		type result struct {
			n   int
			err error
		}
		results := make(chan result, waiters)
		for range waiters {
			go func() {
				n, err := m.Call(ctx, 1)
				results <- result{n, err}
			}()
		}
		eventually(t, 5*time.Second, "waiters waiting", func() bool { return m.flight.waiting(flightKey(key, version)) == waiters })
		close(release)

		if got := <-leader; got != "boom" {
			t.Errorf("leader recovered %v, want the panic value boom", got)
		}
		for range waiters {
			if r := <-results; !errors.Is(r.err, errPanicked) {
				t.Errorf("waiter got (%d, %v), want an error wrapping errPanicked", r.n, r.err)
			}
		}
		if n := m.flight.waiting(key); n != 0 {
			t.Errorf("the run is still registered with %d waiters", n)
		}
	}}})
}

// TestMemoizeNeverJoinsAcrossForgetAll: a call made after ForgetAll, while
// a computation begun before it is still running, computes afresh rather
// than sharing the older result.
func TestMemoizeNeverJoinsAcrossForgetAll(t *testing.T) {
	onBackends(t, []backendCase{{"forget during a computation", func(t *testing.T, c *Cache) {
		data := "old"
		var calls atomic.Int64
		started, release := make(chan struct{}), make(chan struct{})
		m := Memoize(c, t.Name(), time.Minute, func(context.Context, int) (string, error) {
			if calls.Add(1) == 1 {
				close(started)
				<-release
				return "old", nil
			}
			return data, nil
		})
		first := make(chan string)
		go func() {
			r, _ := m.Call(context.Background(), 1)
			first <- r
		}()
		<-started
		data = "new"
		m.ForgetAll()
		got, err := m.Call(context.Background(), 1)
		close(release)
		if got != "new" || err != nil {
			t.Errorf("a call after ForgetAll got %q, %v; want new", got, err)
		}
		if r := <-first; r != "old" {
			t.Errorf("the call begun before got %q, want old", r)
		}
	}}})
}

// TestMemoizeOutlivesItsCaller: the caller whose call computes goes away
// (its request is cancelled); the others waiting for the result still get
// it, not the cancellation.
func TestMemoizeOutlivesItsCaller(t *testing.T) {
	onBackends(t, []backendCase{{"leader cancelled", func(t *testing.T, c *Cache) {
		started, release := make(chan struct{}), make(chan struct{})
		m := Memoize(c, t.Name(), time.Minute, func(ctx context.Context, _ int) (string, error) {
			close(started)
			<-release
			if err := ctx.Err(); err != nil {
				return "", err
			}
			return "list", nil
		})
		ctx, cancel := context.WithCancel(context.Background())
		leader := make(chan error)
		go func() {
			_, err := m.Call(ctx, 1)
			leader <- err
		}()
		<-started
		key, _ := m.key(1)
		version := currentVersions(m)
		waiter := make(chan error)
		go func() {
			r, err := m.Call(context.Background(), 1)
			if err == nil && r != "list" {
				err = fmt.Errorf("got %q", r)
			}
			waiter <- err
		}()
		eventually(t, 5*time.Second, "the waiter waiting", func() bool { return m.flight.waiting(flightKey(key, version)) == 1 })
		cancel()
		close(release)
		if err := <-waiter; err != nil {
			t.Errorf("the waiter got %v after the leader's request was cancelled, want the result", err)
		}
		<-leader
	}}})
}

// currentVersions returns the versions of m's tags, as a call reads them.
func currentVersions[A, R any](m *Memo[A, R]) []tagVersion {
	got, _ := m.cache.getFull(m.tagKeys)
	return m.tags.versions(m.tagList, m.tagKeys, got)
}
