package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/echocache/scaffold/generated-example/internal/cache"
	"github.com/echocache/scaffold/generated-example/internal/config"
)

// finding is the outcome of one deploy check.
type finding struct {
	level  level
	what   string // what was checked: a variable, a service
	detail string
}

// level says how a finding bears on a deploy.
type level string

const (
	ok      level = "ok"
	warning level = "warning" // worth a look; never fails a deploy
	failed  level = "error"   // the app would not work as configured
)

// deployCheck checks one part of the app, configured by cfg and getenv,
// as the web process would run it. run.go lists the app's checks.
type deployCheck func(ctx context.Context, cfg config.Config, getenv func(string) string) []finding

// runCheck is the "check" command: a deploy checklist, like Django's
// check --deploy. It reads the configuration the web process reads, tries
// the services it names, and prints one line per check to stdout. It
// fails when any check is an error; warnings never fail it, so the
// Procfile's release line runs it before every deploy goes live.
func runCheck(ctx context.Context, getenv func(string) string, logger *slog.Logger) error {
	return check(ctx, getenv, os.Stdout, checks)
}

// check runs the checks cs and prints their findings to w.
func check(ctx context.Context, getenv func(string) string, w io.Writer, cs []deployCheck) error {
	cfg, err := config.Load(getenv)
	if err != nil {
		fmt.Fprintf(w, "%-8s configuration: %v\n", failed, err)
		return errors.New("check: the configuration is not valid")
	}
	errs := 0
	for _, c := range cs {
		for _, f := range c(ctx, cfg, getenv) {
			fmt.Fprintf(w, "%-8s %s: %s\n", f.level, f.what, f.detail)
			if f.level == failed {
				errs++
			}
		}
	}
	if errs > 0 {
		return fmt.Errorf("check: %d %s failed", errs, plural(errs, "check", "checks"))
	}
	return nil
}

// checkCore checks what every app has: HTTPS, the dashboard's password
// and memcached.
func checkCore(ctx context.Context, cfg config.Config, getenv func(string) string) []finding {
	var out []finding
	switch {
	case cfg.ForceHTTPS:
		out = append(out, finding{ok, "HTTPS", "plain http is redirected to https, responses carry HSTS, cookies are Secure"})
	case cfg.OnHeroku:
		out = append(out, finding{warning, "HTTPS", "FORCE_HTTPS=0 on Heroku: pages are served over plain http, and cookies sent there are not Secure"})
	default:
		out = append(out, finding{ok, "HTTPS", "plain http is served (not on Heroku; set FORCE_HTTPS=1 behind a proxy that terminates TLS)"})
	}
	switch {
	case cfg.DashboardPassword != "":
		out = append(out, finding{ok, "DASHBOARD_PASSWORD", "set: /cache/ and /cache/stats ask for it"})
	case cfg.OnHeroku:
		out = append(out, finding{warning, "DASHBOARD_PASSWORD", "not set: /cache/ and /cache/stats are not served (heroku config:set DASHBOARD_PASSWORD=$(openssl rand -hex 16))"})
	default:
		out = append(out, finding{ok, "DASHBOARD_PASSWORD", "not set: /cache/ is open (not on Heroku)"})
	}
	return append(out, checkMemcached(cfg))
}

// checkMemcached connects to every memcached server once, authenticating
// as configured. A server that does not answer is a warning, since the app
// serves without it, every request a cache miss; credentials that a server
// refuses are an error, since they will not work later either.
func checkMemcached(cfg config.Config) finding {
	if len(cfg.MemcachedServers) == 0 {
		if cfg.OnHeroku {
			return finding{warning, "memcached", "MEMCACHIER_SERVERS is not set: each dyno caches in its own memory (heroku addons:create memcachier:dev)"}
		}
		return finding{ok, "memcached", "MEMCACHIER_SERVERS is not set: the cache is in memory"}
	}
	// The ring logs each server it finds down; here the finding says it.
	c, err := newCache(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		return finding{failed, "memcached", err.Error()}
	}
	defer c.Close()
	n := len(cfg.MemcachedServers)
	switch err := c.Ping(); {
	case errors.Is(err, cache.ErrAuth):
		return finding{failed, "memcached", oneLine(err)}
	case err != nil:
		return finding{warning, "memcached", fmt.Sprintf("not every server answered, so some requests will be cache misses: %s", oneLine(err))}
	case cfg.MemcachedUsername == "":
		return finding{ok, "memcached", fmt.Sprintf("%d %s answered, without credentials", n, plural(n, "server", "servers"))}
	case !c.Authenticated():
		return finding{warning, "memcached", fmt.Sprintf("%d %s answered without asking for the credentials, which were therefore not sent", n, plural(n, "server", "servers"))}
	default:
		return finding{ok, "memcached", fmt.Sprintf("%d %s answered and took the credentials (%s form)", n, plural(n, "server", "servers"), cmp.Or(cfg.MemcachedAuth, "memcachier"))}
	}
}

// oneLine joins the lines of a joined error.
func oneLine(err error) string {
	return strings.ReplaceAll(err.Error(), "\n", "; ")
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
