package cache

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"reflect"
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
// A hit is one round trip: the result and the function's version are
// fetched together with GetMulti. ForgetAll replaces the version, which
// never expires on its own (Flask-Caching's version key expired with the
// first result's timeout and dropped every result early: its issue 531),
// and every result records the version it was computed under. If memcached
// evicts the version, a fresh random one takes its place, so old results
// can never come back.
type Memo[A, R any] struct {
	cache  *Cache
	name   string
	ttl    time.Duration
	fn     func(context.Context, A) (R, error)
	flight flight[R]
}

// Memoize returns fn with its results cached for ttl (0: until evicted or
// forgotten) under name, which must be unique among the app's memoized
// functions.
func Memoize[A, R any](c *Cache, name string, ttl time.Duration, fn func(context.Context, A) (R, error)) *Memo[A, R] {
	return &Memo[A, R]{cache: c, name: name, ttl: ttl, fn: fn}
}

// Call returns fn(ctx, arg), from the cache when it holds a current result.
// Call has the signature of fn, so m.Call can stand in for it.
func (m *Memo[A, R]) Call(ctx context.Context, arg A) (R, error) {
	key, err := m.key(arg)
	if err != nil {
		m.cache.fail("memoize "+m.name, err)
		return m.fn(ctx, arg)
	}
	vkey := m.versionKey()
	got, err := m.cache.getMulti([]string{vkey, key})
	version := got[vkey]
	if version != nil {
		if r, ok := decodeResult[R](got[key], version); ok {
			m.cache.CountHit(LayerMemoize)
			return r, nil
		}
	}
	m.cache.CountMiss(LayerMemoize)
	if err != nil {
		// The cache has just failed this call (the failure is counted and
		// logged): compute without it rather than wait on it again to
		// store the result.
		return m.fn(ctx, arg)
	}
	if version == nil {
		version = m.cache.newVersion(vkey)
	}
	// The computation outlives a caller that goes away (its waiters would
	// get the cancellation otherwise); fn's own timeouts bound it.
	r, err, _ := m.flight.do(flightKey(key, version), func() (R, error) {
		r, err := m.fn(context.WithoutCancel(ctx), arg)
		if err != nil {
			return r, err
		}
		if data, err := encodeResult(r, version); err == nil {
			if m.cache.Set(key, data, m.ttl) != nil { // the failure is counted and logged by the cache
				m.cache.CountError(LayerMemoize)
			}
		} else {
			m.cache.fail("memoize "+m.name, err)
		}
		return r, nil
	})
	return r, err
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
// cache.delete_memoized(f), by retiring its version.
func (m *Memo[A, R]) ForgetAll() error {
	return m.cache.Delete(m.versionKey())
}

// flightKey is what concurrent misses share a computation under: the key
// and the version they saw, so that a call made after an invalidation
// never gets a result computed before it.
func flightKey(key string, version []byte) string {
	return key + "\x00" + string(version)
}

func (m *Memo[A, R]) versionKey() string { return "memo:" + m.name + ":version" }

// key is the cache key of one argument value.
func (m *Memo[A, R]) key(arg A) (string, error) {
	enc, err := appendArgKey(nil, reflect.ValueOf(&arg).Elem())
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(enc)
	return "memo:" + m.name + ":" + base64.RawURLEncoding.EncodeToString(sum[:]), nil
}

// A stored result is the version, a newline, and the value's encoding.
func encodeResult[R any](r R, version []byte) ([]byte, error) {
	var data []byte
	var err error
	if m, ok := any(r).(encoding.BinaryMarshaler); ok {
		data, err = m.MarshalBinary()
	} else {
		data, err = json.Marshal(r)
	}
	if err != nil {
		return nil, fmt.Errorf("encode result: %w", err)
	}
	out := make([]byte, 0, len(version)+1+len(data))
	out = append(append(append(out, version...), '\n'), data...)
	return out, nil
}

func decodeResult[R any](data, version []byte) (R, bool) {
	var r R
	v, body, ok := bytes.Cut(data, []byte{'\n'})
	if !ok || !bytes.Equal(v, version) {
		return r, false
	}
	var err error
	if u, ok := any(&r).(encoding.BinaryUnmarshaler); ok {
		err = u.UnmarshalBinary(body)
	} else {
		err = json.Unmarshal(body, &r)
	}
	return r, err == nil
}
