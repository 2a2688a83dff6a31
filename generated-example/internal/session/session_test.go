package session

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/securecookie"
	"github.com/labstack/echo/v4"

	"github.com/echocache/scaffold/generated-example/internal/cache"
	"github.com/echocache/scaffold/generated-example/internal/memcachedtest"
)

var (
	secret    = []byte(strings.Repeat("s", 32))
	oldSecret = []byte(strings.Repeat("o", 32))
)

// cookieFlags are the cookie flags of an app behind Heroku's router, as
// the generated app's web package gives them to Middleware.
func cookieFlags(r *http.Request) http.Cookie {
	return http.Cookie{
		Path:     "/",
		HttpOnly: true,
		Secure:   r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https",
		SameSite: http.SameSiteLaxMode,
	}
}

// app is an Echo app with session routes, like the generated app's.
type app struct {
	e     *echo.Echo
	store *Store
	cache *cache.Cache
}

func newApp(t *testing.T, c *cache.Cache, opts Options, secrets ...[]byte) *app {
	t.Helper()
	if len(secrets) == 0 {
		secrets = [][]byte{secret}
	}
	a := &app{e: echo.New(), store: NewStore(c, opts, secrets[0], secrets[1:]...), cache: c}
	a.e.Use(Middleware(a.store, cookieFlags))
	get := func(c echo.Context) *sessionValues {
		sess, err := Get("session", c)
		if err != nil {
			t.Fatalf("Get: %v", err)
		}
		return &sessionValues{sess.Values}
	}
	a.e.GET("/set", func(c echo.Context) error {
		get(c).m["key"] = c.QueryParam("v")
		return c.String(http.StatusOK, "ok")
	})
	a.e.GET("/get", func(c echo.Context) error {
		v, ok := get(c).m["key"].(string)
		if !ok {
			v = "not set"
		}
		return c.String(http.StatusOK, v)
	})
	a.e.GET("/read-only", func(c echo.Context) error {
		get(c)
		return c.String(http.StatusOK, "read")
	})
	a.e.GET("/untouched", func(c echo.Context) error { return c.String(http.StatusOK, "hello") })
	a.e.GET("/redirect", func(c echo.Context) error {
		get(c).m["key"] = "before redirect"
		return c.Redirect(http.StatusSeeOther, "/get")
	})
	a.e.POST("/login", func(c echo.Context) error {
		sess, _ := Get("session", c)
		Regenerate(sess)
		sess.Values["user"] = "alice"
		return c.NoContent(http.StatusNoContent)
	})
	a.e.POST("/logout", func(c echo.Context) error {
		sess, _ := Get("session", c)
		Destroy(sess)
		return c.NoContent(http.StatusNoContent)
	})
	return a
}

type sessionValues struct{ m map[interface{}]interface{} }

// request serves one request with the given session cookie value ("" for
// none) and returns the response and the session cookie it set, if any.
func (a *app) request(method, target, cookie string, header ...string) (*httptest.ResponseRecorder, *http.Cookie) {
	req := httptest.NewRequest(method, target, nil)
	if cookie != "" {
		req.AddCookie(&http.Cookie{Name: "session", Value: cookie})
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	a.e.ServeHTTP(rec, req)
	for _, c := range rec.Result().Cookies() {
		if c.Name == "session" {
			return rec, c
		}
	}
	return rec, nil
}

// backends returns a cache of each kind; the memcached one on a new
// server, which the test may stop.
func backends(t *testing.T) (map[string]*cache.Cache, *memcachedtest.Server) {
	t.Helper()
	srv := memcachedtest.Start(t)
	mc, err := cache.NewMemcached(cache.MemcachedOptions{Servers: []string{srv.Addr}, Timeout: 500 * time.Millisecond}, discard())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mc.Close() })
	return map[string]*cache.Cache{"memory": cache.NewMemory(0, discard()), "memcached": mc}, srv
}

func discard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func TestSessions(t *testing.T) {
	caches, _ := backends(t)
	for name, c := range caches {
		t.Run(name, func(t *testing.T) {
			a := newApp(t, c, Options{})

			t.Run("round trip", func(t *testing.T) {
				_, ck := a.request("GET", "/set?v=hello", "")
				if ck == nil {
					t.Fatal("no session cookie")
				}
				if rec, _ := a.request("GET", "/get", ck.Value); rec.Body.String() != "hello" {
					t.Errorf("got %q, want hello", rec.Body)
				}
				if rec, _ := a.request("GET", "/get", ""); rec.Body.String() != "not set" {
					t.Errorf("without the cookie got %q, want \"not set\"", rec.Body)
				}
			})

			t.Run("cookie flags", func(t *testing.T) {
				_, ck := a.request("GET", "/set?v=x", "")
				if !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/" || ck.Secure {
					t.Errorf("over http: %+v, want HttpOnly, SameSite=Lax, Path=/, not Secure", ck)
				}
				if ck.MaxAge != int(DefaultMaxAge/time.Second) {
					t.Errorf("Max-Age %d, want 31 days", ck.MaxAge)
				}
				_, ck = a.request("GET", "/set?v=x", "", "X-Forwarded-Proto", "https")
				if !ck.Secure || !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode {
					t.Errorf("behind an https router: %+v, want Secure too", ck)
				}
				req := httptest.NewRequest("GET", "https://app.example/set?v=x", nil) // over TLS: req.TLS is set
				rec := httptest.NewRecorder()
				a.e.ServeHTTP(rec, req)
				if cookies := rec.Result().Cookies(); len(cookies) != 1 || !cookies[0].Secure {
					t.Errorf("over TLS: cookies %+v, want one, Secure", cookies)
				}
			})

			t.Run("the cookie holds only a signed ID", func(t *testing.T) {
				_, ck := a.request("GET", "/set?v=secret-data", "")
				var id []byte
				if err := securecookie.DecodeMulti("session", ck.Value, &id, a.store.codecs...); err != nil {
					t.Fatal(err)
				}
				if len(id) < 22 || strings.Contains(ck.Value, "secret-data") {
					t.Errorf("cookie %q, id %q: want a random ID of at least 128 bits and no data", ck.Value, id)
				}
				if _, ok := c.InLayer(cache.LayerSessions).Get("session:" + string(id)); !ok {
					t.Errorf("no cache entry under session:%s", id)
				}
			})

			t.Run("unknown ID is replaced (fixation)", func(t *testing.T) {
				planted, _ := securecookie.EncodeMulti("session", []byte("attacker-chosen-id"), a.store.codecs...)
				if rec, _ := a.request("GET", "/get", planted); rec.Body.String() != "not set" {
					t.Errorf("unknown ID: got %q", rec.Body)
				}
				_, ck := a.request("GET", "/set?v=mine", planted)
				if ck == nil || ck.Value == planted {
					t.Fatal("the planted ID was kept")
				}
				if _, ok := c.InLayer(cache.LayerSessions).Get("session:attacker-chosen-id"); ok {
					t.Error("data was stored under the planted ID")
				}
			})

			t.Run("tampered cookie", func(t *testing.T) {
				_, ck := a.request("GET", "/set?v=x", "")
				tampered := ck.Value[:len(ck.Value)-2] + "AA"
				if rec, _ := a.request("GET", "/get", tampered); rec.Code != 200 || rec.Body.String() != "not set" {
					t.Errorf("tampered cookie: %d %q, want an anonymous session", rec.Code, rec.Body)
				}
				if _, ck2 := a.request("GET", "/set?v=y", tampered); ck2 == nil || ck2.Value == tampered || ck2.Value == ck.Value {
					t.Error("a tampered cookie's session was reused")
				}
			})

			t.Run("regenerate and destroy", func(t *testing.T) {
				_, ck := a.request("GET", "/set?v=kept", "")
				_, after := a.request("POST", "/login", ck.Value)
				if after == nil || after.Value == ck.Value {
					t.Fatal("login did not give a new session ID")
				}
				if rec, _ := a.request("GET", "/get", after.Value); rec.Body.String() != "kept" {
					t.Errorf("after regenerate got %q, want the data kept", rec.Body)
				}
				if rec, _ := a.request("GET", "/get", ck.Value); rec.Body.String() != "not set" {
					t.Errorf("the old ID still works after regenerate: %q", rec.Body)
				}
				_, gone := a.request("POST", "/logout", after.Value)
				if gone == nil || gone.MaxAge >= 0 {
					t.Errorf("logout cookie %+v, want it expired", gone)
				}
				if rec, _ := a.request("GET", "/get", after.Value); rec.Body.String() != "not set" {
					t.Errorf("replaying the cookie after logout: %q, want an anonymous session", rec.Body)
				}
			})

			t.Run("saved before a redirect", func(t *testing.T) {
				rec, ck := a.request("GET", "/redirect", "")
				if rec.Code != http.StatusSeeOther || ck == nil {
					t.Fatalf("redirect: %d, cookie %v", rec.Code, ck)
				}
				if rec, _ := a.request("GET", "/get", ck.Value); rec.Body.String() != "before redirect" {
					t.Errorf("got %q", rec.Body)
				}
			})

			t.Run("empty and untouched sessions set no cookie", func(t *testing.T) {
				for _, path := range []string{"/untouched", "/read-only", "/get"} {
					if _, ck := a.request("GET", path, ""); ck != nil {
						t.Errorf("%s set a session cookie for an empty session", path)
					}
				}
				_, ck := a.request("GET", "/set?v=x", "")
				if _, again := a.request("GET", "/read-only", ck.Value); again != nil {
					t.Error("an unchanged session was written back")
				}
			})

			t.Run("two app instances share sessions", func(t *testing.T) {
				other := newApp(t, c, Options{}) // another process, same cache and secret
				_, ck := a.request("GET", "/set?v=shared", "")
				if rec, _ := other.request("GET", "/get", ck.Value); rec.Body.String() != "shared" {
					t.Errorf("the other instance got %q, want shared", rec.Body)
				}
			})

			t.Run("secret rotation", func(t *testing.T) {
				old := newApp(t, c, Options{}, oldSecret)
				_, ck := old.request("GET", "/set?v=from-old", "")
				rotated := newApp(t, c, Options{}, secret, oldSecret)
				if rec, _ := rotated.request("GET", "/get", ck.Value); rec.Body.String() != "from-old" {
					t.Errorf("a cookie signed with the previous secret: %q, want it accepted", rec.Body)
				}
				if rec, _ := a.request("GET", "/get", ck.Value); rec.Body.String() != "not set" {
					t.Errorf("a store without the old secret accepted its cookie: %q", rec.Body)
				}
			})
		})
	}
}

// TestRoundTrips counts memcached commands: a request that does not touch
// the session makes none, one that only reads makes one get and no set.
func TestRoundTrips(t *testing.T) {
	caches, srv := backends(t)
	a := newApp(t, caches["memcached"], Options{})
	_, ck := a.request("GET", "/set?v=x", "")
	count := func() (gets, sets int) {
		st, err := srv.Stats()
		if err != nil {
			t.Fatal(err)
		}
		gets, _ = strconv.Atoi(st["cmd_get"])
		sets, _ = strconv.Atoi(st["cmd_set"])
		return gets, sets
	}
	g0, s0 := count()
	for i := 0; i < 5; i++ {
		a.request("GET", "/untouched", ck.Value)
	}
	g1, s1 := count()
	if g1 != g0 || s1 != s0 {
		t.Errorf("5 requests that do not use the session made %d gets and %d sets, want none", g1-g0, s1-s0)
	}
	a.request("GET", "/read-only", ck.Value)
	g2, s2 := count()
	if g2-g1 != 1 || s2 != s1 {
		t.Errorf("a read-only request made %d gets and %d sets, want 1 and 0", g2-g1, s2-s1)
	}
	a.request("GET", "/set?v=y", ck.Value)
	if g3, s3 := count(); g3-g2 != 1 || s3-s2 != 1 {
		t.Errorf("a changing request made %d gets and %d sets, want 1 and 1", g3-g2, s3-s2)
	}
}

// TestLifetimeOverThirtyDays: the 31-day default reaches memcached as an
// absolute time; sent as 2678400 seconds, memcached would read a date in
// 1970 and drop the session at once.
func TestLifetimeOverThirtyDays(t *testing.T) {
	caches, _ := backends(t)
	// 105120h (12 years) ends past 2038, beyond a 32-bit exptime.
	for _, maxAge := range []time.Duration{30 * 24 * time.Hour, 30*24*time.Hour + time.Second, DefaultMaxAge, 105120 * time.Hour} {
		a := newApp(t, caches["memcached"], Options{MaxAge: maxAge})
		_, ck := a.request("GET", "/set?v=long", "")
		if rec, _ := a.request("GET", "/get", ck.Value); rec.Body.String() != "long" {
			t.Errorf("MaxAge %v: got %q, want the session kept", maxAge, rec.Body)
		}
	}
}

func TestMemcachedDown(t *testing.T) {
	caches, srv := backends(t)
	a := newApp(t, caches["memcached"], Options{})
	_, ck := a.request("GET", "/set?v=x", "")
	srv.Stop()
	if rec, _ := a.request("GET", "/get", ck.Value); rec.Code != 200 || rec.Body.String() != "not set" {
		t.Errorf("with memcached down: %d %q, want 200 and an empty session", rec.Code, rec.Body)
	}
	rec, newCookie := a.request("GET", "/set?v=y", ck.Value)
	if rec.Code != 200 {
		t.Errorf("writing a session with memcached down: status %d", rec.Code)
	}
	if newCookie != nil {
		t.Error("a cookie was set for a session that could not be stored")
	}
	if s := caches["memcached"].Stats(); s.Errors == 0 {
		t.Error("the failures were not counted")
	}
}

func TestTimeouts(t *testing.T) {
	c := cache.NewMemory(0, discard())
	now := time.Unix(1_800_000_000, 0)

	idle := newApp(t, c, Options{IdleTimeout: time.Hour})
	idle.store.now = func() time.Time { return now }
	_, ck := idle.request("GET", "/set?v=x", "")
	now = now.Add(50 * time.Minute)
	if rec, _ := idle.request("GET", "/get", ck.Value); rec.Body.String() != "x" {
		t.Fatalf("within the idle timeout: %q", rec.Body)
	}
	now = now.Add(50 * time.Minute) // 100 minutes in, 50 since last use
	if rec, _ := idle.request("GET", "/get", ck.Value); rec.Body.String() != "x" {
		t.Errorf("use refreshes the idle timeout: got %q", rec.Body)
	}
	now = now.Add(61 * time.Minute)
	if rec, _ := idle.request("GET", "/get", ck.Value); rec.Body.String() != "not set" {
		t.Errorf("after the idle timeout: %q, want \"not set\"", rec.Body)
	}

	absolute := newApp(t, c, Options{AbsoluteTimeout: 2 * time.Hour})
	absolute.store.now = func() time.Time { return now }
	_, ck = absolute.request("GET", "/set?v=x", "")
	for i := 0; i < 3; i++ {
		now = now.Add(50 * time.Minute)
		absolute.request("GET", "/set?v=x"+strconv.Itoa(i), ck.Value)
	}
	if rec, _ := absolute.request("GET", "/get", ck.Value); rec.Body.String() != "not set" {
		t.Errorf("after the absolute timeout, however active: %q, want \"not set\"", rec.Body)
	}
}

func TestGetWithoutMiddleware(t *testing.T) {
	e := echo.New()
	c := e.NewContext(httptest.NewRequest("GET", "/", nil), httptest.NewRecorder())
	if Enabled(c) {
		t.Error("Enabled without Middleware")
	}
	if _, err := Get("session", c); err == nil {
		t.Error("Get without Middleware succeeded, want an error")
	}
	store := NewStore(cache.NewMemory(0, discard()), Options{}, secret)
	var enabled bool
	Middleware(store, cookieFlags)(func(c echo.Context) error {
		enabled = Enabled(c)
		return nil
	})(c)
	if !enabled {
		t.Error("Enabled under Middleware is false")
	}
}

// TestSaveWithoutMiddleware: the Store used directly, as a gorilla/sessions
// store, outside Middleware, has no cookie flags: Save refuses and sets no
// cookie, rather than set one without HttpOnly and SameSite.
func TestSaveWithoutMiddleware(t *testing.T) {
	store := NewStore(cache.NewMemory(0, discard()), Options{}, secret)
	req := httptest.NewRequest("GET", "/", nil)
	sess, err := store.Get(req, "session")
	if err != nil {
		t.Fatal(err)
	}
	sess.Values["key"] = "value"
	rec := httptest.NewRecorder()
	if err := store.Save(req, rec, sess); err == nil {
		t.Error("Save without Middleware succeeded, want an error")
	}
	if cookies := rec.Result().Cookies(); len(cookies) != 0 {
		t.Errorf("Save without Middleware set cookies %+v, want none", cookies)
	}
}
