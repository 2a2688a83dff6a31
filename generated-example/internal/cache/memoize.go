package cache

import (
	"context"
	"crypto/sha256"
	"encoding"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"time"
)

// Memo is a function whose results are cached, like Flask-Caching's
// @cache.memoize(). Build one with Memoize.
//
// Results are stored as JSON, so R must survive encoding/json, unless R
// implements encoding.BinaryMarshaler and *R encoding.BinaryUnmarshaler,
// which are used instead (faster for large results). Zero values are
// cached like any other, and errors are never cached. Concurrent calls
// with equal arguments that miss run the function once per process.
//
// Every result carries the function's tag and any the Memo was given
// (Tagged), whose versions come back in the same multi-get as the result,
// so a hit is one round trip. ForgetAll invalidates the function's tag,
// whose version never expires on its own (Flask-Caching's version key
// expired with the first result's timeout and dropped every result early:
// its issue 531); if memcached evicts it, a fresh random one takes its
// place, so old results can never come back.
//
// A result past its fresh lifetime but within its stale window is
// returned at once while one background call, across instances, computes
// a fresh one. When the function fails and a result within its grace
// window is there, that result is returned instead of the error, counted
// and logged, and a page that Views renders with it is marked X-Cache:
// STALE and not stored.
type Memo[A, R any] struct {
	cache   *Cache // in the memoize layer
	tags    *Cache // in the layer of tag versions
	name    string
	life    Lifetimes
	tagList []string // the function's tag, then the Memo's own
	tagKeys []string
	fn      func(context.Context, A) (R, error)
	flight  *flight[R]
}

// Memoize returns fn with its results cached for ttl (0: until evicted or
// forgotten) under name, which must be unique among the app's memoized
// functions. Use MemoizeFor for a stale and a grace window.
func Memoize[A, R any](c *Cache, name string, ttl time.Duration, fn func(context.Context, A) (R, error)) *Memo[A, R] {
	return MemoizeFor(c, name, Lifetimes{Fresh: ttl}, fn)
}

// MemoizeFor is Memoize with the results' lifetimes.
func MemoizeFor[A, R any](c *Cache, name string, life Lifetimes, fn func(context.Context, A) (R, error)) *Memo[A, R] {
	m := &Memo[A, R]{cache: c.InLayer(LayerMemoize), tags: c.tagCache(), name: name, life: life, fn: fn, flight: new(flight[R])}
	return m.Tagged()
}

// Tagged returns the function with its results also carrying tags, so
// that InvalidateTags with any of them retires them all, along with the
// pages and fragments that carry them. It shares m's computations.
func (m *Memo[A, R]) Tagged(tags ...string) *Memo[A, R] {
	t := *m
	t.tagList = append([]string{memoTag(m.name)}, tags...)
	t.tagKeys = make([]string, len(t.tagList))
	for i, tag := range t.tagList {
		t.tagKeys[i] = m.tags.Key(tag)
	}
	return &t
}

// Call returns fn(ctx, arg), from the cache when it holds a current result.
// Call has the signature of fn, so m.Call can stand in for it.
func (m *Memo[A, R]) Call(ctx context.Context, arg A) (R, error) {
	key, err := m.key(arg)
	if err != nil {
		m.cache.fail("memoize "+m.name, err)
		return m.fn(ctx, arg)
	}
	full := m.cache.Key(key)
	read := m.cache.now()
	got, err := m.cache.getFull(append([]string{full}, m.tagKeys...))
	if err != nil {
		// The cache has just failed this call (the failure is counted and
		// logged): compute without it rather than wait on it again to
		// store the result.
		m.cache.CountMiss(LayerMemoize)
		return m.fn(ctx, arg)
	}
	versions := m.tags.versions(m.tagList, m.tagKeys, got)
	var rescue *envelope
	if data, ok := got[full]; ok {
		e, r, err := decodeResult[R](data)
		switch {
		case err != nil:
			m.cache.fail("memoize "+m.name, err)
			m.cache.CountError(LayerMemoize)
		default:
			switch e.condition(read, versions) {
			case fresh:
				m.cache.CountHit(LayerMemoize)
				return r, nil
			case stale:
				m.cache.CountHit(LayerMemoize)
				m.cache.layers[LayerMemoize].stale.Add(1)
				m.refresh(ctx, key, arg)
				return r, nil
			case spent:
				rescue = e
			}
		}
	}
	m.cache.CountMiss(LayerMemoize)
	r, err := m.compute(ctx, key, arg, read, versions)
	if err != nil && rescue != nil {
		if old, _, derr := decodeResultBody[R](rescue.body); derr == nil {
			m.cache.rescue(LayerMemoize, m.name, err)
			servedStale(ctx)
			return old, nil
		}
	}
	return r, err
}

// compute runs fn once per process for concurrent calls that saw the same
// tag versions, and stores its result under key. The computation outlives
// a caller that goes away (its waiters would get the cancellation
// otherwise); fn's own timeouts bound it.
func (m *Memo[A, R]) compute(ctx context.Context, key string, arg A, read time.Time, versions []tagVersion) (R, error) {
	r, err, _ := m.flight.do(flightKey(key, versions), func() (R, error) {
		r, err := m.fn(context.WithoutCancel(ctx), arg)
		if err != nil {
			return r, err
		}
		m.store(key, r, read, versions)
		return r, nil
	})
	return r, err
}

// store keeps r under key, computed from what was there at read under
// versions. A failure is counted and logged by the cache.
func (m *Memo[A, R]) store(key string, r R, read time.Time, versions []tagVersion) {
	body, err := encodeResult(r)
	if err != nil {
		m.cache.fail("memoize "+m.name, err)
		return
	}
	e := newEnvelope(read, m.life, versions, body)
	if m.cache.Set(key, e.encode(), e.ttl(m.cache.now())) != nil {
		m.cache.CountError(LayerMemoize)
	}
}

// refresh computes a fresh result for arg in the background, once across
// instances, and stores it.
func (m *Memo[A, R]) refresh(ctx context.Context, key string, arg A) {
	values := context.WithoutCancel(ctx)
	m.cache.refresh(m.cache, LayerMemoize, key, func(timeout context.Context) {
		read := m.cache.now()
		got, err := m.cache.getFull(m.tagKeys)
		if err != nil {
			return
		}
		versions := m.tags.versions(m.tagList, m.tagKeys, got)
		// The caller's values (such as a trace), within the refresh's time.
		ctx, cancel := context.WithDeadline(values, deadlineOf(timeout))
		defer cancel()
		if r, err := m.fn(ctx, arg); err == nil {
			m.store(key, r, read, versions)
		}
	})
}

// deadlineOf returns ctx's deadline.
func deadlineOf(ctx context.Context) time.Time {
	d, _ := ctx.Deadline()
	return d
}

// Forget drops the cached result for arg, like
// cache.delete_memoized(f, arg).
func (m *Memo[A, R]) Forget(arg A) error {
	key, err := m.key(arg)
	if err != nil {
		return err
	}
	return m.cache.Delete(key)
}

// ForgetAll drops every cached result of the function, like
// cache.delete_memoized(f), by invalidating its tag.
func (m *Memo[A, R]) ForgetAll() error {
	return m.cache.InvalidateTags(context.Background(), memoTag(m.name))
}

// flightKey is what concurrent misses share a computation under: the key
// and the tag versions they saw, so that a call made after an
// invalidation never gets a result computed before it.
func flightKey(key string, versions []tagVersion) string {
	var b strings.Builder
	b.WriteString(key)
	for _, v := range versions {
		b.WriteByte(0)
		b.WriteString(v.version)
	}
	return b.String()
}

// key is the cache key of one argument value.
func (m *Memo[A, R]) key(arg A) (string, error) {
	enc, err := appendArgKey(nil, reflect.ValueOf(&arg).Elem())
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(enc)
	return "memo:" + m.name + ":" + base64.RawURLEncoding.EncodeToString(sum[:]), nil
}

// encodeResult encodes a result as a stored entry's payload.
func encodeResult[R any](r R) ([]byte, error) {
	if m, ok := any(r).(encoding.BinaryMarshaler); ok {
		data, err := m.MarshalBinary()
		if err != nil {
			return nil, fmt.Errorf("encode result: %w", err)
		}
		return data, nil
	}
	data, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("encode result: %w", err)
	}
	return data, nil
}

// decodeResult reads a stored result and its entry.
func decodeResult[R any](data []byte) (*envelope, R, error) {
	var r R
	e, err := decodeEnvelope(data)
	if err != nil {
		return nil, r, err
	}
	r, _, err = decodeResultBody[R](e.body)
	return e, r, err
}

// decodeResultBody decodes a result's encoding.
func decodeResultBody[R any](body []byte) (R, bool, error) {
	var r R
	var err error
	if u, ok := any(&r).(encoding.BinaryUnmarshaler); ok {
		err = u.UnmarshalBinary(body)
	} else {
		err = json.Unmarshal(body, &r)
	}
	if err != nil {
		return r, false, fmt.Errorf("decode result: %w", err)
	}
	return r, true, nil
}
