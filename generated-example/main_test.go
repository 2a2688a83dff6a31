package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/echocache/scaffold/generated-example/internal/memcachedtest"
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

// TestRunWithMemcached runs the app on a real memcached: the home page is
// a cached view there. Then memcached dies, and pages are still served,
// with changes showing at once.
func TestRunWithMemcached(t *testing.T) {
	srv := memcachedtest.Start(t)
	base, shutdown := startApp(t, map[string]string{"MEMCACHIER_SERVERS": srv.Addr})
	if body, xcache := get(t, base+"/"); xcache != "MISS" || !strings.Contains(body, "Cache: memcached") {
		t.Errorf("first view: X-Cache %q, body:\n%s", xcache, body)
	}
	if _, xcache := get(t, base+"/"); xcache != "HIT" {
		t.Errorf("second view: X-Cache %q, want HIT", xcache)
	}
	addTask(t, base, "written while memcached is up")

	srv.Stop()
	addTask(t, base, "written while memcached is down")
	for i := 0; i < 10; i++ {
		body, _ := get(t, base+"/")
		for _, want := range []string{"written while memcached is up", "written while memcached is down"} {
			if !strings.Contains(body, want) {
				t.Fatalf("with memcached down, the page lacks %q:\n%s", want, body)
			}
		}
	}
	if err := shutdown(); err != nil {
		t.Errorf("run returned %v after shutdown, want nil", err)
	}
}

// TestRunWithMemcachedDownAtStartup: a server that is down when the app
// starts is logged, not fatal.
func TestRunWithMemcachedDownAtStartup(t *testing.T) {
	srv := memcachedtest.Start(t)
	srv.Stop()
	base, shutdown := startApp(t, map[string]string{"MEMCACHIER_SERVERS": srv.Addr})
	addTask(t, base, "no cache")
	if body, _ := get(t, base+"/"); !strings.Contains(body, "no cache") {
		t.Errorf("home page:\n%s", body)
	}
	if err := shutdown(); err != nil {
		t.Errorf("run returned %v after shutdown, want nil", err)
	}
}

// TestRunWithWrongPassword: bad credentials are one clear start-up log
// line, without the password, and the app serves pages as cache misses.
func TestRunWithWrongPassword(t *testing.T) {
	srv := memcachedtest.Start(t, "-Y", memcachedtest.WriteAuthFile(t, "app", "right-password"))
	var logs syncBuffer
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

// addTask posts the add form and follows the redirect.
func addTask(t *testing.T, base, title string) {
	t.Helper()
	resp, err := http.PostForm(base+"/tasks", url.Values{"title": {title}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Request.URL.Path != "/" {
		t.Fatalf("add %q: ended at %s with status %d", title, resp.Request.URL, resp.StatusCode)
	}
}

// syncBuffer is a bytes.Buffer safe for the app's concurrent logging.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestRunRejectsBadConfig(t *testing.T) {
	for _, env := range []map[string]string{
		{"PORT": "not-a-port"},
		{"MEMCACHIER_SERVERS": "host-without-port"},
	} {
		err := run(context.Background(), func(k string) string { return env[k] }, slog.New(slog.NewTextHandler(io.Discard, nil)))
		if err == nil {
			t.Errorf("%v: run succeeded, want a configuration error", env)
		}
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
	port := freePort(t)
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
		if resp, err := http.Get(base + "/healthz"); err == nil {
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

// freePort returns a TCP port that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
