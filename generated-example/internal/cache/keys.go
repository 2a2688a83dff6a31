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
// prefix, then the names of its layer and namespace if it has them (see
// InLayer and Namespace), then key. A key that leaves the whole at most
// 250 bytes, without spaces, control characters or '#', is used as it
// is, in any encoding, as pylibmc sends it; any other key maps to its
// first bytes, made safe, plus '#' and its SHA-256, after the same
// start. Equal keys map alike, different keys never collide, and the
// result is always valid.
func (c *Cache) Key(key string) string {
	head := c.head()
	if len(head)+len(key) <= MaxKeyLength && legal(key) {
		return head + key
	}
	sum := sha256.Sum256([]byte(key))
	readable := min(readablePrefix, len(key), max(0, MaxKeyLength-len(head)-1-hashLength))
	var b strings.Builder
	b.Grow(len(head) + readable + 1 + hashLength)
	b.WriteString(head)
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

// head is what every key of c starts with: the prefix, the layer's tag
// and the namespace.
func (c *Cache) head() string { return c.start }

// keys returns the Key of each of keys. The ordinary ones share one
// allocation: a page looks up a fragment key per row.
func (c *Cache) keys(keys []string) []string {
	head := c.head()
	full := make([]string, len(keys))
	plain := make([]bool, len(keys))
	size := 0
	for i, key := range keys {
		if plain[i] = len(head)+len(key) <= MaxKeyLength && legal(key); plain[i] {
			size += len(head) + len(key)
		} else {
			full[i] = c.Key(key)
		}
	}
	var b strings.Builder
	b.Grow(size)
	for i, key := range keys {
		if plain[i] {
			b.WriteString(head)
			b.WriteString(key)
		}
	}
	all, at := b.String(), 0
	for i, key := range keys {
		if plain[i] {
			full[i] = all[at : at+len(head)+len(key)]
			at += len(head) + len(key)
		}
	}
	return full
}

// Prefix returns what every key of c is stored under, before the key
// itself: the cache's prefix, its layer's tag and its namespace.
func (c *Cache) Prefix() string { return c.head() }

// Namespace returns a Cache whose keys are kept apart from c's and from
// those of every other namespace: a key is stored under c's prefix and
// layer tag, then name and a colon. It shares c's servers, counters and
// near cache, so it costs nothing to make. Use one for data that another
// instance of the app must not be served, such as what this instance
// reads from its own database. name should be a short word (at most 32
// bytes, no spaces, control characters, ':' or '#'); any other name is
// replaced by a digest of it.
func (c *Cache) Namespace(name string) *Cache {
	if len(name) > maxNamespaceLength || !legal(name) || strings.ContainsRune(name, ':') {
		sum := sha256.Sum256([]byte(name))
		name = hex.EncodeToString(sum[:8])
	}
	n := *c
	n.namespace += name + ":"
	n.start = n.prefix + n.layerTag + n.namespace
	return &n
}

// InLayer returns a Cache whose keys carry layer l's tag after the prefix
// ("s:" for sessions, see Layer.Tag), so that everything one layer keeps
// in memcached shares a key prefix: MemCachier's analytics, watching
// prefixes, then show the same picture per layer as the app's dashboard.
// The view cache, memoize and fragments put their own keys in their
// layers; the session store uses c.InLayer(LayerSessions). It shares c's
// servers, counters and near cache.
func (c *Cache) InLayer(l Layer) *Cache {
	n := *c
	n.layerTag = l.Tag()
	n.start = n.prefix + n.layerTag + n.namespace
	return &n
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
