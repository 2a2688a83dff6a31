package session

import (
	"strings"
	"sync"
	"time"
)

// verifiedCookies remembers the session IDs in cookies whose signature the
// store checked, for a minute, so that a visitor's every request does not
// pay for the check again (two base64 decodings, an HMAC and a dozen
// allocations, most of what a cached page with holes costs beyond its
// session's round trip). A cookie is found by its whole name and value:
// only the very cookie the store accepted skips the check, and a cookie
// past its lifetime is accepted for at most a minute more (the session in
// the cache has its own). It holds at most maxVerified cookies: when
// full, it forgets the ones checked over a minute ago, and starts over if
// that is not enough. A value longer than any the store signs is never
// looked up.
type verifiedCookies struct {
	mu sync.Mutex
	m  map[verifiedKey]verifiedCookie
}

type verifiedKey struct{ name, value string }

type verifiedCookie struct {
	id []byte // never changed once stored
	at time.Time
}

const (
	verifiedFor = time.Minute
	maxVerified = 4096
	// maxCookie is the longest value looked up: securecookie's own limit,
	// which a session cookie, a signed 256-bit ID, is far below.
	maxCookie = 4096
)

// get returns the ID in the cookie name=value if it was verified in the
// minute before now.
func (v *verifiedCookies) get(name, value string, now time.Time) ([]byte, bool) {
	if len(value) > maxCookie {
		return nil, false
	}
	v.mu.Lock()
	c, ok := v.m[verifiedKey{name, value}]
	v.mu.Unlock()
	if !ok || now.Sub(c.at) >= verifiedFor || now.Before(c.at) {
		return nil, false
	}
	return c.id, true
}

// put remembers that the cookie name=value holds id, verified at now.
func (v *verifiedCookies) put(name, value string, id []byte, now time.Time) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if len(v.m) >= maxVerified {
		for k, c := range v.m {
			if now.Sub(c.at) >= verifiedFor || now.Before(c.at) {
				delete(v.m, k)
			}
		}
	}
	if v.m == nil || len(v.m) >= maxVerified {
		v.m = make(map[verifiedKey]verifiedCookie)
	}
	// The cookie's strings are slices of the request's header: copies let
	// the request go.
	v.m[verifiedKey{strings.Clone(name), strings.Clone(value)}] = verifiedCookie{id: id, at: now}
}
