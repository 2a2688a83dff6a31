package main

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

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

// TestRun starts the whole app with no services configured, as "go run ."
// does, requests pages, and checks that it shuts down cleanly.
func TestRun(t *testing.T) {
	port := freePort(t)
	env := map[string]string{"PORT": strconv.Itoa(port)}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, func(k string) string { return env[k] }, slog.New(slog.NewTextHandler(io.Discard, nil)))
	}()

	base := "http://127.0.0.1:" + strconv.Itoa(port)
	waitFor(t, base+"/healthz", done)

	for _, tt := range []struct {
		path, want string
	}{
		{"/", "<h1>"},
		{"/healthz", "ok"},
		{"/static/style.css", "font-family"},
	} {
		resp, err := http.Get(base + tt.path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s: got status %d, want 200", tt.path, resp.StatusCode)
		}
		if !strings.Contains(string(body), tt.want) {
			t.Errorf("GET %s: body does not contain %q", tt.path, tt.want)
		}
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("run returned %v after shutdown, want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("run did not return within 10s of shutdown")
	}
}

func TestRunRejectsBadConfig(t *testing.T) {
	env := map[string]string{"PORT": "not-a-port"}
	err := run(context.Background(), func(k string) string { return env[k] }, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err == nil || !strings.Contains(err.Error(), "PORT") {
		t.Errorf("got %v, want an error naming PORT", err)
	}
}

// waitFor polls url until it answers, failing early if the app exits.
func waitFor(t *testing.T, url string, done <-chan error) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-done:
			t.Fatalf("app exited before serving: %v", err)
		default:
		}
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s did not answer within 10s", url)
}
