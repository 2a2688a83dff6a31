package config

import (
	"strings"
	"time"
)

// Sessions holds the settings of server-side sessions.
type Sessions struct {
	// Secret signs session cookies (SESSION_SECRET). Empty means the
	// caller makes up a random one, which logs everyone out on restart.
	Secret string
	// PreviousSecrets are older secrets whose cookies are still accepted
	// (SESSION_PREVIOUS_SECRETS, comma-separated), for rotation.
	PreviousSecrets []string
	// Session lifetime and optional timeouts (SESSION_MAX_AGE,
	// SESSION_IDLE_TIMEOUT, SESSION_ABSOLUTE_TIMEOUT). Zero means the
	// session package's default: 31 days, and no idle or absolute timeout.
	MaxAge          time.Duration
	IdleTimeout     time.Duration
	AbsoluteTimeout time.Duration
}

// MinSecretLength is the shortest SESSION_SECRET accepted: 32 bytes, the
// size of an HMAC-SHA256 key. Heroku's app.json generator makes 64.
const MinSecretLength = 32

// LoadSessions reads the SESSION_ settings through getenv. It reports
// every problem it finds in one line.
func LoadSessions(getenv func(string) string) (Sessions, error) {
	var cfg Sessions
	var p problems
	cfg.Secret = getenv("SESSION_SECRET")
	switch n := len(cfg.Secret); {
	case n == 0 && getenv("DYNO") != "":
		// Every dyno must sign cookies with the same secret, or a session
		// made on one is rejected by the next; a made-up secret cannot be.
		p.add("SESSION_SECRET is not set, and every dyno needs the same one: heroku config:set SESSION_SECRET=$(openssl rand -hex 32)")
	case n > 0 && n < MinSecretLength:
		p.add("SESSION_SECRET is %d bytes, want at least %d (for example: openssl rand -hex 32)", n, MinSecretLength)
	}
	if v := getenv("SESSION_PREVIOUS_SECRETS"); v != "" {
		for i, secret := range strings.Split(v, ",") {
			if n := len(strings.TrimSpace(secret)); n < MinSecretLength {
				p.add("SESSION_PREVIOUS_SECRETS entry %d is %d bytes, want at least %d", i+1, n, MinSecretLength)
			}
			cfg.PreviousSecrets = append(cfg.PreviousSecrets, strings.TrimSpace(secret))
		}
	}
	p.duration(getenv, "SESSION_MAX_AGE", &cfg.MaxAge)
	p.duration(getenv, "SESSION_IDLE_TIMEOUT", &cfg.IdleTimeout)
	p.duration(getenv, "SESSION_ABSOLUTE_TIMEOUT", &cfg.AbsoluteTimeout)
	if err := p.err(); err != nil {
		return Sessions{}, err
	}
	return cfg, nil
}
