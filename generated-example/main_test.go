package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/echocache/scaffold/generated-example/internal/memcachedtest"
	"github.com/echocache/scaffold/generated-example/internal/testlog"
)

// TestRun starts the whole app with no services configured, as "go run ."
// does, requests pages, and checks that it shuts down cleanly.
func TestRun(t *testing.T) {
	base, shutdown := startApp(t, nil)
	for _, tt := range []struct {
		path, want string
	}{
		{"/", "Cache: memory"},
		{"/healthz", "ok"},
		{"/static/style.css", "font-family"},
	} {
		if body, _ := get(t, base+tt.path); !strings.Contains(body, tt.want) {
			t.Errorf("GET %s: body does not contain %q", tt.path, tt.want)
		}
	}
	if err := shutdown(); err != nil {
		t.Errorf("run returned %v after shutdown, want nil", err)
	}
}

// TestRunWithWrongPassword: bad credentials are one clear start-up log
// line, without the password, and the app serves pages as cache misses.
func TestRunWithWrongPassword(t *testing.T) {
	srv := memcachedtest.Start(t, "-Y", memcachedtest.WriteAuthFile(t, "app", "right-password"))
	var logs testlog.Buffer
	base, shutdown := startAppLogging(t, map[string]string{
		"MEMCACHIER_SERVERS":  srv.Addr,
		"MEMCACHIER_USERNAME": "app",
		"MEMCACHIER_PASSWORD": "wrong-password",
		"MEMCACHED_AUTH":      "memcached",
	}, &logs)
	for i := 0; i < 10; i++ {
		if _, xcache := get(t, base+"/"); xcache != "MISS" {
			t.Fatalf("view %d without a usable cache: X-Cache %q, want MISS", i, xcache)
		}
	}
	if err := shutdown(); err != nil {
		t.Errorf("run returned %v after shutdown, want nil", err)
	}
	out := logs.String()
	if n := strings.Count(out, "authentication failed"); n != 1 {
		t.Errorf("%d log lines mention the failed authentication, want 1:\n%s", n, out)
	}
	if strings.Contains(out, "wrong-password") {
		t.Errorf("the password is in the logs:\n%s", out)
	}
}

// TestRunWithMemcached runs the app on a real memcached, without the near
// cache: the home page is a cached view there. Then memcached dies, and
// the home page is still served, rendered for each request.
func TestRunWithMemcached(t *testing.T) {
	srv := memcachedtest.Start(t)
	base, shutdown := startApp(t, map[string]string{"MEMCACHIER_SERVERS": srv.Addr, "NEAR_CACHE_TTL": "0"})
	if body, xcache := get(t, base+"/"); xcache != "MISS" || !strings.Contains(body, "Cache: memcached") {
		t.Errorf("first view: X-Cache %q, body:\n%s", xcache, body)
	}
	if _, xcache := get(t, base+"/"); xcache != "HIT" {
		t.Errorf("second view: X-Cache %q, want HIT", xcache)
	}
	srv.Stop()
	for i := 0; i < 10; i++ {
		if body, xcache := get(t, base+"/"); xcache != "MISS" || !strings.Contains(body, "Cache: memcached") {
			t.Fatalf("view %d with memcached down: X-Cache %q, body:\n%s", i, xcache, body)
		}
	}
	if err := shutdown(); err != nil {
		t.Errorf("run returned %v after shutdown, want nil", err)
	}
}

// TestRunConfiguresTheServer: the web settings in the environment reach
// the server that run builds. FORCE_HTTPS redirects plain http,
// DASHBOARD_PASSWORD guards the dashboard, and MAX_BODY_BYTES bounds
// request bodies.
func TestRunConfiguresTheServer(t *testing.T) {
	const password = "0f9e8d7c6b5a49382716f5e4d3c2b1a0"
	for _, tt := range []struct {
		name         string
		env          map[string]string
		method, path string
		bodyBytes    int
		want         int
	}{
		{"FORCE_HTTPS=1", map[string]string{"FORCE_HTTPS": "1"}, http.MethodGet, "/healthz", 0, http.StatusPermanentRedirect},
		{"DASHBOARD_PASSWORD", map[string]string{"DASHBOARD_PASSWORD": password}, http.MethodGet, "/cache/", 0, http.StatusUnauthorized},
		{"MAX_BODY_BYTES", map[string]string{"MAX_BODY_BYTES": "1024"}, http.MethodPost, "/healthz", 1025, http.StatusRequestEntityTooLarge},
	} {
		t.Run(tt.name, func(t *testing.T) {
			base, shutdown := startApp(t, tt.env)
			defer shutdown()
			req, err := http.NewRequest(tt.method, base+tt.path, strings.NewReader(strings.Repeat("x", tt.bodyBytes)))
			if err != nil {
				t.Fatal(err)
			}
			resp, err := noRedirects.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.want {
				t.Errorf("%s %s: got status %d, want %d", tt.method, tt.path, resp.StatusCode, tt.want)
			}
		})
	}
}

func TestRunRejectsBadConfig(t *testing.T) {
	rejectsConfig(t,
		map[string]string{"PORT": "not-a-port"},
		map[string]string{"MEMCACHIER_SERVERS": "host-without-port"},
		map[string]string{"MEMCACHIER_USERNAME": "app", "MEMCACHIER_PASSWORD": ""},
	)
}

// rejectsConfig checks that run refuses to start in each environment,
// with one line that does not show the password s3cret-pw.
func rejectsConfig(t *testing.T, envs ...map[string]string) {
	t.Helper()
	for _, env := range envs {
		err := run(context.Background(), func(k string) string { return env[k] }, slog.New(slog.NewTextHandler(io.Discard, nil)))
		if err == nil {
			t.Errorf("%v: run succeeded, want a configuration error", env)
		} else if strings.Contains(err.Error(), "s3cret-pw") || strings.Contains(err.Error(), "\n") {
			t.Errorf("%v: the error is not one line without the password: %v", env, err)
		}
	}
}

func TestUnknownCommand(t *testing.T) {
	err := dispatch(context.Background(), []string{"serve"}, func(string) string { return "" }, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err == nil || !strings.Contains(err.Error(), `unknown`) || !strings.Contains(err.Error(), `"serve"`) {
		t.Errorf("dispatch(serve): got %v, want an error naming the argument", err)
	}
}

// startApp runs the app on a free port with env and waits until it
// answers. shutdown cancels it and returns what run returned.
func startApp(t *testing.T, env map[string]string) (base string, shutdown func() error) {
	t.Helper()
	return startAppLogging(t, env, io.Discard)
}

// startAppLogging is startApp with the app's logs written to logs.
func startAppLogging(t *testing.T, env map[string]string, logs io.Writer) (base string, shutdown func() error) {
	t.Helper()
	port := memcachedtest.FreePort(t)
	full := map[string]string{"PORT": strconv.Itoa(port)}
	for k, v := range env {
		full[k] = v
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, func(k string) string { return full[k] }, slog.New(slog.NewTextHandler(logs, nil)))
	}()

	base = "http://127.0.0.1:" + strconv.Itoa(port)
	deadline := time.Now().Add(10 * time.Second)
	for {
		select {
		case err := <-done:
			t.Fatalf("app exited before serving: %v", err)
		default:
		}
		// Any answer will do, a redirect to https included.
		if resp, err := noRedirects.Get(base + "/healthz"); err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("app did not answer within 10s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	return base, func() error {
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(10 * time.Second):
			t.Fatal("run did not return within 10s of shutdown")
			return nil
		}
	}
}

// noRedirects is an HTTP client that returns redirects instead of
// following them.
var noRedirects = &http.Client{
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

// get fetches url, fails the test unless the answer is 200, and returns
// the body and the X-Cache header.
func get(t *testing.T, url string) (body, xcache string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: status %d, want 200", url, resp.StatusCode)
	}
	return string(data), resp.Header.Get("X-Cache")
}
