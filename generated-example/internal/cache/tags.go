package cache

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"strconv"
	"sync"
)

// Tags name groups of cached entries so that one call retires them all,
// without a list of their keys, which memcached cannot give: a page, a
// memoized function's results or fragments carry tags (ViewOptions.Tags,
// Memo.Tagged, Fragments.Tagged), and InvalidateTags retires every entry
// that carries any of the tags it is given.
//
// Each tag has a version in memcached, a number under "t:" + the tag
// (after the prefix). An entry records the versions of its tags when it is
// made, and a lookup reads the tags' versions in the same multi-get as
// the entry, so tags cost no round trip of their own; an entry whose tag
// has moved on since is not served (but for stale-if-error, see
// Lifetimes.Grace). Invalidating a tag increments its version: one round
// trip per tag, all at once. A version that memcached has lost (evicted)
// is made again from a random number, so no entry made under the old one
// can ever count as current again.

// PathTag is the tag that every page of path carries (see Views):
// InvalidateTags(ctx, PathTag("/")) retires every cached page of "/",
// with a query string or without, as DeleteView does.
func PathTag(path string) string { return "path:" + path }

// memoTag is the tag of every result of the memoized function name.
func memoTag(name string) string { return "memo:" + name }

// tagCache returns c in the layer of tag versions.
func (c *Cache) tagCache() *Cache {
	n := *c
	n.layerTag = tagVersionsTag
	n.start = n.prefix + n.layerTag + n.namespace
	return &n
}

// InvalidateTags retires every cached entry (page, memoized result,
// fragment) that carries any of tags, for every instance of the app that
// shares the cache: other instances' near caches serve what they hold for
// at most their near-cache TTL, this one's drops it at once. It returns
// the failure of any tag's increment, already counted and logged.
func (c *Cache) InvalidateTags(ctx context.Context, tags ...string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	t := c.tagCache()
	errs := make([]error, len(tags))
	var wg sync.WaitGroup
	for i, tag := range tags {
		wg.Go(func() { errs[i] = t.bumpVersion(tag) })
	}
	wg.Wait()
	// After memcached: an entry read before the increment is never kept.
	for _, tag := range tags {
		c.near.invalidated(t.Key(tag))
	}
	return errors.Join(errs...)
}

// bumpVersion increments the version of tag, or makes a new one if it
// has none. c is in the layer of tag versions (see tagCache).
func (c *Cache) bumpVersion(tag string) error {
	key := c.Key(tag)
	_, err := c.backend.incr(key, 1)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, errMiss), errors.Is(err, ErrNotNumber):
		// Lost, or never made: what is stored carries a version that can
		// no longer be current once a new random one is made.
		return c.check("invalidate tag", c.backend.set(key, randomVersion(), 0))
	default:
		return c.check("invalidate tag", err)
	}
}

// versions returns the current version of each tag, keys[i] being the
// key of tags[i], from got, what a multi-get of them found. c is in the
// layer of tag versions. A tag with no
// version gets one, made here: its entries, if any, were made under one
// that memcached has lost. With the cache failing it gets one that no
// entry carries.
func (c *Cache) versions(tags, keys []string, got map[string][]byte) []tagVersion {
	out := make([]tagVersion, len(tags))
	for i, tag := range tags {
		v, ok := got[keys[i]]
		if !ok {
			v = c.newVersion(keys[i])
		}
		out[i] = tagVersion{tag: tag, version: string(v)}
	}
	return out
}

// newVersion stores a new random version under the full key unless
// another process got there first, and returns the one in the cache. A
// version never expires on its own. With the cache down it returns a
// version nobody else has, so what is made with it is not shared.
func (c *Cache) newVersion(key string) []byte {
	v := randomVersion()
	switch err := c.backend.add(key, v, 0); {
	case err == nil:
		return v
	case !errors.Is(err, errNotStored):
		c.fail("tag version", err)
		return v
	}
	if cur, err := c.backend.get(key); err == nil {
		return cur
	}
	return v
}

// randomVersion is a random decimal number below 2^63, which memcached's
// incr can increment for as long as anyone will need.
func randomVersion() []byte {
	var b [8]byte
	rand.Read(b[:])
	return strconv.AppendUint(nil, binary.BigEndian.Uint64(b[:])>>1, 10)
}
