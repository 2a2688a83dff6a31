package main

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"testing"

	"github.com/echocache/scaffold/generated-example/internal/memcachedtest"
)

func TestRunRejectsBadSessionConfig(t *testing.T) {
	rejectsConfig(t,
		map[string]string{"SESSION_SECRET": "s3cret-pw"},
		map[string]string{"DYNO": "web.1"},
	)
}

// TestSessionOnTwoInstances runs two instances of the app on one
// memcached with one SESSION_SECRET: a session made through one is valid
// on the other.
func TestSessionOnTwoInstances(t *testing.T) {
	mc := memcachedtest.Start(t)
	env := map[string]string{
		"MEMCACHIER_SERVERS": mc.Addr,
		"SESSION_SECRET":     "5f1c0e6a8b2d4f7093a1c4e6b8d0f2a4",
	}
	a, shutdownA := startApp(t, env)
	b, shutdownB := startApp(t, env)
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	visitor := &http.Client{Jar: jar}
	resp, err := visitor.PostForm(a+"/set/", nil) // then follows the redirect to A's /get/
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := fetch(t, visitor, a+"/get/"); got != "value" {
		t.Fatalf("/get/ on A after /set/: %q", got)
	}
	if got := fetch(t, visitor, b+"/get/"); got != "value" {
		t.Errorf("/get/ on B with A's session: %q, want value", got)
	}
	for _, shutdown := range []func() error{shutdownA, shutdownB} {
		if err := shutdown(); err != nil {
			t.Errorf("run returned %v after shutdown, want nil", err)
		}
	}
}

// fetch gets url with client and returns the body of a 200 answer.
func fetch(t *testing.T, client *http.Client, url string) string {
	t.Helper()
	resp, err := client.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: status %d, %v", url, resp.StatusCode, err)
	}
	return string(data)
}

// TestCheckSessions: on Heroku a missing or weak SESSION_SECRET fails the
// check, as it would stop the web process; locally a missing one is a
// warning.
func TestCheckSessions(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		want    string
		wantErr bool
	}{
		{"missing on Heroku", map[string]string{"DYNO": "web.1"}, "error    SESSION_SECRET:", true},
		{"32 spaces", map[string]string{"SESSION_SECRET": strings.Repeat(" ", 32)}, "error    SESSION_SECRET:", true},
		{"missing locally", nil, "warning  SESSION_SECRET: not set", false},
		{"set", map[string]string{"SESSION_SECRET": strings.Repeat("0123456789abcdef", 4)}, "ok       SESSION_SECRET: set, 64 bytes", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := runChecks(t, tt.env, checkSessions)
			if (err != nil) != tt.wantErr || !strings.Contains(out, tt.want) {
				t.Errorf("check: %v (want an error: %t), output lacks %q:\n%s", err, tt.wantErr, tt.want, out)
			}
		})
	}
}
