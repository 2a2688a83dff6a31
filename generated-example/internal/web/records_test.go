package web

import (
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/echocache/scaffold/generated-example/internal/db"
)

func TestRecordIDAndPageNumber(t *testing.T) {
	s, _ := newTestServer(t, Options{})
	s.echo.GET("/records/:id", func(c echo.Context) error {
		id, err := recordID(c)
		if err != nil {
			return err
		}
		n, err := pageNumber(c)
		if err != nil {
			return err
		}
		return c.String(http.StatusOK, fmt.Sprintf("%d %d", id, n))
	})
	tests := []struct {
		target string
		status int
		body   string
	}{
		{"/records/12", http.StatusOK, "12 1"},
		{"/records/12?page=3", http.StatusOK, "12 3"},
		{"/records/9223372036854775807?page=10000", http.StatusOK, "9223372036854775807 10000"},
		{"/records/0", http.StatusNotFound, ""},
		{"/records/-1", http.StatusNotFound, ""},
		{"/records/abc", http.StatusNotFound, ""},
		{"/records/99999999999999999999", http.StatusNotFound, ""},
		{"/records/12?page=0", http.StatusNotFound, ""},
		{"/records/12?page=01", http.StatusNotFound, ""},
		{"/records/12?page=10001", http.StatusNotFound, ""},
		{"/records/12?page=x", http.StatusNotFound, ""},
	}
	for _, tt := range tests {
		rec := do(s, http.MethodGet, tt.target)
		if rec.Code != tt.status || tt.body != "" && rec.Body.String() != tt.body {
			t.Errorf("GET %s: got %d %q, want %d %q", tt.target, rec.Code, rec.Body.String(), tt.status, tt.body)
		}
	}
}

// TestDatabaseErrors: an outage is a 503; the database's other errors
// stay 500s, and other answers pass untouched.
func TestDatabaseErrors(t *testing.T) {
	s, _ := newTestServer(t, Options{})
	errs := map[string]error{
		"/outage": fmt.Errorf("list records: %w: connection refused", db.ErrUnavailable),
		"/bug":    errors.New("list records: syntax error"),
		"/gone":   echo.NewHTTPError(http.StatusNotFound),
	}
	for path, err := range errs {
		s.echo.GET(path, func(echo.Context) error { return err }, databaseErrors)
	}
	s.echo.GET("/fine", func(c echo.Context) error { return c.String(http.StatusOK, "ok") }, databaseErrors)
	for path, want := range map[string]int{"/outage": 503, "/bug": 500, "/gone": 404, "/fine": 200} {
		if got := do(s, http.MethodGet, path).Code; got != want {
			t.Errorf("GET %s: got %d, want %d", path, got, want)
		}
	}
}
