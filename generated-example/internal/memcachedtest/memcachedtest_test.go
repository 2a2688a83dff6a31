package memcachedtest

import (
	"bufio"
	"net"
	"strings"
	"testing"
	"time"
)

func TestStartAnswersProtocol(t *testing.T) {
	s := Start(t)
	v, err := s.Version()
	if err != nil {
		t.Fatalf("version: %v", err)
	}
	if v == "" {
		t.Error("got an empty version")
	}
}

func TestStopAndRestart(t *testing.T) {
	s := Start(t)
	s.Stop()
	if _, err := s.Version(); err == nil {
		t.Fatal("a stopped server still answers")
	}
	s.Restart()
	if _, err := s.Version(); err != nil {
		t.Fatalf("restarted server does not answer: %v", err)
	}
}

func TestPauseResume(t *testing.T) {
	s := Start(t)
	s.Pause()
	conn, err := net.DialTimeout("tcp", s.Addr, time.Second)
	if err != nil {
		t.Fatalf("dial paused server: %v", err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(200 * time.Millisecond))
	conn.Write([]byte("version\r\n"))
	if _, err := bufio.NewReader(conn).ReadString('\n'); err == nil {
		t.Fatal("a paused server answered")
	}
	s.Resume()
	if _, err := s.Version(); err != nil {
		t.Fatalf("resumed server does not answer: %v", err)
	}
}

func TestAuthFile(t *testing.T) {
	s := Start(t, "-Y", WriteAuthFile(t, "user", "secret"))
	conn, err := net.DialTimeout("tcp", s.Addr, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(time.Second))
	r := bufio.NewReader(conn)
	exchange := func(cmd string) string {
		t.Helper()
		if _, err := conn.Write([]byte(cmd)); err != nil {
			t.Fatal(err)
		}
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimRight(line, "\r\n")
	}
	if got := exchange("get k\r\n"); !strings.HasPrefix(got, "CLIENT_ERROR") {
		t.Errorf("unauthenticated get: got %q, want CLIENT_ERROR", got)
	}
	if got := exchange("set auth 0 0 11\r\nuser secret\r\n"); got != "STORED" {
		t.Errorf("authenticate: got %q, want STORED", got)
	}
	if got := exchange("get k\r\n"); got != "END" {
		t.Errorf("authenticated get: got %q, want END", got)
	}
}
