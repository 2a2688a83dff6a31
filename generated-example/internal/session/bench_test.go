package session

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/bradfitz/gomemcache/memcache"
	"github.com/gorilla/securecookie"
	"github.com/labstack/echo/v4"

	"github.com/echocache/scaffold/generated-example/internal/cache"
	"github.com/echocache/scaffold/generated-example/internal/memcachedtest"
)

// BenchmarkLoadSave compares a request that loads a small session,
// changes it and saves it through the Store with the same request served
// by a handler that does a raw gomemcache get and set of the same entry,
// so that both include the same HTTP handling:
//
//	go test ./internal/session -run '^$' -bench . -count 10
func BenchmarkLoadSave(b *testing.B) {
	srv := memcachedtest.Start(b)
	c, err := cache.NewMemcached(cache.MemcachedOptions{Servers: []string{srv.Addr}}, discard())
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	store := NewStore(c, Options{}, secret)
	raw := memcache.New(srv.Addr)
	defer raw.Close()

	e := echo.New()
	e.Use(Middleware(store, cookieFlags))
	e.GET("/session", func(c echo.Context) error {
		sess, _ := Get("session", c)
		n, _ := sess.Values["n"].(int)
		sess.Values["n"] = n + 1
		return c.NoContent(http.StatusNoContent)
	})
	var key string
	e.GET("/raw", func(c echo.Context) error {
		if _, err := c.Cookie("session"); err != nil {
			return err
		}
		it, err := raw.Get(key)
		if err != nil {
			return err
		}
		it.Expiration = int32(time.Now().Add(DefaultMaxAge).Unix())
		if err := raw.Set(it); err != nil {
			return err
		}
		return c.NoContent(http.StatusNoContent)
	})

	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, httptest.NewRequest("GET", "/session", nil))
	cookie := rec.Result().Cookies()[0]
	var id []byte
	if err := securecookie.DecodeMulti("session", cookie.Value, &id, store.codecs...); err != nil {
		b.Fatal(err)
	}
	key = c.InLayer(cache.LayerSessions).Key(entryKey(string(id)))

	serve := func(b *testing.B, target string) {
		for i := 0; i < b.N; i++ {
			req := httptest.NewRequest("GET", target, nil)
			req.AddCookie(cookie)
			rec := httptest.NewRecorder()
			e.ServeHTTP(rec, req)
			if rec.Code != http.StatusNoContent {
				b.Fatalf("status %d", rec.Code)
			}
		}
	}
	b.Run("session", func(b *testing.B) { serve(b, "/session") })
	b.Run("gomemcache", func(b *testing.B) { serve(b, "/raw") })
}
