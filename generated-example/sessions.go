package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"

	"github.com/echocache/scaffold/generated-example/internal/cache"
	"github.com/echocache/scaffold/generated-example/internal/config"
	"github.com/echocache/scaffold/generated-example/internal/session"
)

// newSessionStore returns the session store kept in c. Without
// SESSION_SECRET it signs cookies with a random secret, and says what
// that costs.
func newSessionStore(cfg config.Sessions, c *cache.Cache, logger *slog.Logger) *session.Store {
	if cfg.Secret == "" {
		cfg.Secret = randomSecret()
		logger.Warn("SESSION_SECRET is not set: using a random secret known to this process only, so sessions end when it restarts and are rejected by any other instance; set SESSION_SECRET (openssl rand -hex 32) before running more than one")
	}
	var previous [][]byte
	for _, secret := range cfg.PreviousSecrets {
		previous = append(previous, []byte(secret))
	}
	return session.NewStore(c, session.Options{
		MaxAge:          cfg.MaxAge,
		IdleTimeout:     cfg.IdleTimeout,
		AbsoluteTimeout: cfg.AbsoluteTimeout,
	}, []byte(cfg.Secret), previous...)
}

// randomSecret returns 32 random bytes, hex-encoded. crypto/rand.Read
// never fails: it crashes the program rather than return weak bytes.
func randomSecret() string {
	b := make([]byte, 32)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// checkSessions checks the session settings for the "check" command.
func checkSessions(ctx context.Context, cfg config.Config, getenv func(string) string) []finding {
	sessions, err := config.LoadSessions(getenv)
	switch {
	case err != nil:
		return []finding{{failed, "SESSION_SECRET", err.Error()}}
	case sessions.Secret == "":
		return []finding{{warning, "SESSION_SECRET", "not set: a random secret per process, so sessions end when it restarts and are rejected by any other instance (openssl rand -hex 32)"}}
	}
	secure := "on https"
	if cfg.ForceHTTPS {
		secure = "always"
	}
	return []finding{
		{ok, "SESSION_SECRET", fmt.Sprintf("set, %d bytes", len(sessions.Secret))},
		{ok, "session cookies", "HttpOnly, SameSite=Lax, Path=/, Secure " + secure},
	}
}
