package cache

import (
	"errors"
	"fmt"
	"sync"
)

// errPanicked is what callers waiting on a computation get when it
// panicked. The caller that ran it panics on, so the panic reaches that
// request's recover middleware.
var errPanicked = errors.New("cache: computation panicked")

// flight runs one computation per key at a time: callers that arrive while
// it runs wait for it and share its result, so a burst of misses for one
// key costs one computation per process (Flask-Caching's stampede, its
// issue 61).
type flight[T any] struct {
	mu    sync.Mutex
	calls map[string]*call[T]
}

type call[T any] struct {
	done  chan struct{}
	val   T
	err   error
	waits int // callers waiting for this run, for tests
}

// do runs fn for key unless a run is in progress, and reports whether this
// caller ran it. If fn panics, the waiters get an error wrapping
// errPanicked and the panic goes on up the caller that ran it.
func (f *flight[T]) do(key string, fn func() (T, error)) (v T, err error, leader bool) {
	f.mu.Lock()
	if c, ok := f.calls[key]; ok {
		c.waits++
		f.mu.Unlock()
		<-c.done
		return c.val, c.err, false
	}
	if f.calls == nil {
		f.calls = make(map[string]*call[T])
	}
	c := &call[T]{done: make(chan struct{})}
	f.calls[key] = c
	f.mu.Unlock()

	finished := false
	defer func() {
		if !finished {
			// fn panicked (or called runtime.Goexit). Not recovering lets
			// the panic, with its value and stack, go on up this caller.
			var zero T
			c.val, c.err = zero, fmt.Errorf("%w: key %q", errPanicked, key)
		}
		f.mu.Lock()
		delete(f.calls, key)
		f.mu.Unlock()
		close(c.done)
	}()
	c.val, c.err = fn()
	finished = true
	return c.val, c.err, true
}

// waiting returns the number of callers waiting for the run for key.
func (f *flight[T]) waiting(key string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	if c, ok := f.calls[key]; ok {
		return c.waits
	}
	return 0
}
