// Package memcachedtest runs real memcached servers for tests.
//
// Tests talk to a real memcached process, never to a mock, so that what
// they check is what production does. Start needs the memcached binary
// (Debian and Ubuntu: apt-get install memcached; macOS: brew install
// memcached). Without it the test is skipped, unless the CI environment
// variable is set, in which case it fails: CI must not pass by skipping.
package memcachedtest

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// startTimeout bounds how long a server may take to accept connections.
const startTimeout = 10 * time.Second

// Server is a memcached process listening on a loopback TCP port.
type Server struct {
	// Addr is the server's host:port.
	Addr string

	tb   testing.TB
	bin  string
	args []string

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{} // closed when cmd has exited
}

// Start runs memcached on a free loopback port and stops it when the test
// ends. extraArgs are passed to memcached as they are, for example
// "-Y", authFile to require authentication.
func Start(tb testing.TB, extraArgs ...string) *Server {
	tb.Helper()
	bin := binary(tb)
	var lastErr error
	// Another process can take the free port between our check and
	// memcached's bind, so try a few ports.
	for attempt := 0; attempt < 5; attempt++ {
		s := &Server{Addr: "127.0.0.1:" + strconv.Itoa(FreePort(tb)), tb: tb, bin: bin, args: extraArgs}
		if lastErr = s.start(); lastErr == nil {
			tb.Cleanup(s.Stop)
			return s
		}
	}
	tb.Fatalf("memcachedtest: %v", lastErr)
	return nil
}

// binary finds memcached or skips (fails on CI) the test.
func binary(tb testing.TB) string {
	tb.Helper()
	bin, err := exec.LookPath("memcached")
	if err == nil {
		return bin
	}
	const msg = "memcached is not installed (apt-get install memcached): "
	if os.Getenv("CI") != "" {
		tb.Fatal(msg + "CI is set, so this is a failure")
	}
	tb.Skip(msg + "skipping")
	return ""
}

func (s *Server) start() error {
	host, port, _ := net.SplitHostPort(s.Addr)
	args := []string{"-l", host, "-p", port, "-U", "0", "-m", "64", "-c", "1024"}
	if os.Geteuid() == 0 {
		// memcached refuses to run as root without naming a user.
		args = append(args, "-u", "root")
	}
	cmd := exec.Command(s.bin, append(args, s.args...)...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start memcached: %w", err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()

	deadline := time.Now().Add(startTimeout)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return fmt.Errorf("memcached on %s exited: %s", s.Addr, strings.TrimSpace(stderr.String()))
		default:
		}
		if conn, err := net.DialTimeout("tcp", s.Addr, 100*time.Millisecond); err == nil {
			conn.Close()
			s.mu.Lock()
			s.cmd, s.exited = cmd, exited
			s.mu.Unlock()
			return nil
		}
		time.Sleep(10 * time.Millisecond)
	}
	cmd.Process.Kill()
	return fmt.Errorf("memcached on %s did not accept connections within %v", s.Addr, startTimeout)
}

// Stop kills the server. It is safe to call more than once.
func (s *Server) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return
	}
	s.cmd.Process.Kill() // SIGKILL ends a paused process too
	<-s.exited           // the port is free once the process is gone
	s.cmd = nil
}

// Restart starts a stopped server again on the same address, empty.
func (s *Server) Restart() {
	s.tb.Helper()
	s.Stop()
	var err error
	for i := 0; i < 50; i++ {
		if err = s.start(); err == nil {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.tb.Fatalf("memcachedtest: restart: %v", err)
}

// Pause stops the process with SIGSTOP: it keeps its connections and
// accepts new ones, but answers nothing, like a hung server. It returns
// once the process has stopped.
func (s *Server) Pause() {
	s.tb.Helper()
	pid := s.signal(syscall.SIGSTOP)
	// Signals are delivered asynchronously; on Linux, wait for the "T"
	// (stopped) state so the next request surely meets a hung server.
	stat := fmt.Sprintf("/proc/%d/stat", pid)
	for i := 0; i < 100; i++ {
		data, err := os.ReadFile(stat)
		if err != nil {
			time.Sleep(50 * time.Millisecond) // no /proc: give it a moment
			return
		}
		// The state follows the command name, which is in parentheses.
		if j := strings.LastIndexByte(string(data), ')'); j >= 0 && strings.HasPrefix(string(data[j+1:]), " T") {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	s.tb.Fatalf("memcachedtest: %s did not stop", s.Addr)
}

// Resume undoes Pause.
func (s *Server) Resume() { s.signal(syscall.SIGCONT) }

func (s *Server) signal(sig syscall.Signal) (pid int) {
	s.tb.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		s.tb.Fatalf("memcachedtest: signal %v: server %s is stopped", sig, s.Addr)
	}
	if err := s.cmd.Process.Signal(sig); err != nil {
		s.tb.Fatalf("memcachedtest: signal %v: %v", sig, err)
	}
	return s.cmd.Process.Pid
}

// Version asks the server for its version over a new connection; it is a
// check that the server answers the memcached protocol.
func (s *Server) Version() (string, error) {
	conn, err := net.DialTimeout("tcp", s.Addr, time.Second)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(time.Second))
	if _, err := conn.Write([]byte("version\r\n")); err != nil {
		return "", err
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return "", err
	}
	v, ok := strings.CutPrefix(strings.TrimRight(line, "\r\n"), "VERSION ")
	if !ok {
		return "", fmt.Errorf("unexpected reply %q", line)
	}
	return v, nil
}

// WriteAuthFile writes a memcached -Y authentication file with one
// user:password line and returns its path.
func WriteAuthFile(tb testing.TB, user, password string) string {
	tb.Helper()
	path := tb.TempDir() + "/memcached-auth"
	if err := os.WriteFile(path, []byte(user+":"+password+"\n"), 0o600); err != nil {
		tb.Fatal(err)
	}
	return path
}

// Stats returns the server's general statistics ("stats" command), such as
// cmd_get and cmd_set, which let a test count round trips.
func (s *Server) Stats() (map[string]string, error) {
	conn, err := net.DialTimeout("tcp", s.Addr, time.Second)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(time.Second))
	if _, err := conn.Write([]byte("stats\r\n")); err != nil {
		return nil, err
	}
	stats := make(map[string]string)
	r := bufio.NewReader(conn)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return nil, err
		}
		line = strings.TrimRight(line, "\r\n")
		if line == "END" {
			return stats, nil
		}
		f := strings.Fields(line)
		if len(f) != 3 || f[0] != "STAT" {
			return nil, fmt.Errorf("unexpected stats line %q", line)
		}
		stats[f[1]] = f[2]
	}
}

// Keys returns the keys of the items the server holds, sorted, each once,
// from memcached's "lru_crawler metadump all", so a test can check what an
// app writes. The crawler can miss an item that memcached is moving
// between its LRU segments (one read a moment ago, say): poll for a key
// that must be there.
func (s *Server) Keys() ([]string, error) {
	conn, err := net.DialTimeout("tcp", s.Addr, time.Second)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	r := bufio.NewReader(conn)
	for {
		keys, err := metadump(conn, r)
		if errors.Is(err, errBusy) {
			// The crawler runs one dump at a time; the connection's
			// deadline bounds the wait.
			time.Sleep(20 * time.Millisecond)
			continue
		}
		// The crawler can also meet an item twice, when memcached moves
		// it between segments meanwhile.
		slices.Sort(keys)
		return slices.Compact(keys), err
	}
}

// errBusy is memcached's answer to a dump while another is under way.
var errBusy = errors.New("memcached: lru crawler busy")

// metadump asks for one dump of every item on conn and returns the keys.
func metadump(conn net.Conn, r *bufio.Reader) ([]string, error) {
	if _, err := conn.Write([]byte("lru_crawler metadump all\r\n")); err != nil {
		return nil, err
	}
	var keys []string
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return nil, err
		}
		line = strings.TrimRight(line, "\r\n")
		switch {
		case line == "END":
			return keys, nil
		case strings.HasPrefix(line, "BUSY"):
			return nil, errBusy
		}
		// key=<URL-encoded key> exp=... la=... and so on.
		f, _, _ := strings.Cut(line, " ")
		enc, ok := strings.CutPrefix(f, "key=")
		if !ok {
			return nil, fmt.Errorf("unexpected metadump line %q", line)
		}
		key, err := url.PathUnescape(enc)
		if err != nil {
			return nil, fmt.Errorf("metadump line %q: %w", line, err)
		}
		keys = append(keys, key)
	}
}
