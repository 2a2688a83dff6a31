// Package session keeps gorilla/sessions sessions on the server, in the
// app's cache (memcached, or memory without MEMCACHIER_SERVERS), the way
// Flask-Session keeps Flask's sessions in memcached.
//
// The cookie holds only a random 256-bit session ID, signed with
// SESSION_SECRET; the data lives in the cache under "session:<id>". Use it
// from Echo handlers like echo-contrib/session:
//
//	e.Use(session.Middleware(store, cookieFlags))
//	sess, _ := session.Get("session", c)
//	sess.Values["key"] = "value" // saved before the response is written
//
// Safe by default:
//   - Pages are never shared across visitors by mistake: a response
//     produced while a session was read or saved is marked personal
//     (cache.MarkPersonal), and a request with a valid session cookie is
//     marked as a known visitor's (cache.MarkVisitor), which the view
//     cache honours: it shares a page with such a visitor only with its
//     holes (cache.Hole) filled for them.
//   - An unknown, expired or tampered ID is never reused: the visitor gets
//     a new ID when the session is first written (no session fixation).
//   - A request that does not call Get costs no cache round trip and sets
//     no cookie; a session that did not change is not written back; an
//     empty session is never stored.
//   - Cookies carry the app's flags, given to Middleware (the generated
//     app's are HttpOnly, SameSite=Lax, Path=/, and Secure on https, which
//     behind Heroku's router reads X-Forwarded-Proto), set explicitly
//     rather than inherited from gorilla/sessions' defaults. Without them,
//     outside Middleware, no cookie is written.
//   - With the cache down, a request gets an empty session and succeeds.
package session

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/gorilla/securecookie"
	"github.com/gorilla/sessions"

	"github.com/echocache/scaffold/generated-example/internal/cache"
)

// DefaultMaxAge is how long a session lives after its last change: 31
// days, Flask's PERMANENT_SESSION_LIFETIME. That is over memcached's 30-day
// limit for relative expiry, which the cache handles.
const DefaultMaxAge = 31 * 24 * time.Hour

// Options configure a Store.
type Options struct {
	// MaxAge is the session's lifetime after its last change, for both the
	// cookie and the cache entry. Zero means DefaultMaxAge.
	MaxAge time.Duration
	// IdleTimeout, if set, ends a session that has not been used for that
	// long; each request that reads the session then refreshes it (one
	// extra cache round trip). Off by default.
	IdleTimeout time.Duration
	// AbsoluteTimeout, if set, ends a session that long after it began,
	// however active. Off by default.
	AbsoluteTimeout time.Duration
}

// Store is a gorilla/sessions Store that keeps session data in the cache.
// Build one with NewStore.
type Store struct {
	cache    *cache.Cache
	codecs   []securecookie.Codec
	verified verifiedCookies
	opts     Options
	now      func() time.Time
}

// NewStore returns a Store on c. Cookies are signed with secret; cookies
// signed with any of the previous secrets are still accepted, so a new
// secret can be rolled out without logging everyone out.
func NewStore(c *cache.Cache, opts Options, secret []byte, previous ...[]byte) *Store {
	if opts.MaxAge <= 0 {
		opts.MaxAge = DefaultMaxAge
	}
	// Sessions are a layer of the cache of their own: their keys carry its
	// tag, so that watching prefixes tells them from pages and fragments.
	s := &Store{cache: c.InLayer(cache.LayerSessions), opts: opts, now: time.Now}
	for _, key := range append([][]byte{secret}, previous...) {
		codec := securecookie.New(key, nil)
		codec.MaxAge(int(opts.MaxAge / time.Second))
		codec.SetSerializer(securecookie.NopEncoder{})
		s.codecs = append(s.codecs, codec)
	}
	return s
}

// Get returns the named session for the request, loading it at most once
// per request.
func (s *Store) Get(r *http.Request, name string) (*sessions.Session, error) {
	st := state(r).get(name)
	if st.session == nil {
		sess, err := s.New(r, name)
		if err != nil {
			return nil, err
		}
		st.session = sess
	}
	return st.session, nil
}

// New loads the named session from the cache, or returns a new, empty one
// when the cookie is missing, tampered with, or names a session the cache
// does not hold. It never returns an error: a bad cookie is an anonymous
// visitor, not a failed request.
func (s *Store) New(r *http.Request, name string) (*sessions.Session, error) {
	// What the page shows now depends on who is visiting, even when they
	// have no session: a page cached for everyone must show the session
	// only in its holes, which are filled for each visitor.
	cache.MarkPersonal(r)
	sess := sessions.NewSession(s, name)
	*sess.Options = s.cookieOptions(r)
	sess.IsNew = true
	st := state(r).get(name)
	st.created = s.now()

	id := st.cookieID // set when Middleware already checked the signature
	if id == nil {
		cookie, err := r.Cookie(name)
		if err != nil {
			return sess, nil
		}
		if err := securecookie.DecodeMulti(name, cookie.Value, &id, s.codecs...); err != nil {
			return sess, nil
		}
	}
	data, ok := s.cache.Get(entryKey(string(id)))
	if !ok {
		s.cache.CountMiss(cache.LayerSessions) // expired, evicted, or the cache is down
		return sess, nil
	}
	rec, err := decode(data)
	if err != nil {
		s.cache.CountError(cache.LayerSessions) // not a session this store wrote
		return sess, nil
	}
	s.cache.CountHit(cache.LayerSessions)
	now := s.now()
	if s.expired(rec, now) {
		s.cache.Delete(entryKey(string(id)))
		return sess, nil
	}
	sess.ID = string(id)
	sess.IsNew = false
	if rec.Values != nil {
		sess.Values = rec.Values
	}
	st.created, st.loaded, st.loadedID = rec.Created, data, sess.ID
	st.touch = s.opts.IdleTimeout > 0
	return sess, nil
}

// Save writes the session to the cache and sets its cookie. A session with
// Options.MaxAge < 0 or no values is deleted and its cookie expired.
func (s *Store) Save(r *http.Request, w http.ResponseWriter, sess *sessions.Session) error {
	return s.save(r, w, sess, nil)
}

// save is Save with the session's encoding, if the caller already has it.
func (s *Store) save(r *http.Request, w http.ResponseWriter, sess *sessions.Session, data []byte) error {
	if state(r).cookieFlags == nil {
		return errNoFlags
	}
	cache.MarkPersonal(r) // the response sets or expires this visitor's cookie
	st := state(r).get(sess.Name())
	if sess.Options.MaxAge < 0 || len(sess.Values) == 0 {
		if st.loadedID != "" {
			s.cache.Delete(entryKey(st.loadedID))
		}
		if sess.ID != "" && sess.ID != st.loadedID {
			s.cache.Delete(entryKey(sess.ID))
		}
		if _, err := r.Cookie(sess.Name()); err == nil {
			http.SetCookie(w, expiredCookie(sess))
		}
		sess.ID, st.loadedID, st.loaded = "", "", nil
		return nil
	}
	if sess.ID == "" {
		sess.ID = newID()
	}
	now := s.now()
	if data == nil {
		var err error
		if data, err = s.encode(sess, st, now); err != nil {
			return err
		}
	}
	if err := s.cache.Set(entryKey(sess.ID), data, s.ttl(st.created, now)); err != nil {
		s.cache.CountError(cache.LayerSessions)
		return fmt.Errorf("save session: %w", err)
	}
	if st.loadedID != "" && st.loadedID != sess.ID {
		s.cache.Delete(entryKey(st.loadedID)) // regenerated: the old ID must die
	}
	value, err := securecookie.EncodeMulti(sess.Name(), []byte(sess.ID), s.codecs...)
	if err != nil {
		return fmt.Errorf("save session: %w", err)
	}
	http.SetCookie(w, cookie(sess, value))
	st.loaded, st.loadedID, st.touch = data, sess.ID, false
	return nil
}

// saveIfChanged is what the middleware runs before the response is
// written: it saves a session whose values, ID or lifetime changed, and
// refreshes an unchanged one only when an idle timeout needs it.
func (s *Store) saveIfChanged(r *http.Request, w http.ResponseWriter, sess *sessions.Session) error {
	st := state(r).get(sess.Name())
	if sess.IsNew && len(sess.Values) == 0 && sess.ID == "" {
		return nil // never store an empty session, never set a cookie for one
	}
	if sess.Options.MaxAge < 0 || len(sess.Values) == 0 {
		return s.Save(r, w, sess)
	}
	// Encoded on the stack: most requests change nothing.
	var space [256]byte
	data, err := s.appendEncoded(space[:0], sess, st, s.now())
	if err != nil {
		return err
	}
	// Equal bytes mean nothing changed. (With an idle timeout LastSeen
	// moves, and st.touch asks for the refresh anyway.)
	if !st.touch && sess.ID != "" && sess.ID == st.loadedID && bytes.Equal(data, st.loaded) {
		return nil
	}
	return s.save(r, w, sess, bytes.Clone(data))
}

// encode is the entry that save stores for the session at time now.
func (s *Store) encode(sess *sessions.Session, st *sessionState, now time.Time) ([]byte, error) {
	return s.appendEncoded(make([]byte, 0, 64), sess, st, now)
}

// appendEncoded appends the session's entry at time now to b. LastSeen is
// kept only when an idle timeout needs it, so that without one an
// unchanged session encodes exactly as it was loaded.
func (s *Store) appendEncoded(b []byte, sess *sessions.Session, st *sessionState, now time.Time) ([]byte, error) {
	rec := record{Values: sess.Values, Created: st.created}
	if s.opts.IdleTimeout > 0 {
		rec.LastSeen = now
	}
	return appendRecord(b, rec)
}

// hasSessionCookie reports whether r carries a cookie that one of the
// store's codecs signed: a session cookie, whatever its name. The
// signature covers the cookie's name, so no other cookie passes. The IDs
// it decodes are kept for New, which then need not check them again.
func (s *Store) hasSessionCookie(r *http.Request) bool {
	found := false
	now := s.now()
	for _, c := range r.Cookies() {
		id, ok := s.verified.get(c.Name, c.Value, now)
		if !ok {
			var decoded []byte
			if securecookie.DecodeMulti(c.Name, c.Value, &decoded, s.codecs...) == nil {
				s.verified.put(c.Name, c.Value, decoded, now)
				id, ok = decoded, true
			}
		}
		if ok {
			state(r).get(c.Name).cookieID = id
			found = true
		}
	}
	return found
}

// Regenerate gives the session a new ID, keeping its values; the old ID
// stops working when the session is saved. Call it when a visitor logs in.
func Regenerate(sess *sessions.Session) {
	sess.ID = ""
}

// Destroy ends the session: its data is deleted and its cookie expired
// when the response is written.
func Destroy(sess *sessions.Session) {
	sess.Values = make(map[interface{}]interface{})
	sess.Options.MaxAge = -1
}

// record is a session as stored in the cache.
type record struct {
	Values   map[interface{}]interface{}
	Created  time.Time
	LastSeen time.Time
}

func (s *Store) expired(rec record, now time.Time) bool {
	if s.opts.AbsoluteTimeout > 0 && now.Sub(rec.Created) >= s.opts.AbsoluteTimeout {
		return true
	}
	return s.opts.IdleTimeout > 0 && now.Sub(rec.LastSeen) >= s.opts.IdleTimeout
}

// ttl is how long the cache keeps the entry: the lifetime, capped by the
// idle and absolute timeouts.
func (s *Store) ttl(created, now time.Time) time.Duration {
	ttl := s.opts.MaxAge
	if s.opts.IdleTimeout > 0 && s.opts.IdleTimeout < ttl {
		ttl = s.opts.IdleTimeout
	}
	if s.opts.AbsoluteTimeout > 0 {
		if left := created.Add(s.opts.AbsoluteTimeout).Sub(now); left < ttl {
			ttl = max(left, time.Second)
		}
	}
	return ttl
}

// cookieOptions are the session cookie's options for a response to r:
// the app's cookie flags, as Middleware got them for r, and the store's
// lifetime. Outside Middleware there are no flags, and save refuses to
// set a cookie.
func (s *Store) cookieOptions(r *http.Request) sessions.Options {
	var f http.Cookie
	if flags := state(r).cookieFlags; flags != nil {
		f = flags(r)
	}
	return sessions.Options{
		Path:     f.Path,
		Domain:   f.Domain,
		MaxAge:   int(s.opts.MaxAge / time.Second),
		HttpOnly: f.HttpOnly,
		Secure:   f.Secure,
		SameSite: f.SameSite,
	}
}

func cookie(sess *sessions.Session, value string) *http.Cookie {
	o := sess.Options
	return &http.Cookie{
		Name:     sess.Name(),
		Value:    value,
		Path:     o.Path,
		Domain:   o.Domain,
		MaxAge:   o.MaxAge,
		Secure:   o.Secure,
		HttpOnly: o.HttpOnly,
		SameSite: o.SameSite,
	}
}

func expiredCookie(sess *sessions.Session) *http.Cookie {
	c := cookie(sess, "")
	c.MaxAge = -1
	return c
}

func entryKey(id string) string { return "session:" + id }

// newID returns 256 random bits, URL-safe.
func newID() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// requestState is what the store remembers during one request: the
// store and the app's flags for its cookies, from Middleware, and how
// each session was loaded, to tell whether it changed.
type requestState struct {
	store       *Store                          // from Middleware; nil outside it
	cookieFlags func(*http.Request) http.Cookie // from Middleware; nil outside it
	sessions    []*sessionState                 // a request has one or two
}

type sessionState struct {
	name     string
	loaded   []byte // the entry as loaded or last saved, nil for a new session
	loadedID string
	created  time.Time
	touch    bool              // the idle timeout wants the entry refreshed
	hooked   bool              // Get has arranged for the session to be saved
	cookieID []byte            // the ID in the request's cookie, once its signature is checked
	session  *sessions.Session // as Get returned it
}

type stateKey struct{}

// state returns the request's session state, attaching it to the request
// the way gorilla/sessions attaches its registry.
func state(r *http.Request) *requestState {
	if st := attached(r); st != nil {
		return st
	}
	st := &requestState{}
	*r = *r.WithContext(context.WithValue(r.Context(), stateKey{}, st))
	return st
}

// attached returns the request's session state, or nil if it has none.
func attached(r *http.Request) *requestState {
	st, _ := r.Context().Value(stateKey{}).(*requestState)
	return st
}

func (rs *requestState) get(name string) *sessionState {
	for _, st := range rs.sessions {
		if st.name == name {
			return st
		}
	}
	st := &sessionState{name: name}
	rs.sessions = append(rs.sessions, st)
	return st
}

var errNoStore = errors.New("session: no store in the context; add session.Middleware")

// errNoFlags is what saving a session outside Middleware returns: the
// cookie's flags are the app's, and Middleware is where they come from.
var errNoFlags = errors.New("session: no cookie flags for the request; use the store through session.Middleware")
