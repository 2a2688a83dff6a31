package web

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestDashboardIsPrivateOnHeroku: the cache dashboard and its JSON are
// open locally; with DASHBOARD_PASSWORD set they ask for it, whatever the
// user name; on Heroku without one they are not there at all. On both
// caches.
func TestDashboardIsPrivateOnHeroku(t *testing.T) {
	const password = "0f9e8d7c6b5a49382716f5e4d3c2b1a0"
	type try struct {
		user, password string // none when both are empty
		want           int
	}
	anyone := []try{{"", "", http.StatusOK}}
	withPassword := []try{
		{"", "", http.StatusUnauthorized},
		{"admin", "wrong", http.StatusUnauthorized},
		{"admin", password + "x", http.StatusUnauthorized},
		{"admin", password[:len(password)-1], http.StatusUnauthorized},
		{"admin", password, http.StatusOK},
		{"anyone", password, http.StatusOK},
	}
	for _, where := range []struct {
		name  string
		opts  Options
		tries []try
	}{
		{"locally", Options{}, anyone},
		{"locally with a password", Options{DashboardPassword: password}, withPassword},
		{"on Heroku", onHeroku, []try{{"", "", http.StatusNotFound}, {"admin", password, http.StatusNotFound}}},
		{"on Heroku with a password", Options{OnHeroku: true, ForceHTTPS: true, DashboardPassword: password}, withPassword},
	} {
		for name, newServer := range cachesWith(t, where.opts) {
			t.Run(where.name+"/"+name, func(t *testing.T) {
				s := newServer(t)
				for _, target := range []string{"/cache/", "/cache/stats"} {
					for _, tt := range where.tries {
						req := httptest.NewRequest(http.MethodGet, target, nil)
						req.Header.Set("X-Forwarded-Proto", "https")
						if tt.user != "" {
							req.SetBasicAuth(tt.user, tt.password)
						}
						rec := httptest.NewRecorder()
						s.ServeHTTP(rec, req)
						if rec.Code != tt.want {
							t.Errorf("GET %s as %q:%q: got status %d, want %d", target, tt.user, tt.password, rec.Code, tt.want)
						}
						challenge := rec.Header().Get("WWW-Authenticate")
						if (rec.Code == http.StatusUnauthorized) != (challenge != "") {
							t.Errorf("GET %s as %q: status %d with WWW-Authenticate %q; want a challenge with 401 alone", target, tt.user, rec.Code, challenge)
						}
					}
				}
			})
		}
	}
}
