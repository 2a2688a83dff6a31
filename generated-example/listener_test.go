package main

import (
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/echocache/scaffold/generated-example/internal/testlog"
)

// countingListener counts the connections its listener has accepted.
type countingListener struct {
	net.Listener
	accepted atomic.Int64
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.accepted.Add(1)
	}
	return c, err
}

// waitForLog polls logs until they contain want.
func waitForLog(t *testing.T, logs *testlog.Buffer, want string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(logs.String(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("the log does not say %q within 10s:\n%s", want, logs)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestLimitConns: with a limit of 2 and three clients connected, two
// connections are accepted and the third waits, unaccepted, until one of
// the two closes; closing the listener ends a wait for a slot.
func TestLimitConns(t *testing.T) {
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	counted := &countingListener{Listener: inner}
	var logs testlog.Buffer
	ln := limitConns(counted, 2, logs.Logger())
	accepted := make(chan net.Conn)
	go func() {
		defer close(accepted)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted <- c
		}
	}()
	for i := 0; i < 3; i++ {
		c, err := net.Dial("tcp", inner.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
	}
	first, second := <-accepted, <-accepted

	// The accept loop now waits for a slot, and says so before it does.
	waitForLog(t, &logs, "connections: at the limit")
	if n := counted.accepted.Load(); n != 2 {
		t.Fatalf("with 2 connections open and a limit of 2, %d were accepted, want 2", n)
	}
	first.Close()
	first.Close() // a second Close must not give back a second slot
	third := <-accepted
	if n := counted.accepted.Load(); n != 3 {
		t.Errorf("after one closed, %d connections were accepted, want 3", n)
	}
	second.Close()
	third.Close()

	// Both slots are free again: one more client is accepted, and a wait
	// for a third slot ends when the listener closes.
	for i := 0; i < 2; i++ {
		c, err := net.Dial("tcp", inner.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		if got := <-accepted; got == nil {
			t.Fatal("the listener stopped accepting")
		} else {
			t.Cleanup(func() { got.Close() })
		}
	}
	ln.Close()
	if _, ok := <-accepted; ok {
		t.Error("Accept returned a connection after Close")
	}
}

// TestServeLimitsConnections: with MAX_CONNS=1 the app stops accepting
// while it holds one connection, says so once, and serves the next client
// when that connection closes.
func TestServeLimitsConnections(t *testing.T) {
	var logs testlog.Buffer
	base, shutdown := startAppLogging(t, map[string]string{"MAX_CONNS": "1"}, &logs)
	// startApp's request left its connection open for reuse: the app
	// holds its one connection.
	waitForLog(t, &logs, "connections: at the limit")
	http.DefaultClient.CloseIdleConnections()
	if body, _ := get(t, base+"/healthz"); body != "ok" {
		t.Errorf("after the connection closed: got %q, want ok", body)
	}
	http.DefaultClient.CloseIdleConnections()
	if err := shutdown(); err != nil {
		t.Errorf("run returned %v after shutdown, want nil", err)
	}
	if n := strings.Count(logs.String(), "connections: at the limit"); n != 1 {
		t.Errorf("the limit was logged %d times, want once a minute:\n%s", n, logs.String())
	}
}
