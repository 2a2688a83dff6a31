package cache

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bradfitz/gomemcache/memcache"

	"github.com/echocache/scaffold/generated-example/internal/memcachedtest"
	"github.com/echocache/scaffold/generated-example/internal/testlog"
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

	var logs testlog.Buffer
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
// never answers the handshake fails the first operation with a timeout
// and leaves rotation; the operations after it never dial it again.
func TestSilentServerDuringAuth(t *testing.T) {
	addr := memcachedtest.StartSilent(t)
	opts := fastOptions(addr)
	opts.Username, opts.Password = "app", "s3cret"
	var logs testlog.Buffer
	c := newMemcachedCache(t, opts, logs.Logger())
	tr := watchTraffic(c)

	wantMiss(t, c, "k")
	if got := tr.dials(addr); got != 1 {
		t.Errorf("first get dialed the server %d times, want 1", got)
	}
	if inRotation(c, addr) {
		t.Fatal("the server is still in rotation after its handshake went unanswered")
	}
	if !strings.Contains(logs.String(), "i/o timeout") {
		t.Errorf("the failure logged is not the handshake timing out:\n%s", logs.String())
	}
	for i := 0; i < 20; i++ {
		wantMiss(t, c, "k")
	}
	if got := tr.dials(addr) - 1; got != 0 {
		t.Errorf("20 gets to a known-bad server dialed it %d more times, want 0", got)
	}
	if inRotation(c, addr) {
		t.Error("the silent server is back in rotation")
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
	tr := watchTraffic(c)
	if err := c.Ping(); err == nil {
		t.Fatal("ping of a stopped server succeeded")
	}
	if inRotation(c, srv.Addr) {
		t.Fatal("the server is in rotation after a failed ping")
	}
	for i := 0; i < 100; i++ {
		wantMiss(t, c, "k")
		c.Set("k", []byte("v"), 0)
	}
	if d, w := tr.dials(srv.Addr), tr.writes(srv.Addr); d+w != 0 {
		t.Errorf("200 operations with the server known down dialed it %d times and sent it %d commands, want none", d, w)
	}

	srv.Restart()
	eventually(t, 5*time.Second, "server back in rotation", func() bool {
		return c.Set("k", []byte("v"), 0) == nil
	})
	wantValue(t, c, "k", "v")
}

// TestHungServer pauses memcached with SIGSTOP: the first operation times
// out and takes the server out of rotation, the following ones never
// reach it, and the server rejoins after it is resumed.
func TestHungServer(t *testing.T) {
	srv := memcachedtest.Start(t)
	opts := fastOptions(srv.Addr)
	var logs testlog.Buffer
	c := newMemcachedCache(t, opts, logs.Logger())
	tr := watchTraffic(c)
	mustSet(t, c, "k", "v", 0)

	srv.Pause()
	wantMiss(t, c, "k")
	if inRotation(c, srv.Addr) {
		t.Fatal("the server is still in rotation after a get to it timed out")
	}
	if !strings.Contains(logs.String(), "i/o timeout") {
		t.Errorf("the failure logged is not a timeout:\n%s", logs.String())
	}
	dials, writes := tr.dials(srv.Addr), tr.writes(srv.Addr)
	for i := 0; i < 50; i++ {
		wantMiss(t, c, "k")
	}
	if d, w := tr.dials(srv.Addr)-dials, tr.writes(srv.Addr)-writes; d+w != 0 {
		t.Errorf("50 gets to a known-hung server dialed it %d times and sent it %d commands, want none", d, w)
	}

	srv.Resume()
	eventually(t, 5*time.Second, "resumed server back in rotation", func() bool {
		_, ok := c.Get("k")
		return ok
	})
}

// TestFailoverUnderLoad runs concurrent traffic over three servers, kills
// one, and restarts it: once the ring has taken the dead server out, only
// the operations already on their way to it reach it, its keys move to the
// others, and it rejoins and takes traffic again.
func TestFailoverUnderLoad(t *testing.T) {
	var srvs []*memcachedtest.Server
	var addrs []string
	for i := 0; i < 3; i++ {
		s := memcachedtest.Start(t)
		srvs = append(srvs, s)
		addrs = append(addrs, s.Addr)
	}
	var logs testlog.Buffer
	opts := fastOptions(addrs...)
	c := newMemcachedCache(t, opts, logs.Logger())
	tr := watchTraffic(c)
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

	const workers = 8
	var stop atomic.Bool
	var ops atomic.Int64
	var wg sync.WaitGroup
	for g := 0; g < workers; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := g; !stop.Load(); i++ {
				k := keys[i%nkeys]
				if _, ok := c.Get(k); !ok {
					c.Set(k, []byte("v"), 0)
				}
				ops.Add(1)
			}
		}(g)
	}
	eventually(t, 5*time.Second, "traffic on every server", func() bool {
		return ops.Load() >= 10*workers
	})
	victim.Stop()
	eventually(t, 5*time.Second, "killed server out of rotation", func() bool {
		return !inRotation(c, victim.Addr)
	})

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
		return inRotation(c, victim.Addr)
	})
	writes := tr.writes(victim.Addr)
	eventually(t, 5*time.Second, "traffic on the restarted server", func() bool {
		return tr.writes(victim.Addr) > writes
	})
	stop.Store(true)
	wg.Wait()

	// An operation that picked the server just before the ring took it out
	// still dials it or writes to it; each worker has one under way.
	if n := tr.whileDown(victim.Addr); n > workers {
		t.Errorf("%d operations reached the killed server after the ring took it out, want at most one per worker (%d)", n, workers)
	}
	// Before the ring drops the server, each worker can fail on its get
	// and its set over pooled connections the server closed (that alone
	// does not eject a server), and once more on the dial that does.
	if n := c.Stats().Errors; n > workers*4 {
		t.Errorf("%d cache errors during failover, want only the first few", n)
	}
	for _, k := range keys {
		if owner[k] != victim.Addr {
			wantValue(t, c, k, "v") // the other servers' keys were never lost
		}
	}
	t.Logf("%d operations, %d reached the killed server while it was out, %d errors", ops.Load(), tr.whileDown(victim.Addr), c.Stats().Errors)
}

// TestOutageLogsAreBounded: with every server down, thousands of
// operations produce a handful of log lines, not one each.
func TestOutageLogsAreBounded(t *testing.T) {
	srv := memcachedtest.Start(t)
	var logs testlog.Buffer
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

// traffic counts, per server, the connections a memcached Cache's client
// opens and the commands it writes, so a test can tell which operations
// reached a server. The ring's probes dial on their own and are not
// counted.
type traffic struct {
	ring *ring

	mu                   sync.Mutex
	dialed, wrote, downs map[string]int
}

// watchTraffic starts counting c's traffic; call it before c is used.
func watchTraffic(c *Cache) *traffic {
	m := c.backend.(*memcached)
	tr := &traffic{ring: m.ring, dialed: map[string]int{}, wrote: map[string]int{}, downs: map[string]int{}}
	dial := m.client.DialContext
	m.client.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		tr.count(tr.dialed, addr)
		conn, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return &countedConn{Conn: conn, tr: tr, addr: addr}, nil
	}
	return tr
}

// count adds one to n[addr], and to the while-down count if the ring has
// addr out of rotation.
func (tr *traffic) count(n map[string]int, addr string) {
	down := tr.ring.byAddr[addr].down.Load()
	tr.mu.Lock()
	defer tr.mu.Unlock()
	n[addr]++
	if down {
		tr.downs[addr]++
	}
}

func (tr *traffic) get(n map[string]int, addr string) int {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return n[addr]
}

// dials returns how many connections the client has opened, or tried to,
// to addr.
func (tr *traffic) dials(addr string) int { return tr.get(tr.dialed, addr) }

// writes returns how many writes, one per command, the client has made to
// addr.
func (tr *traffic) writes(addr string) int { return tr.get(tr.wrote, addr) }

// whileDown returns how many of addr's dials and writes happened while the
// ring had it out of rotation.
func (tr *traffic) whileDown(addr string) int { return tr.get(tr.downs, addr) }

// countedConn counts its writes in its traffic.
type countedConn struct {
	net.Conn
	tr   *traffic
	addr string
}

func (c *countedConn) Write(p []byte) (int, error) {
	c.tr.count(c.tr.wrote, c.addr)
	return c.Conn.Write(p)
}

// inRotation reports whether c's ring has addr in rotation. Unlike
// Servers, it does not probe the server, so it tells what the operations
// so far have found.
func inRotation(c *Cache, addr string) bool {
	return !c.backend.(*memcached).ring.byAddr[addr].down.Load()
}

// TestServersNeverDials: Servers reports what the ring knows, without
// I/O. It used to probe every server over a new connection, so a busy
// dashboard opened thousands of connections, and any failed probe (the
// server's connection limit reached, or one slow answer) took the server
// out of the ring for every request.
func TestServersNeverDials(t *testing.T) {
	srv := memcachedtest.Start(t)
	relay := memcachedtest.StartRelay(t, srv.Addr)
	c := newMemcachedCache(t, fastOptions(relay.Addr), discard())
	mustSet(t, c, "k", "v", 0)
	conns, sent := relay.Conns(), relay.Sent()
	for i := 0; i < 100; i++ {
		if st := c.Servers(); len(st) != 1 || st[0].Addr != relay.Addr || !st[0].Up {
			t.Fatalf("Servers() = %+v, want %s up", st, relay.Addr)
		}
	}
	relay.Hang()
	if st := c.Servers(); !st[0].Up {
		t.Errorf("Servers() took a hung server out by itself: %+v", st)
	}
	if d, s := relay.Conns()-conns, relay.Sent()-sent; d != 0 || s != 0 {
		t.Errorf("101 calls of Servers opened %d connections and sent %d bytes, want none", d, s)
	}
	// An operation finds the server hung, and Servers says so.
	wantMiss(t, c, "k")
	if st := c.Servers(); st[0].Up || st[0].DownSince.IsZero() || st[0].NextRetry.IsZero() {
		t.Errorf("after an operation timed out: Servers() = %+v, want it down, with times", st)
	}
}

// TestServerStateChangesAreLogged: every change of a server's state is
// logged, the first included: a start-up ping that finds it down (which
// used to take it out silently), and its return.
func TestServerStateChangesAreLogged(t *testing.T) {
	srv := memcachedtest.Start(t)
	srv.Stop()
	var logs testlog.Buffer
	c := newMemcachedCache(t, fastOptions(srv.Addr), logs.Logger())
	if err := c.Ping(); err == nil {
		t.Fatal("ping of a stopped server succeeded")
	}
	if n := strings.Count(logs.String(), "memcached server down"); n != 1 {
		t.Errorf("the start-up ping took the server out with %d log lines, want 1:\n%s", n, logs.String())
	}
	srv.Restart()
	eventually(t, 5*time.Second, "the server's return logged", func() bool {
		return strings.Contains(logs.String(), "memcached server back in rotation")
	})
}

// TestOneTimeoutPerCall: with every server hung, a call that has waited
// for one server to time out sends nothing to another. The calls here
// work on keys of one server: a get and then a set of a key, a memoized
// function, a page of the view cache. Each used to move its second
// operation to the next server, hung too, and wait as long again (1.5s
// with the default timeout).
func TestOneTimeoutPerCall(t *testing.T) {
	tests := []struct {
		name string
		// keys are the memcached keys the call makes on c with candidate
		// i, and call makes it.
		keys func(c *Cache, i int) []string
		call func(t *testing.T, c *Cache, i int)
	}{
		{"get then set",
			func(c *Cache, i int) []string { return []string{c.Key(fmt.Sprint("k", i))} },
			func(t *testing.T, c *Cache, i int) {
				k := fmt.Sprint("k", i)
				if _, ok := c.Get(k); !ok {
					c.Set(k, []byte("v"), 0)
				}
			}},
		{"memoize",
			func(c *Cache, i int) []string {
				m := Memoize(c, fmt.Sprint("f", i), 0, func(context.Context, int) (int, error) { return 0, nil })
				key, _ := m.key(1)
				return append([]string{m.cache.Key(key)}, m.tagKeys...)
			},
			func(t *testing.T, c *Cache, i int) {
				m := Memoize(c, fmt.Sprint("f", i), 0, func(_ context.Context, n int) (int, error) { return n + 1, nil })
				if got, err := m.Call(context.Background(), 1); got != 2 || err != nil {
					t.Errorf("memoized call: got %d, %v; want 2", got, err)
				}
			}},
		{"view",
			func(c *Cache, i int) []string {
				path := fmt.Sprint("/p", i)
				return []string{c.tagCache().Key(PathTag(path)), c.InLayer(LayerViews).Key("view/" + path)}
			},
			func(t *testing.T, c *Cache, i int) {
				a := newViewApp(c, ViewOptions{}, html("page"))
				if rec := a.do("GET", fmt.Sprint("/p", i)); rec.Code != http.StatusOK || rec.Body.String() != "page" {
					t.Errorf("page: got %d %q", rec.Code, rec.Body)
				}
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := memcachedtest.Start(t)
			first, second := memcachedtest.StartRelay(t, srv.Addr), memcachedtest.StartRelay(t, srv.Addr)
			opts := fastOptions(first.Addr, second.Addr)
			opts.RetryTimeout, opts.DeadTimeout = time.Hour, time.Hour // no probes: the relays see calls alone
			c := newMemcachedCache(t, opts, discard())
			r := c.backend.(*memcached).ring
			i := 0
			for ; !allOn(r, first.Addr, tc.keys(c, i)); i++ {
			}
			first.Hang()
			second.Hang()
			tc.call(t, c, i)
			if first.Sent() == 0 {
				t.Fatal("the call sent nothing to its keys' server")
			}
			if d, s := second.Conns(), second.Sent(); d != 0 || s != 0 {
				t.Errorf("after its server timed out, the call opened %d connections to the other hung server and sent it %d bytes, want none", d, s)
			}
		})
	}
}

// allOn reports whether r places every key on the server at addr.
func allOn(r *ring, addr string, keys []string) bool {
	for _, k := range keys {
		if a, err := r.PickServer(k); err != nil || a.String() != addr {
			return false
		}
	}
	return true
}

// deadlineConn counts the deadlines set on it.
type deadlineConn struct {
	net.Conn
	set []time.Time
}

func (c *deadlineConn) SetDeadline(t time.Time) error {
	c.set = append(c.set, t)
	return nil
}

func (c *deadlineConn) SetReadDeadline(t time.Time) error { return nil }

// TestDeadlineMoves: gomemcache pushes a connection's deadline back before
// each line it reads; a push of less than deadlineSlack is not made (it
// would only update a timer), so the deadline is never more than that
// sooner than asked. Any other change is made, and clearing it always is.
func TestDeadlineMoves(t *testing.T) {
	raw := &deadlineConn{}
	c := &watchedConn{Conn: raw}
	start := time.Now().Add(750 * time.Millisecond)
	steps := []struct {
		at   time.Time
		made bool
	}{
		{start, true},
		{start.Add(deadlineSlack / 2), false},
		{start.Add(deadlineSlack - 1), false},
		{start.Add(deadlineSlack), true},
		{start, true}, // sooner: always made
		{time.Time{}, true},
		{time.Time{}, true},
		{start, true},
	}
	for i, s := range steps {
		before := len(raw.set)
		c.SetDeadline(s.at)
		if made := len(raw.set) > before; made != s.made {
			t.Errorf("step %d: deadline set %v, want %v", i, made, s.made)
		}
	}
	c.SetReadDeadline(start)
	if c.SetDeadline(start.Add(deadlineSlack / 2)); raw.set[len(raw.set)-1] != start.Add(deadlineSlack/2) {
		t.Error("after a read deadline of its own, a deadline was not set")
	}
}
