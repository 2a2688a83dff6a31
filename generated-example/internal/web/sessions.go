package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/echocache/scaffold/generated-example/internal/session"

	"github.com/echocache/scaffold/generated-example/internal/cache"
)

// sessionName is the session cookie's name.
const sessionName = "session"

// demoUser is who "log in" logs in as: this example has no passwords.
const demoUser = "demo visitor"

// UseSessions gives every request its session, loaded from store when
// it carries a session cookie, and adds the session pages: /session/
// counts visits and logs in and out, /set/ and /get/ store and read a
// value as the Flask example does. Every page's header then shows who is
// logged in.
func (s *Server) UseSessions(store *session.Store) {
	s.echo.Use(session.Middleware(store, isHTTPS))
	s.layers = append(s.layers, cache.LayerSessions)
	s.echo.GET("/set/", s.handleSessionSet)
	s.echo.GET("/get/", s.handleSessionGet)
	s.echo.GET("/session/", s.handleSessionPage)
	s.echo.POST("/session/login", s.handleLogin)
	s.echo.POST("/session/logout", s.handleLogout)
}

// account is what the layout's header shows about the visitor.
type account struct {
	User string // who is logged in; empty for nobody
}

// Account returns what the layout's header shows about the visitor (see
// views/partials/account.html), or nil on a server without sessions.
func (v view) Account() (*account, error) {
	if !session.Enabled(v.c) {
		return nil, nil
	}
	user, err := currentUser(v.c)
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

// handleSessionSet stores a value in the session, as the Flask example's
// /set/ does.
func (s *Server) handleSessionSet(c echo.Context) error {
	sess, err := session.Get(sessionName, c)
	if err != nil {
		return err
	}
	sess.Values["key"] = "value"
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.String(http.StatusOK, "ok")
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
	Views     int
	User      string // who is logged in; empty for nobody
	CacheKind string
}

// handleSessionPage counts this visitor's views and shows who is logged in.
func (s *Server) handleSessionPage(c echo.Context) error {
	sess, err := session.Get(sessionName, c)
	if err != nil {
		return err
	}
	views, _ := sess.Values["views"].(int)
	views++
	sess.Values["views"] = views
	user, _ := sess.Values["user"].(string)
	c.Response().Header().Set("Cache-Control", "no-store")
	return s.render(c, http.StatusOK, "session.html", sessionPage{Views: views, User: user, CacheKind: s.cache.Kind()})
}

// handleLogin "logs in" and gives the session a new ID, which a real login
// must do so that an ID planted before login is worthless after it.
func (s *Server) handleLogin(c echo.Context) error {
	sess, err := session.Get(sessionName, c)
	if err != nil {
		return err
	}
	session.Regenerate(sess)
	sess.Values["user"] = demoUser
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
