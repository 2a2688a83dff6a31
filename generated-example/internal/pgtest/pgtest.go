// Package pgtest runs real PostgreSQL servers for tests.
//
// Tests talk to a real PostgreSQL, never to a mock, so that what they
// check is what production does. The server needs PostgreSQL's initdb and
// postgres programs, looked for in PATH and then in
// /usr/lib/postgresql/<version>/bin, where Debian and Ubuntu put them
// (apt-get install postgresql; macOS: brew install postgresql). Without
// them the test is skipped, unless the CI environment variable is set, in
// which case it fails: CI must not pass by skipping.
//
// A server takes a second or two to create, so a test package shares one
// (see Shared) and gives each test its own database.
package pgtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// startTimeout bounds how long a server may take to accept connections,
// and stopTimeout how long it may take to shut down.
const (
	startTimeout = 30 * time.Second
	stopTimeout  = 30 * time.Second
)

// errNotInstalled means PostgreSQL's programs were not found.
var errNotInstalled = errors.New("PostgreSQL is not installed (apt-get install postgresql): initdb and postgres are in neither PATH nor /usr/lib/postgresql/*/bin")

// Server is a PostgreSQL server listening on a loopback TCP port, with
// trust authentication for the user "postgres" and no TLS.
type Server struct {
	// Port is the server's TCP port on 127.0.0.1.
	Port int

	bin  string              // directory of initdb and postgres
	dir  string              // the data directory and the unix socket live here
	cred *syscall.Credential // whom to run as, when the tests run as root
	dbs  atomic.Int64        // databases created, for unique names

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{} // closed when cmd has exited
}

// Start creates and starts a server that is stopped and deleted when the
// test ends.
func Start(tb testing.TB) *Server {
	tb.Helper()
	s, err := newServer()
	if err != nil {
		skipOrFail(tb, err)
	}
	tb.Cleanup(s.Remove)
	return s
}

// URL returns the connection URL of the database named dbname.
func (s *Server) URL(dbname string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", s.Port, dbname)
}

// CreateDatabase creates a new, empty database and returns its URL, so
// that tests sharing a server do not see each other's data.
func (s *Server) CreateDatabase(tb testing.TB) string {
	tb.Helper()
	name := "test_" + strconv.FormatInt(s.dbs.Add(1), 10)
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	conn, err := pgx.Connect(ctx, s.URL("postgres"))
	if err != nil {
		tb.Fatalf("pgtest: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		tb.Fatalf("pgtest: create database %s: %v", name, err)
	}
	return s.URL(name)
}

// Stop shuts the server down ("fast" shutdown: open connections are
// closed) and keeps its data, for Restart. It is safe to call more than
// once, and on a paused server.
func (s *Server) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return
	}
	// A paused server must run to shut down.
	children, _ := childPIDs(s.cmd.Process.Pid)
	for _, p := range append([]int{s.cmd.Process.Pid}, children...) {
		syscall.Kill(p, syscall.SIGCONT)
	}
	s.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-s.exited:
	case <-time.After(stopTimeout):
		s.cmd.Process.Kill()
		<-s.exited
	}
	s.cmd = nil
}

// Restart starts a stopped server again, on the same port with the same
// data.
func (s *Server) Restart(tb testing.TB) {
	tb.Helper()
	s.Stop()
	if err := s.start(); err != nil {
		tb.Fatalf("pgtest: restart: %v", err)
	}
}

// Pause stops every process of the server with SIGSTOP: connections stay
// open and new ones are accepted, but nothing is answered, like a server
// that hangs. Resume undoes it.
func (s *Server) Pause(tb testing.TB) {
	tb.Helper()
	s.signalAll(tb, syscall.SIGSTOP)
}

// Resume lets a paused server run again.
func (s *Server) Resume(tb testing.TB) {
	tb.Helper()
	s.signalAll(tb, syscall.SIGCONT)
}

// signalAll signals the server and the processes it forked: each backend
// runs in a session of its own, so they are found through /proc (Linux).
func (s *Server) signalAll(tb testing.TB, sig syscall.Signal) {
	tb.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		tb.Fatalf("pgtest: signal %v: the server is stopped", sig)
	}
	pid := s.cmd.Process.Pid
	children, err := childPIDs(pid)
	if err != nil {
		tb.Skipf("pgtest: cannot list the server's processes: %v", err)
	}
	// Stop the postmaster first, so it forks nothing while the rest stop.
	for _, p := range append([]int{pid}, children...) {
		syscall.Kill(p, sig) // a backend may just have exited
	}
}

// childPIDs returns the processes whose parent is pid.
func childPIDs(pid int) ([]int, error) {
	stats, err := filepath.Glob("/proc/[0-9]*/stat")
	if err != nil || len(stats) == 0 {
		return nil, fmt.Errorf("no /proc: %v", err)
	}
	var children []int
	for _, stat := range stats {
		data, err := os.ReadFile(stat)
		if err != nil {
			continue // the process has exited
		}
		// "pid (comm) state ppid ...": comm may hold spaces, so cut after
		// its closing parenthesis.
		i := strings.LastIndexByte(string(data), ')')
		fields := strings.Fields(string(data[i+1:]))
		if len(fields) > 1 && fields[1] == strconv.Itoa(pid) {
			child, _ := strconv.Atoi(filepath.Base(filepath.Dir(stat)))
			children = append(children, child)
		}
	}
	return children, nil
}

// Remove stops the server and deletes its files.
func (s *Server) Remove() {
	s.Stop()
	os.RemoveAll(s.dir)
}

// Shared is one server for a whole test package: each test that calls
// Database gets a new database on it. The server starts on first use;
// TestMain must call Close after m.Run:
//
//	var postgres pgtest.Shared
//
//	func TestMain(m *testing.M) {
//		code := m.Run()
//		postgres.Close()
//		os.Exit(code)
//	}
type Shared struct {
	once sync.Once
	srv  *Server
	err  error
}

// Database returns the URL of a new, empty database on the shared server.
func (sh *Shared) Database(tb testing.TB) string {
	tb.Helper()
	sh.once.Do(func() { sh.srv, sh.err = newServer() })
	if sh.err != nil {
		skipOrFail(tb, sh.err)
	}
	return sh.srv.CreateDatabase(tb)
}

// Close stops the shared server, if it was started, and deletes its files.
func (sh *Shared) Close() {
	if sh.srv != nil {
		sh.srv.Remove()
	}
}

// skipOrFail skips the test when PostgreSQL is not installed, unless CI is
// set, and fails it on any other error.
func skipOrFail(tb testing.TB, err error) {
	tb.Helper()
	switch {
	case !errors.Is(err, errNotInstalled):
		tb.Fatalf("pgtest: %v", err)
	case os.Getenv("CI") != "":
		tb.Fatalf("pgtest: %v: CI is set, so this is a failure", err)
	default:
		tb.Skipf("pgtest: %v: skipping", err)
	}
}

// newServer creates a data directory with initdb and starts a server on
// it.
func newServer() (*Server, error) {
	bin, err := binDir()
	if err != nil {
		return nil, err
	}
	s := &Server{bin: bin}
	if os.Geteuid() == 0 {
		// PostgreSQL refuses to run as root.
		if s.cred, err = postgresUser(); err != nil {
			return nil, err
		}
	}
	if s.dir, err = os.MkdirTemp("", "pgtest-"); err != nil {
		return nil, err
	}
	if s.cred != nil {
		if err := os.Chown(s.dir, int(s.cred.Uid), int(s.cred.Gid)); err != nil {
			os.RemoveAll(s.dir)
			return nil, err
		}
	}
	initdb := s.command("initdb", "-D", filepath.Join(s.dir, "data"),
		"--auth=trust", "--username=postgres", "--encoding=UTF8", "--locale=C", "--no-sync")
	if out, err := initdb.CombinedOutput(); err != nil {
		os.RemoveAll(s.dir)
		return nil, fmt.Errorf("initdb: %v\n%s", err, out)
	}
	// Another process can take the free port between our check and the
	// server's bind, so try a few ports.
	for attempt := 0; attempt < 5; attempt++ {
		if s.Port, err = freePort(); err != nil {
			break
		}
		if err = s.start(); err == nil {
			return s, nil
		}
	}
	os.RemoveAll(s.dir)
	return nil, err
}

// command returns the PostgreSQL program name with args, run in the
// server's directory as the right user.
func (s *Server) command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(filepath.Join(s.bin, name), args...)
	cmd.Dir = s.dir
	if s.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: s.cred}
	}
	return cmd
}

// start runs postgres and waits until it accepts connections.
func (s *Server) start() error {
	// Durability settings are off: a test server's data is thrown away.
	cmd := s.command("postgres", "-D", filepath.Join(s.dir, "data"),
		"-h", "127.0.0.1", "-p", strconv.Itoa(s.Port), "-k", s.dir,
		"-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
		"-c", "shared_buffers=16MB")
	logs := &strings.Builder{}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start postgres: %w", err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()

	deadline := time.Now().Add(startTimeout)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return fmt.Errorf("postgres on port %d exited:\n%s", s.Port, logs)
		default:
		}
		if ready(s.URL("postgres")) {
			s.mu.Lock()
			s.cmd, s.exited = cmd, exited
			s.mu.Unlock()
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	cmd.Process.Kill()
	<-exited
	return fmt.Errorf("postgres on port %d did not accept connections within %v:\n%s", s.Port, startTimeout, logs)
}

// ready reports whether the server at url accepts a query.
func ready(url string) bool {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return false
	}
	defer conn.Close(ctx)
	return conn.Ping(ctx) == nil
}

// binDir finds the directory that holds initdb and postgres: PATH first,
// then the highest version under /usr/lib/postgresql.
func binDir() (string, error) {
	dirs := []string{}
	if p, err := exec.LookPath("initdb"); err == nil {
		dirs = append(dirs, filepath.Dir(p))
	}
	versions, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	slices.SortFunc(versions, func(a, b string) int { return version(b) - version(a) })
	for _, dir := range append(dirs, versions...) {
		if isFile(filepath.Join(dir, "initdb")) && isFile(filepath.Join(dir, "postgres")) {
			return dir, nil
		}
	}
	return "", errNotInstalled
}

// version returns the major version in /usr/lib/postgresql/<version>/bin.
func version(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}

func isFile(path string) bool {
	info, err := os.Stat(path)
	return err == nil && info.Mode().IsRegular()
}

// postgresUser returns the credentials of the postgres system user, which
// Debian's package creates, to run the server as when tests run as root.
func postgresUser() (*syscall.Credential, error) {
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("tests run as root and PostgreSQL refuses to: %w (apt-get install postgresql creates the postgres user)", err)
	}
	uid, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		return nil, err
	}
	gid, err := strconv.ParseUint(u.Gid, 10, 32)
	if err != nil {
		return nil, err
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}
