package memcachedtest

import (
	"bufio"
	"net"
	"slices"
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

func TestStats(t *testing.T) {
	s := Start(t)
	before, err := s.Stats()
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.DialTimeout("tcp", s.Addr, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(time.Second))
	conn.Write([]byte("get a\r\n"))
	bufio.NewReader(conn).ReadString('\n')
	after, err := s.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if before["cmd_get"] == after["cmd_get"] {
		t.Errorf("cmd_get stayed at %s after a get", after["cmd_get"])
	}
}

func TestKeys(t *testing.T) {
	s := Start(t)
	if keys, err := s.Keys(); err != nil || len(keys) != 0 {
		t.Fatalf("an empty server: got %q, %v; want no keys", keys, err)
	}
	conn, err := net.DialTimeout("tcp", s.Addr, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(time.Second))
	r := bufio.NewReader(conn)
	want := []string{"app:caf\xc3\xa9%2F+x", "app:view//"} // sorted
	for _, k := range want {
		conn.Write([]byte("set " + k + " 0 0 1\r\nv\r\n"))
		if line, _ := r.ReadString('\n'); line != "STORED\r\n" {
			t.Fatalf("set %q: %q", k, line)
		}
	}
	// The crawler may miss an item memcached is moving: ask until both
	// are there, for a while.
	var keys []string
	for deadline := time.Now().Add(5 * time.Second); ; {
		if keys, err = s.Keys(); err != nil {
			t.Fatal(err)
		}
		if slices.Equal(keys, want) || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if !slices.Equal(keys, want) {
		t.Errorf("got keys %q, want %q", keys, want)
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

func TestAuthProxy(t *testing.T) {
	s := Start(t)
	p := StartAuthProxy(t, s.Addr, "user", "secret")
	tests := []struct {
		name, first, want string
	}{
		{"no handshake", "get k\r\n", "CLIENT_ERROR unauthenticated"},
		{"wrong password", "set user 0 0 5\r\nwrong\r\n", "CLIENT_ERROR authentication failure"},
		{"wrong user", "set other 0 0 6\r\nsecret\r\n", "CLIENT_ERROR authentication failure"},
		{"right credentials", "set user 0 0 6\r\nsecret\r\n", "STORED"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conn, err := net.DialTimeout("tcp", p.Addr, time.Second)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			conn.SetDeadline(time.Now().Add(time.Second))
			conn.Write([]byte(tt.first))
			r := bufio.NewReader(conn)
			line, err := r.ReadString('\n')
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.TrimRight(line, "\r\n"); got != tt.want {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
			if tt.want != "STORED" {
				return
			}
			conn.Write([]byte("version\r\n")) // relayed to memcached
			if line, err := r.ReadString('\n'); err != nil || !strings.HasPrefix(line, "VERSION ") {
				t.Errorf("after the handshake: got %q, %v, want VERSION", line, err)
			}
		})
	}
	if n := p.Auths(); n != 1 {
		t.Errorf("Auths() = %d, want 1", n)
	}
}

func TestRelay(t *testing.T) {
	s := Start(t)
	r := StartRelay(t, s.Addr)
	conn, err := net.DialTimeout("tcp", r.Addr, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	rd := bufio.NewReader(conn)
	conn.Write([]byte("version\r\n"))
	if line, err := rd.ReadString('\n'); err != nil || !strings.HasPrefix(line, "VERSION ") {
		t.Fatalf("version through the relay: got %q, %v", line, err)
	}
	if got, want := r.Sent(), int64(len("version\r\n")); r.Conns() != 1 || got != want {
		t.Errorf("got %d connections and %d bytes, want 1 and %d", r.Conns(), got, want)
	}

	r.Hang()
	conn.Write([]byte("version\r\n"))
	conn.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	if line, err := rd.ReadString('\n'); err == nil {
		t.Errorf("a hung relay answered %q", line)
	}
	second, err := net.DialTimeout("tcp", r.Addr, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close()
	second.Write([]byte("get k\r\n"))
	want := int64(2*len("version\r\n") + len("get k\r\n"))
	deadline := time.Now().Add(5 * time.Second)
	for r.Sent() != want || r.Conns() != 2 {
		if time.Now().After(deadline) {
			t.Fatalf("hung relay counted %d connections and %d bytes, want 2 and %d", r.Conns(), r.Sent(), want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
