package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/echocache/scaffold/generated-example/internal/session"

	"github.com/echocache/scaffold/generated-example/internal/cache"
)

// sessionName is the session cookie's name.
const sessionName = "session"

// demoUser is who "log in" logs in as when no name is given: this example
// has no passwords, and a visitor logs in as whatever name they type.
const demoUser = "demo visitor"

// maxUserName is the longest name one may log in as, in characters.
const maxUserName = 40

// How many sessions one client may start: newSessionBurst at once, then
// newSessionsPerMinute. Each new session is a cache entry kept for 31
// days, and a client that made them fast enough would push real visitors'
// sessions out of the cache; a person logs in a few times a day.
const (
	newSessionBurst      = 10
	newSessionsPerMinute = 10
)

// UseSessions gives every request its session, loaded from store when
// it carries a session cookie, and adds the session pages: /session/
// counts the visits of a visitor who has a session, and its buttons start
// one, log in and log out; /set/ and /get/ store and read a value as the
// Flask example does. Every page's header then shows who is logged in.
//
// Only a POST ever creates a session, and each client may start only so
// many (limitNewSessions): a GET, which anyone and any crawler can send
// by the thousand, never stores anything.
func (s *Server) UseSessions(store *session.Store) {
	s.echo.Use(session.Middleware(store, cookieFlags))
	s.addHole("login", accountHole)
	s.layers = append(s.layers, cache.LayerSessions)
	limit := limitNewSessions()
	s.echo.GET("/set/", s.handleSetForm)
	s.echo.POST("/set/", s.handleSessionSet, limit)
	s.echo.GET("/get/", s.handleSessionGet)
	s.echo.GET("/session/", s.handleSessionPage)
	s.echo.POST("/session/start", s.handleSessionStart, limit)
	s.echo.POST("/session/login", s.handleLogin, limit)
	s.echo.POST("/session/logout", s.handleLogout)
}

// limitNewSessions answers 429 to a client that has sent too many of the
// requests that may start a session (newSessionBurst at once, then
// newSessionsPerMinute), before the handler runs. A client is its address
// as Echo's RealIP gives it (see clientIP). The counts are this process's
// own: each instance allows as much.
func limitNewSessions() echo.MiddlewareFunc {
	retryAfter := strconv.Itoa(60 / newSessionsPerMinute)
	return middleware.RateLimiterWithConfig(middleware.RateLimiterConfig{
		Store: middleware.NewRateLimiterMemoryStoreWithConfig(middleware.RateLimiterMemoryStoreConfig{
			Rate:  newSessionsPerMinute / 60.0, // per second
			Burst: newSessionBurst,
			// A client unseen for this long has its whole allowance back,
			// and is forgotten.
			ExpiresIn: newSessionBurst * time.Minute / newSessionsPerMinute,
		}),
		IdentifierExtractor: func(c echo.Context) (string, error) { return c.RealIP(), nil },
		DenyHandler: func(c echo.Context, _ string, err error) error {
			c.Response().Header().Set("Retry-After", retryAfter)
			return echo.NewHTTPError(http.StatusTooManyRequests).SetInternal(err)
		},
	})
}

// account is what the layout's header shows about the visitor.
type account struct {
	User string // who is logged in; empty for nobody
}

// accountHole gives the layout's "login" hole what the header shows about
// the visitor (see views/partials/account.html).
func accountHole(c echo.Context) (any, error) {
	user, err := currentUser(c)
	if err != nil {
		return nil, err
	}
	return &account{User: user}, nil
}

// currentUser returns who is logged in, or "" for a visitor without a
// session or not logged in. Reading the session marks the response as
// this visitor's own when they have one, so the view cache never shares
// it; a visitor without a session still shares cached pages.
func currentUser(c echo.Context) (string, error) {
	sess, err := session.Get(sessionName, c)
	if err != nil {
		return "", err
	}
	user, _ := sess.Values["user"].(string)
	return user, nil
}

// handleSetForm shows the form that stores a value in the session. The
// Flask example's /set/ stored it on a GET, which lets any link, crawler
// or flood of requests create sessions.
func (s *Server) handleSetForm(c echo.Context) error {
	return s.render(c, http.StatusOK, "set.html", nil)
}

// handleSessionSet stores a value in the session, as the Flask example's
// /set/ does, and redirects to /get/, which shows it.
func (s *Server) handleSessionSet(c echo.Context) error {
	sess, err := session.Get(sessionName, c)
	if err != nil {
		return err
	}
	sess.Values["key"] = "value"
	return c.Redirect(http.StatusSeeOther, "/get/")
}

// handleSessionGet answers the stored value, or "not set", as the Flask
// example's /get/ does.
func (s *Server) handleSessionGet(c echo.Context) error {
	sess, err := session.Get(sessionName, c)
	if err != nil {
		return err
	}
	v, ok := sess.Values["key"].(string)
	if !ok {
		v = "not set"
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.String(http.StatusOK, v)
}

// sessionPage is the data of views/session.html.
type sessionPage struct {
	Started   bool // whether the visitor has a session
	Views     int
	User      string // who is logged in; empty for nobody
	CacheKind string
}

// handleSessionPage counts this visitor's views, if they have a session,
// and shows who is logged in. A visitor without one gets a button that
// starts one: the page itself creates nothing.
func (s *Server) handleSessionPage(c echo.Context) error {
	sess, err := session.Get(sessionName, c)
	if err != nil {
		return err
	}
	views, _ := sess.Values["views"].(int)
	if !sess.IsNew {
		views++
		sess.Values["views"] = views
	}
	user, _ := sess.Values["user"].(string)
	c.Response().Header().Set("Cache-Control", "no-store")
	return s.render(c, http.StatusOK, "session.html", sessionPage{
		Started:   !sess.IsNew,
		Views:     views,
		User:      user,
		CacheKind: s.cache.Kind(),
	})
}

// handleSessionStart starts a session whose visits /session/ counts, and
// shows it.
func (s *Server) handleSessionStart(c echo.Context) error {
	sess, err := session.Get(sessionName, c)
	if err != nil {
		return err
	}
	if _, ok := sess.Values["views"]; !ok {
		sess.Values["views"] = 0
	}
	return c.Redirect(http.StatusSeeOther, "/session/")
}

// handleLogin "logs in" as the name posted (demoUser if none), which every
// page's header then shows, and gives the session a new ID, which a real
// login must do so that an ID planted before login is worthless after it.
func (s *Server) handleLogin(c echo.Context) error {
	if err := parseForm(c); err != nil {
		return err
	}
	name := strings.TrimSpace(c.Request().PostFormValue("name"))
	switch {
	case name == "":
		name = demoUser
	case utf8.RuneCountInString(name) > maxUserName:
		return echo.NewHTTPError(http.StatusBadRequest, "That name is too long: "+strconv.Itoa(maxUserName)+" characters at most.")
	case !utf8.ValidString(name) || strings.ContainsFunc(name, isHidden):
		return echo.NewHTTPError(http.StatusBadRequest, "That name has control or text-direction characters: type it as plain text.")
	}
	sess, err := session.Get(sessionName, c)
	if err != nil {
		return err
	}
	session.Regenerate(sess)
	sess.Values["user"] = name
	return c.Redirect(http.StatusSeeOther, "/session/")
}

// handleLogout ends the session: its data is deleted and its cookie
// expired, and the answer must not be kept by any cache.
func (s *Server) handleLogout(c echo.Context) error {
	sess, err := session.Get(sessionName, c)
	if err != nil {
		return err
	}
	session.Destroy(sess)
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.Redirect(http.StatusSeeOther, "/session/")
}
