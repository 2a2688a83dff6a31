package web

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestClientIP: on Heroku a client is the last X-Forwarded-For entry,
// which the router appends; elsewhere, and whenever that entry is not an
// address, it is the connection's peer. A client cannot choose either.
func TestClientIP(t *testing.T) {
	tests := []struct {
		name     string
		onHeroku bool
		xff      []string // X-Forwarded-For lines
		want     string
	}{
		{"locally, no header", false, nil, "192.0.2.1"},
		{"locally, a header", false, []string{"203.0.113.9"}, "192.0.2.1"},
		{"on Heroku", true, []string{"203.0.113.9"}, "203.0.113.9"},
		{"on Heroku, entries sent by the client", true, []string{"1.1.1.1, 2.2.2.2,203.0.113.9"}, "203.0.113.9"},
		{"on Heroku, several lines", true, []string{"1.1.1.1", "2.2.2.2, 203.0.113.9"}, "203.0.113.9"},
		{"on Heroku, IPv6", true, []string{"2001:db8::1"}, "2001:db8::1"},
		{"on Heroku, no header", true, nil, "192.0.2.1"},
		{"on Heroku, not an address", true, []string{"203.0.113.9, unknown"}, "192.0.2.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, "/", nil)
			req.RemoteAddr = "192.0.2.1:40000"
			for _, line := range tt.xff {
				req.Header.Add("X-Forwarded-For", line)
			}
			if got := clientIP(tt.onHeroku)(req); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
