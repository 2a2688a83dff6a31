package web

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/echocache/scaffold/generated-example/internal/db"
)

// databaseErrors answers 503 when a handler's database is down or too
// slow (db.ErrUnavailable): the visitor can try again, and pages served
// from the cache still work.
func databaseErrors(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		err := next(c)
		if errors.Is(err, db.ErrUnavailable) {
			return echo.NewHTTPError(http.StatusServiceUnavailable).WithInternal(err)
		}
		return err
	}
}

// recordID returns the route's :id, a record's ID, or a 404 error when it
// is not one: IDs are positive whole numbers.
func recordID(c echo.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, echo.NewHTTPError(http.StatusNotFound)
	}
	return id, nil
}

// maxPageNumber bounds the page numbers of a list: past it, ?page= is a
// 404, so made-up numbers cannot make the database skip millions of rows.
const maxPageNumber = 10000

// pageNumber returns the list page that ?page= asks for: 1 without it, or
// a 404 error when it is not a number from 1 to maxPageNumber written
// plainly (?page=01 would be another cached copy of page 1).
func pageNumber(c echo.Context) (int, error) {
	v := c.QueryParam("page")
	if v == "" {
		return 1, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > maxPageNumber || strconv.Itoa(n) != v {
		return 0, echo.NewHTTPError(http.StatusNotFound)
	}
	return n, nil
}
