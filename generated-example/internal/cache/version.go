package cache

import (
	"crypto/rand"
	"encoding/hex"
)

// newVersion stores a new random version under key unless another process
// got there first, and returns the one in the cache. A version key never
// expires on its own; deleting it retires every entry that records it
// (memoized results, cached pages), and an evicted one is replaced by a
// new random value, so old entries can never come back. With the cache
// down it returns a version nobody else has, so what is computed is not
// shared.
func (c *Cache) newVersion(key string) []byte {
	b := make([]byte, 8)
	rand.Read(b)
	v := []byte(hex.EncodeToString(b))
	if added, err := c.Add(key, v, 0); err != nil || added {
		return v
	}
	if cur, ok := c.Get(key); ok {
		return cur
	}
	return v
}
