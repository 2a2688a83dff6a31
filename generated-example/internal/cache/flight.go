package cache

import "sync"

// flight runs one computation per key at a time: callers that arrive while
// it runs wait for it and share its result, so a burst of misses for one
// key costs one computation per process (Flask-Caching's stampede, its
// issue 61).
type flight[T any] struct {
	mu    sync.Mutex
	calls map[string]*call[T]
}

type call[T any] struct {
	done chan struct{}
	val  T
	err  error
}

// do runs fn for key unless a run is in progress, and reports whether this
// caller ran it.
func (f *flight[T]) do(key string, fn func() (T, error)) (v T, err error, leader bool) {
	f.mu.Lock()
	if c, ok := f.calls[key]; ok {
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

	defer func() {
		f.mu.Lock()
		delete(f.calls, key)
		f.mu.Unlock()
		close(c.done)
	}()
	c.val, c.err = fn()
	return c.val, c.err, true
}
