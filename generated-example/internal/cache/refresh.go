package cache

import (
	"context"
	"errors"
	"time"
)

// Background refreshes of stale entries (see Lifetimes.Stale).
const (
	// maxRefreshers bounds the refreshes that run at once, for a Cache
	// and its namespaces together: past it a stale entry is served without
	// one, and the next request for it starts it, so a slow database can
	// neither pile up goroutines nor be swamped.
	maxRefreshers = 4
	// refreshTimeout bounds one refresh.
	refreshTimeout = 30 * time.Second
	// lockTTL is how long the refresh lock of an entry lives in memcached
	// if the instance that took it never lets it go.
	lockTTL = refreshTimeout
)

// refresh runs fn in the background to make a fresh copy of the stale
// entry under key in lc (a cache in layer l), unless a refresh of it already
// runs: in this process, or in another instance, which took the entry's
// lock, a short-lived item added in memcached. So an entry that goes
// stale under load is made again once, whatever the number of requests
// and instances that find it stale. fn gets a context that ends after
// refreshTimeout; the lock is released when it returns.
func (c *Cache) refresh(lc *Cache, l Layer, key string, fn func(ctx context.Context)) {
	full := lc.Key(key)
	if _, running := c.refreshing.LoadOrStore(full, struct{}{}); running {
		return
	}
	select {
	case c.refreshers <- struct{}{}:
	default:
		c.refreshing.Delete(full)
		return
	}
	c.refreshesPending.Add(1)
	go func() {
		defer func() {
			<-c.refreshers
			c.refreshing.Delete(full)
			c.refreshesPending.Done()
		}()
		lock := lc.Key("lock/" + key)
		if err := c.backend.add(lock, []byte("1"), exptime(lockTTL, c.now())); err != nil {
			if !errors.Is(err, errNotStored) {
				c.fail("refresh lock", err)
			}
			return // another instance refreshes it, or the cache is failing
		}
		defer c.backend.delete(lock)
		ctx, cancel := context.WithTimeout(context.Background(), refreshTimeout)
		defer cancel()
		c.layers[l].refreshes.Add(1)
		fn(ctx)
	}()
}

// WaitRefreshes waits until the background refreshes that have started
// are done, for tests and for a clean shutdown.
func (c *Cache) WaitRefreshes() { c.refreshesPending.Wait() }
