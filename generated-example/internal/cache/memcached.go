package cache

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bradfitz/gomemcache/memcache"
)

// AuthMode selects how a new connection authenticates.
type AuthMode string

const (
	// AuthMemCachier is MemCachier's form: the first command on a
	// connection is "set <username> 0 0 <len>" with the password as data.
	AuthMemCachier AuthMode = "memcachier"
	// AuthMemcached is the form of memcached 1.5.15+ started with
	// "-Y authfile": "set <any key> 0 0 <len>" with "<username> <password>"
	// as data.
	AuthMemcached AuthMode = "memcached"
)

// ErrAuth means a server refused the credentials.
var ErrAuth = errors.New("memcached authentication failed")

// Defaults for MemcachedOptions, taken from the settings MemCachier's
// Flask guide gives pylibmc.
const (
	DefaultConnectTimeout = 2 * time.Second
	DefaultTimeout        = 750 * time.Millisecond
	DefaultMaxIdleConns   = 64
	DefaultRetryTimeout   = 2 * time.Second
	DefaultDeadTimeout    = 30 * time.Second
)

// MemcachedOptions configure NewMemcached. Zero values take the defaults.
type MemcachedOptions struct {
	// Servers are host:port addresses; keys are spread over them with
	// libmemcached's ketama placement.
	Servers []string
	// Username and Password, when set, authenticate every new connection
	// to a server that asks for it, once, before the connection is used.
	// A server that does not ask never receives them.
	Username string
	Password string
	// Auth is the authentication form; AuthMemCachier when empty.
	Auth AuthMode
	// KeyPrefix starts every key, as Flask-Caching's CACHE_KEY_PREFIX
	// does, so that apps sharing the servers keep apart: "myapp:" stores
	// "view//" as "myapp:view//". At most MaxPrefixLength bytes, without
	// spaces or control characters.
	KeyPrefix string

	// ConnectTimeout bounds dialing plus authenticating a new connection.
	ConnectTimeout time.Duration
	// Timeout bounds each read and write of an operation.
	Timeout time.Duration
	// MaxIdleConns is the number of idle connections kept per server. It
	// should exceed the number of concurrent requests; gomemcache's own
	// default of 2 makes a busy app dial on almost every request.
	MaxIdleConns int
	// RetryTimeout is how long a failed server stays out before it is
	// probed again; DeadTimeout is the wait between probes once it has
	// failed repeatedly.
	RetryTimeout time.Duration
	DeadTimeout  time.Duration

	// NearCacheTTL is how long Views serves a page, and RenderAll a
	// fragment, from this process's memory after reading it from
	// memcached, with no round trip: an invalidation made by another
	// instance shows here within it, while one made here shows at once. Zero turns the near cache off (unlike
	// the other options, whose zero means the default);
	// DefaultNearCacheTTL is a good value. NearCacheBytes bounds its
	// memory, least recently used pages first; zero means
	// DefaultNearCacheBytes.
	NearCacheTTL   time.Duration
	NearCacheBytes int
}

func (o *MemcachedOptions) setDefaults() {
	if o.Auth == "" {
		o.Auth = AuthMemCachier
	}
	if o.ConnectTimeout <= 0 {
		o.ConnectTimeout = DefaultConnectTimeout
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.MaxIdleConns <= 0 {
		o.MaxIdleConns = DefaultMaxIdleConns
	}
	if o.RetryTimeout <= 0 {
		o.RetryTimeout = DefaultRetryTimeout
	}
	if o.DeadTimeout <= 0 {
		o.DeadTimeout = DefaultDeadTimeout
	}
}

// NewMemcached returns a Cache kept on memcached servers. It does not
// connect: call Ping to check the servers at start-up. It fails only for
// options that can never work, such as a server that is not host:port.
func NewMemcached(opts MemcachedOptions, logger *slog.Logger) (*Cache, error) {
	opts.setDefaults()
	if len(opts.Servers) == 0 {
		return nil, errors.New("cache: no memcached servers")
	}
	for _, s := range opts.Servers {
		if host, port, err := net.SplitHostPort(s); err != nil || host == "" || port == "" {
			return nil, fmt.Errorf("cache: memcached server %q is not host:port", s)
		}
	}
	if opts.Auth != AuthMemCachier && opts.Auth != AuthMemcached {
		return nil, fmt.Errorf("cache: unknown auth mode %q (want %q or %q)", opts.Auth, AuthMemCachier, AuthMemcached)
	}
	if err := checkPrefix(opts.KeyPrefix); err != nil {
		return nil, err
	}
	m := &memcached{opts: opts, lastUsage: make(map[string]Usage)}
	m.ring = newRing(opts.Servers, opts.RetryTimeout, opts.DeadTimeout, opts.Timeout, m.probe, logger)
	m.client = memcache.NewFromSelector(m.ring)
	m.client.Timeout = opts.Timeout
	m.client.MaxIdleConns = opts.MaxIdleConns
	m.client.DialContext = m.dial
	c := newCache(m, "memcached", opts.KeyPrefix, logger)
	c.near = newNear(opts.NearCacheTTL, opts.NearCacheBytes, func() time.Time { return c.now() })
	return c, nil
}

// memcached is the gomemcache backend.
type memcached struct {
	opts   MemcachedOptions
	client *memcache.Client
	ring   *ring

	authAccepted atomic.Bool // some server asked for the credentials and took them

	// Each server's figures, and when they were last polled (see usage).
	usageMu   sync.Mutex
	lastUsage map[string]Usage
	polled    time.Time
	polling   bool
}

// dial opens a connection for gomemcache: connect, authenticate, and watch
// the connection for timeouts, reporting any failure to the ring so that
// the server leaves rotation.
func (m *memcached) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	conn, err := m.connect(ctx, network, addr)
	if err != nil {
		m.ring.failed(addr, err)
		return nil, err
	}
	return &watchedConn{Conn: conn, ring: m.ring, addr: addr}, nil
}

// connect dials addr and authenticates within the connect timeout.
// gomemcache's context carries the shorter operation timeout; a new
// connection gets the full connect budget instead, as pylibmc's
// connect_timeout does. Go's TCP connections already have TCP_NODELAY and
// keep-alive on, which pylibmc's tcp_nodelay and tcp_keepalive ask for.
func (m *memcached) connect(ctx context.Context, network, addr string) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), m.opts.ConnectTimeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	if m.opts.Username == "" {
		return conn, nil
	}
	deadline, _ := ctx.Deadline()
	conn.SetDeadline(deadline)
	asks, err := asksForAuth(conn)
	if err == nil && asks {
		err = m.authenticate(conn)
		if err != nil && !errors.Is(err, ErrAuth) {
			// The server asked for credentials and then closed the
			// connection, as a server may after refusing a command:
			// authenticate first thing on a new one.
			conn.Close()
			conn, err = d.DialContext(ctx, network, addr)
			if err == nil {
				conn.SetDeadline(deadline)
				err = m.authenticate(conn)
			}
		}
	}
	if err != nil {
		if conn != nil {
			conn.Close()
		}
		return nil, fmt.Errorf("memcached %s: %w", addr, err)
	}
	if asks {
		m.authAccepted.Store(true)
	}
	conn.SetDeadline(time.Time{})
	return conn, nil
}

// asksForAuth sends a harmless command and reports whether the server
// refused it for want of authentication. Credentials go only to a server
// that says it wants them: a memcached without authentication takes
// MemCachier's handshake as an ordinary set and would keep the password as
// an item anyone on that server could read. So only a CLIENT_ERROR reply
// ("CLIENT_ERROR unauthenticated" from memcached -Y and MemCachier) counts
// as asking; a VERSION reply means the server needs no credentials, and
// anything else (another reply, a hang-up, a timeout) is a failed
// connection, never a reason to send the password.
func asksForAuth(conn net.Conn) (bool, error) {
	if _, err := io.WriteString(conn, "version\r\n"); err != nil {
		return false, fmt.Errorf("version: %w", err)
	}
	line, err := readLine(conn)
	switch {
	case err != nil:
		return false, fmt.Errorf("version: %w", err)
	case strings.HasPrefix(line, "VERSION "):
		return false, nil
	case strings.HasPrefix(line, "CLIENT_ERROR"):
		return true, nil
	default:
		return false, fmt.Errorf("unexpected reply %q to version", line)
	}
}

// authenticate sends the credentials. The password is never part of an
// error.
func (m *memcached) authenticate(conn net.Conn) error {
	key, data := m.opts.Username, m.opts.Password
	if m.opts.Auth == AuthMemcached {
		key, data = "auth", m.opts.Username+" "+m.opts.Password
	}
	if _, err := fmt.Fprintf(conn, "set %s 0 0 %d\r\n%s\r\n", key, len(data), data); err != nil {
		return fmt.Errorf("authenticate: %w", err)
	}
	line, err := readLine(conn)
	switch {
	case err != nil:
		return fmt.Errorf("authenticate: %w", err)
	case line == "STORED":
		return nil
	case strings.HasPrefix(line, "CLIENT_ERROR"), strings.HasPrefix(line, "SERVER_ERROR"):
		return fmt.Errorf("%w for user %q (%s mode): %s", ErrAuth, m.opts.Username, m.opts.Auth, line)
	default:
		return fmt.Errorf("%w for user %q (%s mode): unexpected reply %q", ErrAuth, m.opts.Username, m.opts.Auth, line)
	}
}

// readLine reads one reply line byte by byte, so that nothing after it is
// consumed before gomemcache takes over the connection.
func readLine(conn net.Conn) (string, error) {
	var b strings.Builder
	buf := make([]byte, 1)
	for b.Len() < 1024 {
		if _, err := conn.Read(buf); err != nil {
			return "", err
		}
		if buf[0] == '\n' {
			return strings.TrimSuffix(b.String(), "\r"), nil
		}
		b.WriteByte(buf[0])
	}
	return "", errors.New("reply line too long")
}

// probe checks a server over a new connection: connect, authenticate and
// ask for its version, all within the connect timeout.
func (m *memcached) probe(addr string) error {
	conn, err := m.connect(context.Background(), "tcp", addr)
	if err != nil {
		return err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(m.opts.Timeout))
	if _, err := conn.Write([]byte("version\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return err
	}
	if !strings.HasPrefix(line, "VERSION ") {
		return fmt.Errorf("memcached %s: unexpected reply %q to version", addr, strings.TrimSpace(line))
	}
	return nil
}

// watchedConn reports timeouts to the ring: a server that stops answering
// leaves rotation after the first timeout. A closed connection is not a
// server failure (the server may have closed an idle connection); the next
// dial tells.
type watchedConn struct {
	net.Conn
	ring     *ring
	addr     string
	deadline time.Time // the last deadline set with SetDeadline
}

// deadlineSlack is how little a deadline may move without being moved.
// gomemcache pushes the deadline back before each line it reads, a few
// times per operation, and each move is a timer update: a deadline up to
// this much sooner than asked (out of Timeout's 750ms) costs nothing.
const deadlineSlack = time.Millisecond

// SetDeadline sets the connection's deadline to t, unless it would move
// a deadline later by less than deadlineSlack.
func (c *watchedConn) SetDeadline(t time.Time) error {
	if t.After(c.deadline) && t.Sub(c.deadline) < deadlineSlack {
		return nil
	}
	c.deadline = t
	return c.Conn.SetDeadline(t)
}

// SetReadDeadline sets the read deadline alone; SetDeadline sets it next
// time.
func (c *watchedConn) SetReadDeadline(t time.Time) error {
	c.deadline = time.Time{}
	return c.Conn.SetReadDeadline(t)
}

// SetWriteDeadline sets the write deadline alone; SetDeadline sets it
// next time.
func (c *watchedConn) SetWriteDeadline(t time.Time) error {
	c.deadline = time.Time{}
	return c.Conn.SetWriteDeadline(t)
}

// Read reads from the connection, reporting a timeout to the ring.
func (c *watchedConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if err != nil && isTimeout(err) {
		c.ring.failed(c.addr, err)
	}
	return n, err
}

// Write writes to the connection, reporting a timeout to the ring.
func (c *watchedConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	if err != nil && isTimeout(err) {
		c.ring.failed(c.addr, err)
	}
	return n, err
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func (m *memcached) get(key string) ([]byte, error) {
	it, err := m.client.Get(key)
	if err != nil {
		return nil, mapErr(err)
	}
	return it.Value, nil
}

func (m *memcached) getMulti(keys []string) (map[string][]byte, error) {
	items, err := m.client.GetMulti(keys)
	out := make(map[string][]byte, len(items))
	for k, it := range items {
		out[k] = it.Value
	}
	return out, mapErr(err)
}

func (m *memcached) set(key string, value []byte, exp int32) error {
	return mapErr(m.client.Set(&memcache.Item{Key: key, Value: value, Expiration: exp}))
}

func (m *memcached) add(key string, value []byte, exp int32) error {
	return mapErr(m.client.Add(&memcache.Item{Key: key, Value: value, Expiration: exp}))
}

func (m *memcached) delete(key string) error {
	if err := m.client.Delete(key); err != nil && !errors.Is(err, memcache.ErrCacheMiss) {
		return mapErr(err)
	}
	return nil
}

func (m *memcached) incr(key string, delta uint64) (uint64, error) {
	n, err := m.client.Increment(key, delta)
	if err != nil && strings.Contains(err.Error(), "non-numeric value") {
		return 0, ErrNotNumber
	}
	return n, mapErr(err)
}

func (m *memcached) touch(key string, exp int32) error {
	return mapErr(m.client.Touch(key, exp))
}

// ping probes every server at once, so start-up waits for the slowest
// server, not for all of them in turn. A server that fails leaves rotation,
// which the ring logs; the caller reports the returned error.
func (m *memcached) ping() error {
	errs := make([]error, len(m.opts.Servers))
	var wg sync.WaitGroup
	for i, addr := range m.opts.Servers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := m.probe(addr); err != nil {
				m.ring.failed(addr, nil)
				errs[i] = err
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

func (m *memcached) authenticated() bool { return m.authAccepted.Load() }

func (m *memcached) servers() []ServerState { return m.ring.states() }

func (m *memcached) usage() []Usage {
	m.usageMu.Lock()
	defer m.usageMu.Unlock()
	if !m.polling && time.Since(m.polled) >= usageInterval {
		m.polling = true
		m.ring.wg.Add(1)
		go m.pollUsage()
	}
	out := make([]Usage, len(m.opts.Servers))
	for i, addr := range m.opts.Servers {
		out[i] = m.lastUsage[addr]
		out[i].Addr = addr
	}
	return out
}

// pollUsage asks every server that is up for its stats, over a new
// connection each (authenticated as every connection is), and keeps them.
// A server that does not answer keeps its last figures: the ring, not
// this poll, decides whether it is down.
func (m *memcached) pollUsage() {
	defer m.ring.wg.Done()
	got := make(map[string]Usage)
	for _, st := range m.ring.states() {
		if st.Up {
			if u, err := m.stats(st.Addr); err == nil {
				got[st.Addr] = u
			}
		}
	}
	m.usageMu.Lock()
	defer m.usageMu.Unlock()
	maps.Copy(m.lastUsage, got)
	m.polled, m.polling = time.Now(), false
}

// stats reads a server's figures with memcached's stats command.
func (m *memcached) stats(addr string) (Usage, error) {
	conn, err := m.connect(context.Background(), "tcp", addr)
	if err != nil {
		return Usage{}, err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(m.opts.Timeout))
	if _, err := io.WriteString(conn, "stats\r\n"); err != nil {
		return Usage{}, err
	}
	u := Usage{Read: time.Now()}
	r := bufio.NewReader(conn)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return Usage{}, err
		}
		fields := strings.Fields(line)
		switch {
		case len(fields) == 1 && fields[0] == "END":
			return u, nil
		case len(fields) != 3 || fields[0] != "STAT":
			return Usage{}, fmt.Errorf("memcached %s: unexpected reply %q to stats", addr, strings.TrimSpace(line))
		}
		n, _ := strconv.ParseUint(fields[2], 10, 64)
		switch fields[1] {
		case "curr_items":
			u.Items = n
		case "bytes":
			u.Bytes = n
		case "limit_maxbytes":
			u.LimitBytes = n
		case "evictions":
			u.Evictions = n
		}
	}
}

func (m *memcached) close() error {
	m.ring.close()
	return m.client.Close()
}

// mapErr turns gomemcache's sentinel errors into the backend's.
func mapErr(err error) error {
	switch {
	case errors.Is(err, memcache.ErrCacheMiss):
		return errMiss
	case errors.Is(err, memcache.ErrNotStored):
		return errNotStored
	}
	return err
}
