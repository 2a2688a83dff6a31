package cache

import (
	"context"
	"net/http"
	"sync/atomic"
)

// MarkPersonal records that the response to r is one visitor's own: it
// shows or changes something of theirs, such as their session. Views never
// stores such a response, and when the mark is made before Views looks at
// the request (in an earlier middleware), it never answers the request
// with a page cached for someone else either.
//
// Session code should mark every response produced while a session was
// read or saved, so that pages cached by Views can never leak one
// visitor's data to another; what a page shows of the session belongs in
// its holes (see Hole), which are filled outside the render that Views
// stores. Call it from your own code for anything else that is per
// visitor.
func MarkPersonal(r *http.Request) {
	visitorOf(r).personal.Store(true)
}

// MarkVisitor records that r comes from a visitor the app knows, such as
// one with a session: Views answers them from the cache only on routes
// whose pages have holes (ViewOptions.Fill), with the holes filled for
// them alone, and renders every other page for them, as for MarkPersonal.
// Session middleware should mark every request that carries a valid
// session cookie.
func MarkVisitor(r *http.Request) {
	visitorOf(r).known.Store(true)
}

// IsPersonal reports whether MarkPersonal was called for r.
func IsPersonal(r *http.Request) bool {
	v, ok := r.Context().Value(visitorKey{}).(*visitor)
	return ok && v.personal.Load()
}

// visitor is what one request has said about its visitor.
type visitor struct {
	personal atomic.Bool
	known    atomic.Bool // see MarkVisitor
}

type visitorKey struct{}

// visitorOf returns r's visitor record, attaching one to r's context first
// if it has none. r is updated in place, as gorilla/sessions attaches its
// registry, so the middleware and handlers that share r see one record;
// requests derived from r later inherit it through their context.
func visitorOf(r *http.Request) *visitor {
	if v, ok := r.Context().Value(visitorKey{}).(*visitor); ok {
		return v
	}
	v := &visitor{}
	*r = *r.WithContext(context.WithValue(r.Context(), visitorKey{}, v))
	return v
}
