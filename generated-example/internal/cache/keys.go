package cache

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
)

// MaxKeyLength is memcached's limit on key length.
const MaxKeyLength = 250

// MaxPrefixLength is the longest key prefix NewMemcached accepts, which
// leaves every key at least 186 bytes of its own.
const MaxPrefixLength = 64

// hashMark separates a mapped key's readable part from its hash. A key
// that contains it is always mapped, so a key passed through as it is can
// never equal a mapped one.
const hashMark = '#'

// readablePrefix is how much of a mapped key stays readable.
const readablePrefix = 150

// hashLength is the length of a mapped key's hash, in hex digits.
const hashLength = 2 * sha256.Size

// Key returns the memcached key that key is stored under: the cache's
// prefix, then key. A key that leaves the whole at most 250 bytes, without
// spaces, control characters or '#', is used as it is, in any encoding, as
// pylibmc sends it (so "view//" stays "view//", as Flask-Caching names it,
// after the prefix); any other key maps to its first bytes, made safe,
// plus '#' and its SHA-256, after the prefix. Equal keys map alike,
// different keys never collide, and the result is always valid.
func (c *Cache) Key(key string) string {
	if len(c.prefix)+len(key) <= MaxKeyLength && legal(key) {
		return c.prefix + key
	}
	sum := sha256.Sum256([]byte(key))
	readable := min(readablePrefix, len(key), max(0, MaxKeyLength-len(c.prefix)-1-hashLength))
	var b strings.Builder
	b.Grow(len(c.prefix) + readable + 1 + hashLength)
	b.WriteString(c.prefix)
	for i := 0; i < readable; i++ {
		if ch := key[i]; ch > ' ' && ch != 0x7f && ch != hashMark {
			b.WriteByte(ch)
		} else {
			b.WriteByte('_')
		}
	}
	b.WriteByte(hashMark)
	b.WriteString(hex.EncodeToString(sum[:]))
	return b.String()
}

// Prefix returns what every key of c is stored under, before the key
// itself.
func (c *Cache) Prefix() string { return c.prefix }

// Namespace returns a Cache whose keys are kept apart from c's and from
// those of every other namespace: a key is stored under c's prefix, then
// name and a colon. It shares c's servers, counters and near cache, so it
// costs nothing to make. Use one for data that another instance of the app
// must not be served, such as what this instance reads from its own
// database. name should be a short word (at most 32 bytes, no spaces,
// control characters, ':' or '#'); any other name is replaced by a digest
// of it.
func (c *Cache) Namespace(name string) *Cache {
	if len(name) > maxNamespaceLength || !legal(name) || strings.ContainsRune(name, ':') {
		sum := sha256.Sum256([]byte(name))
		name = hex.EncodeToString(sum[:8])
	}
	return &Cache{shared: c.shared, prefix: c.prefix + name + ":"}
}

// maxNamespaceLength is the longest name Namespace uses as it is.
const maxNamespaceLength = 32

// checkPrefix reports what is wrong with a key prefix, if anything: it
// must be at most MaxPrefixLength bytes with no spaces or control
// characters, as memcached keys are.
func checkPrefix(prefix string) error {
	if len(prefix) > MaxPrefixLength {
		return fmt.Errorf("cache: key prefix %.20q... is %d bytes, longer than %d", prefix, len(prefix), MaxPrefixLength)
	}
	for i := 0; i < len(prefix); i++ {
		if ch := prefix[i]; ch <= ' ' || ch == 0x7f {
			return fmt.Errorf("cache: key prefix %q has a space or control character", prefix)
		}
	}
	return nil
}

// legal reports whether every byte of key may appear in a memcached key
// and none is the hash mark.
func legal(key string) bool {
	for i := 0; i < len(key); i++ {
		if c := key[i]; c <= ' ' || c == 0x7f || c == hashMark {
			return false
		}
	}
	return key != ""
}
