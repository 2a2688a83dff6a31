package cache

import (
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bradfitz/gomemcache/memcache"

	"github.com/echocache/scaffold/generated-example/internal/memcachedtest"
)

func TestAuthMemcachedForm(t *testing.T) {
	srv := memcachedtest.Start(t, "-Y", memcachedtest.WriteAuthFile(t, "app", "s3cret"))

	opts := fastOptions(srv.Addr)
	opts.Username, opts.Password, opts.Auth = "app", "s3cret", AuthMemcached
	c := newMemcachedCache(t, opts, discard())
	if err := c.Ping(); err != nil {
		t.Fatalf("ping with good credentials: %v", err)
	}
	mustSet(t, c, "k", "v", 0)
	wantValue(t, c, "k", "v")
	if !c.Authenticated() {
		t.Error("Authenticated() = false after the server took the credentials")
	}

	var logs memcachedtest.LogBuffer
	opts.Password = "wrong-password"
	bad := newMemcachedCache(t, opts, logs.Logger())
	err := bad.Ping()
	if !errors.Is(err, ErrAuth) {
		t.Fatalf("ping with a bad password: got %v, want ErrAuth", err)
	}
	if strings.Contains(err.Error(), "wrong-password") || strings.Contains(logs.String(), "wrong-password") {
		t.Error("the password appears in an error or a log line")
	}
	wantMiss(t, bad, "k") // served as a miss, fast, while the server is out
}

func TestAuthMemCachierForm(t *testing.T) {
	srv := memcachedtest.Start(t)
	proxy := memcachedtest.StartAuthProxy(t, srv.Addr, "app", "s3cret")

	opts := fastOptions(proxy.Addr)
	opts.Username, opts.Password = "app", "s3cret" // AuthMemCachier is the default
	c := newMemcachedCache(t, opts, discard())
	for i := 0; i < 50; i++ {
		mustSet(t, c, fmt.Sprint("k", i), "v", 0)
		wantValue(t, c, fmt.Sprint("k", i), "v")
	}
	if n := proxy.Auths(); n != 1 {
		t.Errorf("100 sequential operations authenticated %d times, want once (pooled connection)", n)
	}
	if !c.Authenticated() {
		t.Error("Authenticated() = false after the server took the credentials")
	}

	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				c.Get(fmt.Sprint("k", i))
			}
		}()
	}
	wg.Wait()
	if n := proxy.Auths(); n > 8 {
		t.Errorf("8 concurrent clients authenticated %d times, want at most one per connection (8)", n)
	}
	if s := c.Stats(); s.Errors != 0 {
		t.Errorf("%d errors with good credentials", s.Errors)
	}

	for name, o := range map[string]MemcachedOptions{
		"wrong password": {Username: "app", Password: "nope"},
		"no credentials": {},
		"memcached form": {Username: "app", Password: "s3cret", Auth: AuthMemcached},
	} {
		t.Run(name, func(t *testing.T) {
			opts := fastOptions(proxy.Addr)
			opts.Username, opts.Password, opts.Auth = o.Username, o.Password, o.Auth
			c := newMemcachedCache(t, opts, discard())
			if err := c.Ping(); err == nil {
				t.Error("ping succeeded, want an error")
			}
			wantMiss(t, c, "k1")
		})
	}
}

// TestCredentialsNotSentToPlainMemcached: a memcached that does not ask
// for authentication takes MemCachier's handshake as an ordinary set, so
// sending it would leave the password readable by anyone on that server.
func TestCredentialsNotSentToPlainMemcached(t *testing.T) {
	for _, mode := range []AuthMode{AuthMemCachier, AuthMemcached} {
		t.Run(string(mode), func(t *testing.T) {
			srv := memcachedtest.Start(t)
			opts := fastOptions(srv.Addr)
			opts.Username, opts.Password, opts.Auth = "app", "s3cret", mode
			c := newMemcachedCache(t, opts, discard())
			if err := c.Ping(); err != nil {
				t.Fatalf("ping: %v", err)
			}
			mustSet(t, c, "k", "v", 0)
			wantValue(t, c, "k", "v")
			if c.Authenticated() {
				t.Error("Authenticated() = true against a server that never asked")
			}
			raw := memcache.New(srv.Addr)
			for _, key := range []string{"app", "auth"} {
				if it, err := raw.Get(key); !errors.Is(err, memcache.ErrCacheMiss) {
					t.Errorf("get %q on the server: got %v, %v, want a miss", key, it, err)
				}
			}
		})
	}
}

// TestHangUpIsNoInvitation: a server that hangs up instead of answering
// the probe is a failed connection; the credentials are not sent in the
// hope that it wanted them.
func TestHangUpIsNoInvitation(t *testing.T) {
	srv := memcachedtest.Start(t)
	proxy := memcachedtest.StartAuthProxy(t, srv.Addr, "app", "s3cret")
	proxy.HangUpUnauthenticated()
	opts := fastOptions(proxy.Addr)
	opts.Username, opts.Password = "app", "s3cret"
	c := newMemcachedCache(t, opts, discard())
	if err := c.Ping(); err == nil {
		t.Error("ping succeeded through a server that hangs up")
	}
	if c.Authenticated() {
		t.Error("Authenticated() = true, but no server took the credentials")
	}
}

// TestResetNeverLeaksCredentials: a plain memcached behind a front that
// drops the first connection (a restart, a full accept queue) must never
// receive the password, on that connection or the next.
func TestResetNeverLeaksCredentials(t *testing.T) {
	srv := memcachedtest.Start(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for first := true; ; first = false {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			if first {
				conn.Close()
				continue
			}
			backend, err := net.Dial("tcp", srv.Addr)
			if err != nil {
				conn.Close()
				continue
			}
			go func() { io.Copy(backend, conn); backend.Close() }()
			go func() { io.Copy(conn, backend); conn.Close() }()
		}
	}()
	opts := fastOptions(ln.Addr().String())
	opts.Username, opts.Password = "alice", "hunter2-secret"
	c := newMemcachedCache(t, opts, discard())
	c.Ping()
	eventually(t, 5*time.Second, "the front lets connections through", func() bool {
		return c.Set("k", []byte("v"), 0) == nil
	})
	raw := memcache.New(srv.Addr)
	for _, key := range []string{"alice", "auth"} {
		if it, err := raw.Get(key); err == nil {
			t.Errorf("the plain server holds %q = %q: the credentials were sent", key, it.Value)
		}
	}
	if c.Authenticated() {
		t.Error("Authenticated() = true against a server without authentication")
	}
}

// TestSilentServerDuringAuth: a server that accepts the connection but
// never answers the handshake costs one connect timeout, then misses are
// instant.
func TestSilentServerDuringAuth(t *testing.T) {
	opts := fastOptions(memcachedtest.StartSilent(t))
	opts.Username, opts.Password = "app", "s3cret"
	c := newMemcachedCache(t, opts, discard())

	start := time.Now()
	wantMiss(t, c, "k")
	if d := time.Since(start); d < opts.ConnectTimeout/2 || d > opts.ConnectTimeout+time.Second {
		t.Errorf("first get took %v, want about the connect timeout %v", d, opts.ConnectTimeout)
	}
	start = time.Now()
	for i := 0; i < 20; i++ {
		wantMiss(t, c, "k")
	}
	if d := time.Since(start); d > 100*time.Millisecond {
		t.Errorf("20 gets to a known-bad server took %v, want them to fail fast", d)
	}
}

func TestNewMemcachedRejectsBadOptions(t *testing.T) {
	for name, opts := range map[string]MemcachedOptions{
		"no servers":        {},
		"host without port": {Servers: []string{"host-without-port"}},
		"empty entry":       {Servers: []string{"a:11211", ""}},
		"unknown auth":      {Servers: []string{"a:11211"}, Auth: "sasl"},
	} {
		if _, err := NewMemcached(opts, discard()); err == nil {
			t.Errorf("%s: NewMemcached succeeded, want an error", name)
		}
	}
}

func TestDownAtStartup(t *testing.T) {
	srv := memcachedtest.Start(t)
	srv.Stop()
	opts := fastOptions(srv.Addr)
	c := newMemcachedCache(t, opts, discard())
	if err := c.Ping(); err == nil {
		t.Fatal("ping of a stopped server succeeded")
	}
	start := time.Now()
	for i := 0; i < 100; i++ {
		wantMiss(t, c, "k")
		c.Set("k", []byte("v"), 0)
	}
	if d := time.Since(start); d > 200*time.Millisecond {
		t.Errorf("200 operations with the server down took %v, want them to fail fast", d)
	}

	srv.Restart()
	eventually(t, 5*time.Second, "server back in rotation", func() bool {
		return c.Set("k", []byte("v"), 0) == nil
	})
	wantValue(t, c, "k", "v")
}

// TestHungServer pauses memcached with SIGSTOP: the first operation pays
// the operation timeout, the following ones fail fast, and the server
// rejoins after it is resumed.
func TestHungServer(t *testing.T) {
	srv := memcachedtest.Start(t)
	opts := fastOptions(srv.Addr)
	c := newMemcachedCache(t, opts, discard())
	mustSet(t, c, "k", "v", 0)

	srv.Pause()
	start := time.Now()
	wantMiss(t, c, "k")
	if d := time.Since(start); d < opts.Timeout/2 {
		t.Errorf("first get to a hung server took %v, want about the timeout %v", d, opts.Timeout)
	}
	start = time.Now()
	for i := 0; i < 50; i++ {
		wantMiss(t, c, "k")
	}
	if d := time.Since(start); d > 100*time.Millisecond {
		t.Errorf("50 gets to a known-hung server took %v, want them to fail fast", d)
	}

	srv.Resume()
	eventually(t, 5*time.Second, "resumed server back in rotation", func() bool {
		_, ok := c.Get("k")
		return ok
	})
}

// TestFailoverUnderLoad runs concurrent traffic over three servers, kills
// one, and restarts it: callers never see a slow request beyond the first
// failures, the dead server's keys move to the others, and it rejoins.
func TestFailoverUnderLoad(t *testing.T) {
	var srvs []*memcachedtest.Server
	var addrs []string
	for i := 0; i < 3; i++ {
		s := memcachedtest.Start(t)
		srvs = append(srvs, s)
		addrs = append(addrs, s.Addr)
	}
	var logs memcachedtest.LogBuffer
	opts := fastOptions(addrs...)
	c := newMemcachedCache(t, opts, logs.Logger())
	r := c.backend.(*memcached).ring

	const nkeys = 300
	keys := make([]string, nkeys)
	owner := make(map[string]string)
	for i := range keys {
		keys[i] = fmt.Sprint("load:", i)
		a, _ := r.PickServer(keys[i])
		owner[keys[i]] = a.String()
		mustSet(t, c, keys[i], "v", 0)
	}
	victim := srvs[1]

	var stop atomic.Bool
	var slow, ops atomic.Int64
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := g; !stop.Load(); i++ {
				k := keys[i%nkeys]
				start := time.Now()
				if _, ok := c.Get(k); !ok {
					c.Set(k, []byte("v"), 0)
				}
				if time.Since(start) >= opts.Timeout {
					slow.Add(1) // paid a full timeout
				}
				ops.Add(1)
			}
		}(g)
	}
	time.Sleep(200 * time.Millisecond)
	victim.Stop()
	time.Sleep(500 * time.Millisecond)

	for _, k := range keys {
		a, err := r.PickServer(k)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case a.String() == victim.Addr:
			t.Fatalf("%s still routed to the killed server", k)
		case owner[k] != victim.Addr && a.String() != owner[k]:
			t.Errorf("%s moved from %s to %s though its server is up", k, owner[k], a)
		}
	}

	victim.Restart()
	eventually(t, 5*time.Second, "restarted server back in rotation", func() bool {
		for _, k := range keys {
			if a, _ := r.PickServer(k); a.String() == victim.Addr {
				return true
			}
		}
		return false
	})
	time.Sleep(200 * time.Millisecond)
	stop.Store(true)
	wg.Wait()

	if n := slow.Load(); n > 8 {
		t.Errorf("%d of %d operations were slow, want at most one per worker", n, ops.Load())
	}
	// Before the ring drops the server, each worker can fail on its get
	// and its set over pooled connections the server closed (that alone
	// does not eject a server), and once more on the dial that does.
	if n := c.Stats().Errors; n > 8*4 {
		t.Errorf("%d cache errors during failover, want only the first few", n)
	}
	for _, k := range keys {
		if owner[k] != victim.Addr {
			wantValue(t, c, k, "v") // the other servers' keys were never lost
		}
	}
	t.Logf("%d operations, %d slow, %d errors", ops.Load(), slow.Load(), c.Stats().Errors)
}

// TestOutageLogsAreBounded: with every server down, thousands of
// operations produce a handful of log lines, not one each.
func TestOutageLogsAreBounded(t *testing.T) {
	srv := memcachedtest.Start(t)
	var logs memcachedtest.LogBuffer
	c := newMemcachedCache(t, fastOptions(srv.Addr), logs.Logger())
	srv.Stop()
	for i := 0; i < 5000; i++ {
		c.Get("k")
		c.Set("k", []byte("v"), 0)
	}
	if n := strings.Count(logs.String(), "\n"); n > 5 {
		t.Errorf("%d log lines for 10000 failed operations, want a few:\n%s", n, logs.String())
	}
	if s := c.Stats(); s.Errors < 9000 {
		t.Errorf("counted %d errors, want every failed operation counted", s.Errors)
	}
}
