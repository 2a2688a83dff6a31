package cache

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// MaxKeyLength is memcached's limit on key length.
const MaxKeyLength = 250

// hashMark separates a mapped key's readable part from its hash. A key
// that contains it is always mapped, so a key passed through as it is can
// never equal a mapped one.
const hashMark = '#'

// readablePrefix is how much of a mapped key stays readable.
const readablePrefix = 150

// Key returns the memcached key that key is stored under. A key of at most
// 250 bytes without spaces, control characters or '#' is used as it is, in
// any encoding, as pylibmc sends it (so
// "view//" stays "view//", as Flask-Caching names it); any other key maps to
// its first bytes, made safe, plus '#' and its SHA-256. Equal keys map
// alike, different keys never collide, and the result is always valid.
func Key(key string) string {
	if len(key) <= MaxKeyLength && legal(key) {
		return key
	}
	sum := sha256.Sum256([]byte(key))
	var b strings.Builder
	b.Grow(readablePrefix + 1 + 2*len(sum))
	for i := 0; i < len(key) && i < readablePrefix; i++ {
		if c := key[i]; c > ' ' && c != 0x7f && c != hashMark {
			b.WriteByte(c)
		} else {
			b.WriteByte('_')
		}
	}
	b.WriteByte(hashMark)
	b.WriteString(hex.EncodeToString(sum[:]))
	return b.String()
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
