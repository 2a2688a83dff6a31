package session

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/securecookie"
	"github.com/labstack/echo/v4"

	"github.com/echocache/scaffold/generated-example/internal/cache"
)

// TestVerifiedCookies: a session cookie's signature is checked once a
// minute, not on every request; only the very cookie that passed skips the
// check, a tampered copy of it never does, and after a minute the check
// is made again.
func TestVerifiedCookies(t *testing.T) {
	a := newApp(t, cache.NewMemory(0, discard()), Options{})
	now := time.Now()
	a.store.now = func() time.Time { return now }
	_, login := a.request(http.MethodPost, "/login", "")
	if login == nil {
		t.Fatal("log in set no cookie")
	}
	user := func(cookie string) string {
		rec, _ := a.request(http.MethodGet, "/user", cookie)
		return rec.Body.String()
	}
	a.e.GET("/user", func(c echo.Context) error {
		sess, err := Get("session", c)
		if err != nil {
			return err
		}
		name, _ := sess.Values["user"].(string)
		return c.String(http.StatusOK, name)
	})
	if got := user(login.Value); got != "alice" {
		t.Fatalf("logged in: %q, want alice", got)
	}

	// From now on no cookie passes the signature check: only the one
	// checked before is still taken, and only for a minute.
	a.store.codecs = []securecookie.Codec{securecookie.New([]byte("another secret, 32 bytes long..."), nil)}
	if got := user(login.Value); got != "alice" {
		t.Errorf("the cookie checked a moment ago: %q, want alice without a new check", got)
	}
	for _, tampered := range []string{login.Value + "A", login.Value[:len(login.Value)-1], "x" + login.Value} {
		if got := user(tampered); got != "" {
			t.Errorf("a tampered copy of a checked cookie: %q, want no session", got)
		}
	}
	now = now.Add(verifiedFor)
	if got := user(login.Value); got != "" {
		t.Errorf("a minute later, the cookie checked again against another secret: %q, want no session", got)
	}
}

// TestVerifiedCookiesBounded: the memory of checked cookies starts over
// when full, and a cookie is remembered under its own name only.
func TestVerifiedCookiesBounded(t *testing.T) {
	var v verifiedCookies
	now := time.Now()
	for i := 0; i < maxVerified; i++ {
		v.put("session", strconv.Itoa(i), []byte{1}, now)
	}
	if _, ok := v.get("session", "0", now); !ok {
		t.Fatal("a remembered cookie was not found")
	}
	if _, ok := v.get("other", "0", now); ok {
		t.Error("a cookie was found under another name")
	}
	v.put("session", "one more", []byte{2}, now)
	if len(v.m) != 1 {
		t.Errorf("full, then one more: %d cookies remembered, want 1", len(v.m))
	}
	if id, ok := v.get("session", "one more", now); !ok || id[0] != 2 {
		t.Errorf("the last cookie: %v %v, want its ID", id, ok)
	}
	if _, ok := v.get("session", "one more", now.Add(-time.Second)); ok {
		t.Error("a cookie was found before it was checked (a clock that went back)")
	}

	// Full of cookies checked over a minute ago, and a few of now: only
	// the old ones are forgotten.
	v = verifiedCookies{}
	for i := 0; i < maxVerified-2; i++ {
		v.put("session", strconv.Itoa(i), []byte{1}, now)
	}
	later := now.Add(verifiedFor)
	v.put("session", "recent 1", []byte{1}, later)
	v.put("session", "recent 2", []byte{1}, later)
	v.put("session", "recent 3", []byte{1}, later)
	if len(v.m) != 3 {
		t.Errorf("full with %d old cookies, then one more: %d remembered, want the 3 recent ones", maxVerified-2, len(v.m))
	}
	for _, c := range []string{"recent 1", "recent 2", "recent 3"} {
		if _, ok := v.get("session", c, later); !ok {
			t.Errorf("%s was forgotten", c)
		}
	}

	// A value longer than any signed cookie is never looked up.
	long := strings.Repeat("x", maxCookie+1)
	v.put("session", long, []byte{1}, now)
	if _, ok := v.get("session", long, now); ok {
		t.Error("an over-long cookie was looked up")
	}
}
