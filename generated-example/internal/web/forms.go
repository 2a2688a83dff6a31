package web

import (
	"errors"
	"net/http"

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
