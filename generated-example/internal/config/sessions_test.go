package config

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

// secret is a SESSION_SECRET as openssl rand -hex 16 makes them.
const secret = "5f1c0e6a8b2d4f7093a1c4e6b8d0f2a4"

func TestLoadSessions(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want Sessions
	}{
		{name: "nothing set", env: nil, want: Sessions{}},
		{
			name: "everything set",
			env: map[string]string{
				"SESSION_SECRET":           secret,
				"SESSION_PREVIOUS_SECRETS": secret + "-old1, " + secret + "-old2",
				"SESSION_MAX_AGE":          "720h",
				"SESSION_IDLE_TIMEOUT":     "2h",
				"SESSION_ABSOLUTE_TIMEOUT": "24h",
				"DYNO":                     "web.1",
			},
			want: Sessions{
				Secret:          secret,
				PreviousSecrets: []string{secret + "-old1", secret + "-old2"},
				MaxAge:          720 * time.Hour,
				IdleTimeout:     2 * time.Hour,
				AbsoluteTimeout: 24 * time.Hour,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := LoadSessions(env(tt.env))
			if err != nil {
				t.Fatalf("LoadSessions: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestLoadSessionsErrors(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want string // a substring of the error
	}{
		{"short secret", map[string]string{"SESSION_SECRET": "dev"}, "SESSION_SECRET is 3 bytes"},
		{"short previous secret", map[string]string{"SESSION_PREVIOUS_SECRETS": "short"}, "SESSION_PREVIOUS_SECRETS entry 1"},
		{"bad session age", map[string]string{"SESSION_MAX_AGE": "31d"}, `SESSION_MAX_AGE="31d"`},
		{"negative idle timeout", map[string]string{"SESSION_IDLE_TIMEOUT": "-1h"}, `SESSION_IDLE_TIMEOUT="-1h"`},
		{"no secret on Heroku", map[string]string{"DYNO": "web.1"}, "heroku config:set SESSION_SECRET="},
		{"32 spaces", map[string]string{"SESSION_SECRET": strings.Repeat(" ", 32)}, "SESSION_SECRET has 1 different character, want at least 8"},
		{"one letter", map[string]string{"SESSION_SECRET": strings.Repeat("s", 64)}, "SESSION_SECRET has 1 different character"},
		{"a word repeated", map[string]string{"SESSION_SECRET": strings.Repeat("changeme", 4)}, "SESSION_SECRET has 7 different characters"},
		{"weak previous secret", map[string]string{"SESSION_SECRET": secret, "SESSION_PREVIOUS_SECRETS": secret + "," + strings.Repeat("x", 32)}, "SESSION_PREVIOUS_SECRETS entry 2 has 1 different character"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadSessions(env(tt.env))
			if err == nil {
				t.Fatalf("LoadSessions succeeded, want an error containing %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got error %q, want it to contain %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error %q spans several lines, want one", err)
			}
		})
	}
}

func TestLoadSessionsReportsEveryProblem(t *testing.T) {
	_, err := LoadSessions(env(map[string]string{"SESSION_SECRET": "short", "SESSION_MAX_AGE": "x"}))
	if err == nil {
		t.Fatal("LoadSessions succeeded, want an error")
	}
	for _, want := range []string{"SESSION_SECRET", "SESSION_MAX_AGE"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %s", err, want)
		}
	}
}
