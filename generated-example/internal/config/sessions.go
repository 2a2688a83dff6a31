package config

import (
	"fmt"
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

// MinSecretChars is the fewest different characters a SESSION_SECRET may
// have. Length alone lets through 32 spaces or a word typed over and over,
// which anyone can guess; a random secret of 32 hex digits has fewer than
// 8 different ones about once in 30 million.
const MinSecretChars = 8

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
	case n > 0 && distinct(cfg.Secret) < MinSecretChars:
		p.add("SESSION_SECRET has %s, want at least %d: use a random one (openssl rand -hex 32)", characters(cfg.Secret), MinSecretChars)
	}
	if v := getenv("SESSION_PREVIOUS_SECRETS"); v != "" {
		for i, secret := range strings.Split(v, ",") {
			secret = strings.TrimSpace(secret)
			switch n := len(secret); {
			case n < MinSecretLength:
				p.add("SESSION_PREVIOUS_SECRETS entry %d is %d bytes, want at least %d", i+1, n, MinSecretLength)
			case distinct(secret) < MinSecretChars:
				// Cookies signed with a guessable secret may be forged.
				p.add("SESSION_PREVIOUS_SECRETS entry %d has %s, want at least %d: drop it", i+1, characters(secret), MinSecretChars)
			}
			cfg.PreviousSecrets = append(cfg.PreviousSecrets, secret)
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

// distinct is the number of different bytes in s.
func distinct(s string) int {
	var seen [256]bool
	n := 0
	for i := 0; i < len(s); i++ {
		if !seen[s[i]] {
			seen[s[i]] = true
			n++
		}
	}
	return n
}

// characters says how many different characters s has, in words, for an
// error message that must not show s itself.
func characters(s string) string {
	if n := distinct(s); n != 1 {
		return fmt.Sprintf("%d different characters", n)
	}
	return "1 different character"
}
