package web

import "net/http"

// newCookie returns a cookie of this app's with every security flag set
// explicitly, rather than left to a library's defaults: HttpOnly (no
// script reads it), SameSite=Lax (not sent with cross-site posts), Path=/,
// and Secure whenever the visitor came over https (isHTTPS). maxAge is
// in seconds; a negative one deletes the cookie.
func newCookie(r *http.Request, name, value string, maxAge int) *http.Cookie {
	return &http.Cookie{
		Name:     name,
		Value:    value,
		Path:     "/",
		MaxAge:   maxAge,
		HttpOnly: true,
		Secure:   isHTTPS(r),
		SameSite: http.SameSiteLaxMode,
	}
}
