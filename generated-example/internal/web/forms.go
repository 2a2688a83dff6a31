package web

import (
	"errors"
	"net/http"
	"unicode"

	"github.com/labstack/echo/v4"
)

// parseForm reads a posted form, so that a body over the limit is a 413
// and a malformed one a 400 rather than a form with empty fields, which is
// what Echo's FormValue would make of them.
func parseForm(c echo.Context) error {
	req := c.Request()
	// ParseMultipartForm alone would hide ParseForm's error behind
	// ErrNotMultipart for an ordinary form.
	err := req.ParseForm()
	if err == nil {
		if err = req.ParseMultipartForm(DefaultMaxBodyBytes); errors.Is(err, http.ErrNotMultipart) {
			err = nil
		}
	}
	var tooBig *http.MaxBytesError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &tooBig):
		return echo.NewHTTPError(http.StatusRequestEntityTooLarge).SetInternal(err)
	default:
		return echo.NewHTTPError(http.StatusBadRequest).SetInternal(err)
	}
}

// isHidden reports whether r is a character that a line of text, such as
// a title or a name, must not hold because it is not seen but changes
// what is: control characters (C0, DEL and C1: tabs, line breaks,
// terminal escapes), line and paragraph separators, and the bidirectional
// controls (U+061C, U+200E-U+200F, U+202A-U+202E, U+2066-U+2069), which
// can make a title read differently from what it holds, and the rest of
// the page with it ("Trojan Source"). Right-to-left letters need none of
// them.
func isHidden(r rune) bool {
	return unicode.IsControl(r) || unicode.In(r, unicode.Bidi_Control, unicode.Zl, unicode.Zp)
}
