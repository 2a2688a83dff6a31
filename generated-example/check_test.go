package main

import (
	"context"
	"strings"
	"testing"

	"github.com/echocache/scaffold/generated-example/internal/memcachedtest"
)

// runChecks runs the checks cs as the "check" command does, in env, and
// returns what they printed and whether they failed.
func runChecks(t *testing.T, env map[string]string, cs ...deployCheck) (string, error) {
	t.Helper()
	var out strings.Builder
	err := check(context.Background(), func(k string) string { return env[k] }, &out, cs)
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		if level, _, _ := strings.Cut(line, " "); level != "ok" && level != "warning" && level != "error" {
			t.Errorf("line %q does not start with ok, warning or error", line)
		}
	}
	return out.String(), err
}

func TestCheck(t *testing.T) {
	withAuth := memcachedtest.Start(t, "-Y", memcachedtest.WriteAuthFile(t, "app", "right-password"))
	down := memcachedtest.Start(t)
	down.Stop()
	tests := []struct {
		name    string
		env     map[string]string
		want    []string // lines, or parts of lines, of the output
		wantErr bool
	}{
		{
			name: "nothing set, locally",
			want: []string{"ok       HTTPS: plain http is served", "ok       DASHBOARD_PASSWORD: not set", "ok       memcached: MEMCACHIER_SERVERS is not set"},
		},
		{
			name: "on Heroku without the add-on or a dashboard password",
			env:  map[string]string{"DYNO": "web.1"},
			want: []string{"ok       HTTPS: plain http is redirected", "warning  DASHBOARD_PASSWORD: not set", "warning  memcached: MEMCACHIER_SERVERS is not set"},
		},
		{
			name: "FORCE_HTTPS=0 on Heroku",
			env:  map[string]string{"DYNO": "web.1", "FORCE_HTTPS": "0"},
			want: []string{"warning  HTTPS: FORCE_HTTPS=0 on Heroku"},
		},
		{
			name: "memcached takes the credentials",
			env:  map[string]string{"MEMCACHIER_SERVERS": withAuth.Addr, "MEMCACHIER_USERNAME": "app", "MEMCACHIER_PASSWORD": "right-password", "MEMCACHED_AUTH": "memcached"},
			want: []string{"ok       memcached: 1 server answered and took the credentials (memcached form)"},
		},
		{
			name:    "memcached refuses the credentials",
			env:     map[string]string{"MEMCACHIER_SERVERS": withAuth.Addr, "MEMCACHIER_USERNAME": "app", "MEMCACHIER_PASSWORD": "s3cret-pw", "MEMCACHED_AUTH": "memcached"},
			want:    []string{"error    memcached:", "authentication failed"},
			wantErr: true,
		},
		{
			name: "memcached does not answer",
			env:  map[string]string{"MEMCACHIER_SERVERS": down.Addr},
			want: []string{"warning  memcached: not every server answered"},
		},
		{
			name:    "a bad setting",
			env:     map[string]string{"PORT": "eighty"},
			want:    []string{"error    configuration:", `PORT="eighty"`},
			wantErr: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The app's own checks alone: its features' have tests of
			// their own, and would fail on a dyno without their settings.
			out, err := runChecks(t, tt.env, checkCore)
			if (err != nil) != tt.wantErr {
				t.Errorf("check: %v, want an error: %t", err, tt.wantErr)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			if strings.Contains(out, "s3cret-pw") || strings.Contains(out, "right-password") {
				t.Errorf("the output shows a password:\n%s", out)
			}
		})
	}
}
