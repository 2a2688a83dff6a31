package web

import "net/http"

// newCookie returns a cookie of this app's, with the flags every cookie
// of the app carries (cookieFlags). maxAge is in seconds; a negative one
// deletes the cookie.
func newCookie(r *http.Request, name, value string, maxAge int) *http.Cookie {
	c := cookieFlags(r)
	c.Name, c.Value, c.MaxAge = name, value, maxAge
	return &c
}
