package cache

import (
	"fmt"
	"log/slog"
	"net"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bradfitz/gomemcache/memcache"
)

// pointsPerServer is libmemcached's MEMCACHED_POINTS_PER_SERVER.
const pointsPerServer = 100

// deadAfter is how many failures in a row move a server from the retry
// timeout to the dead timeout ("repeated failure").
const deadAfter = 2

// ring places keys on servers the way libmemcached does with pylibmc's
// "ketama": True, so a Go app and a Python app share one cache, and it
// takes failed servers out of rotation the way remove_failed,
// retry_timeout and dead_timeout do. It implements
// memcache.ServerSelector.
//
// Placement: each server gets 100 points on a circle of uint32s, point i
// being the Jenkins one-at-a-time hash of "host:port-i" ("host-i" on the
// default port 11211). A key belongs to the first point at or after the
// key's own hash, wrapping around. A server that is down is skipped: its
// keys move to the next points' servers and every other key stays put.
//
// Failure handling: the first failure (a refused or timed-out connection, a
// timed-out read or write, failed authentication) takes the server out at
// once. A background probe retries it after the retry timeout, then, after
// repeated failure, every dead timeout, and puts it back when it answers.
// Requests never wait on a server known to be down. Every change of a
// server's state is logged.
//
// For one operation timeout after a server times out, its keys fail at
// once instead of moving: a server that times out is often not the only
// one (a network fault, an overloaded host), and by the end of that time
// the operations in flight to the other servers have either answered or
// taken their servers out too. So a request that waited for a server to
// time out, and then works on the same keys (a get, then a set), never
// waits on a second server that is hung as well. A server that refuses
// connections costs no wait, and its keys move at once.
type ring struct {
	points  []point // sorted by hash
	servers []*server
	byAddr  map[string]*server

	retryTimeout time.Duration
	deadTimeout  time.Duration
	hold         time.Duration // how long a timed-out server's keys fail instead of moving
	probe        func(addr string) error
	logger       *slog.Logger

	stop chan struct{} // closed by close
	wg   sync.WaitGroup
}

type point struct {
	hash   uint32
	server int
}

// server is one memcached server and its health.
type server struct {
	addr serverAddr
	down atomic.Bool
	// failures counts failures in a row while the server is down. Only the
	// goroutine that set down, and then its watch, touch it.
	failures int
	// downSince and nextProbe are Unix nanoseconds, for State; zero while
	// the server is up.
	downSince, nextProbe atomic.Int64
	// holdUntil is when its keys start moving to the other servers, in
	// Unix nanoseconds; zero once they may.
	holdUntil atomic.Int64
}

// serverAddr is a host:port that is resolved when dialed, not once at
// start-up, so a server's DNS name may move.
type serverAddr string

// Network implements net.Addr.
func (a serverAddr) Network() string { return "tcp" }

// String implements net.Addr.
func (a serverAddr) String() string { return string(a) }

func newRing(addrs []string, retry, dead, hold time.Duration, probe func(string) error, logger *slog.Logger) *ring {
	r := &ring{
		byAddr:       make(map[string]*server, len(addrs)),
		retryTimeout: retry,
		deadTimeout:  dead,
		hold:         hold,
		probe:        probe,
		logger:       logger,
		stop:         make(chan struct{}),
	}
	for i, a := range addrs {
		s := &server{addr: serverAddr(a)}
		r.servers = append(r.servers, s)
		r.byAddr[a] = s
		host, port, _ := net.SplitHostPort(a)
		for p := 0; p < pointsPerServer; p++ {
			name := host + ":" + port + "-" + strconv.Itoa(p)
			if port == "11211" {
				name = host + "-" + strconv.Itoa(p)
			}
			r.points = append(r.points, point{hash: oneAtATime(name), server: i})
		}
	}
	sort.SliceStable(r.points, func(i, j int) bool { return r.points[i].hash < r.points[j].hash })
	return r
}

// errJustFailed is PickServer's answer for a key whose server timed out
// less than the hold ago.
var errJustFailed = fmt.Errorf("%w: the key's server has just timed out", memcache.ErrNoServers)

// PickServer returns the server for key, skipping servers that are down.
// A key whose own server timed out less than the hold ago gets
// errJustFailed.
func (r *ring) PickServer(key string) (net.Addr, error) {
	if len(r.points) == 0 {
		return nil, memcache.ErrNoServers
	}
	h := oneAtATime(key)
	i := sort.Search(len(r.points), func(i int) bool { return r.points[i].hash >= h })
	if s := r.servers[r.points[i%len(r.points)].server]; s.down.Load() {
		if until := s.holdUntil.Load(); until != 0 && time.Now().UnixNano() < until {
			return nil, errJustFailed
		}
	}
	for n := 0; n < len(r.points); n++ {
		s := r.servers[r.points[(i+n)%len(r.points)].server]
		if !s.down.Load() {
			return s.addr, nil
		}
	}
	return nil, memcache.ErrNoServers
}

// Each calls f for every server, up or down.
func (r *ring) Each(f func(net.Addr) error) error {
	for _, s := range r.servers {
		if err := f(s.addr); err != nil {
			return err
		}
	}
	return nil
}

// failed takes the server at addr out of rotation, if it is in, logs it,
// and starts probing it. err is why, or nil when the caller logs the
// error itself.
func (r *ring) failed(addr string, err error) {
	s := r.byAddr[addr]
	if s == nil || !s.down.CompareAndSwap(false, true) {
		return
	}
	s.failures = 1
	now := time.Now()
	s.downSince.Store(now.UnixNano())
	s.nextProbe.Store(now.Add(r.retryTimeout).UnixNano())
	if isTimeout(err) {
		s.holdUntil.Store(now.Add(r.hold).UnixNano())
	}
	attrs := []any{"server", addr, "retry_in", r.retryTimeout}
	if err != nil {
		attrs = append(attrs, "err", err)
	}
	r.logger.Warn("memcached server down: its keys go to the other servers", attrs...)
	r.wg.Add(1)
	go r.watch(s)
}

// watch probes a down server until it answers or the ring is closed.
func (r *ring) watch(s *server) {
	defer r.wg.Done()
	for {
		wait := r.retryTimeout
		if s.failures >= deadAfter {
			wait = r.deadTimeout
		}

		s.nextProbe.Store(time.Now().Add(wait).UnixNano())
		t := time.NewTimer(wait)
		select {
		case <-r.stop:
			t.Stop()
			return
		case <-t.C:
		}

		if err := r.probe(string(s.addr)); err != nil {
			s.failures++
			if s.failures == deadAfter {
				r.logger.Warn("memcached server still down", "server", string(s.addr), "err", err, "retry_every", r.deadTimeout)
			}
			continue
		}
		s.failures = 0
		s.downSince.Store(0)
		s.nextProbe.Store(0)
		s.holdUntil.Store(0)
		s.down.Store(false)
		r.logger.Info("memcached server back in rotation", "server", string(s.addr))
		return
	}
}

// ServerState is one memcached server as the cache sees it.
type ServerState struct {
	Addr string `json:"addr"`
	// Up is whether the server is in rotation.
	Up bool `json:"up"`
	// DownSince is when it left rotation, and NextRetry when it will be
	// probed next; both are zero while it is up.
	DownSince time.Time `json:"down_since,omitzero"`
	NextRetry time.Time `json:"next_retry,omitzero"`
}

// states returns every server's state, in the configured order.
func (r *ring) states() []ServerState {
	out := make([]ServerState, len(r.servers))
	for i, s := range r.servers {
		st := ServerState{Addr: string(s.addr), Up: !s.down.Load()}
		if !st.Up {
			if t := s.downSince.Load(); t != 0 {
				st.DownSince = time.Unix(0, t)
			}
			if t := s.nextProbe.Load(); t != 0 {
				st.NextRetry = time.Unix(0, t)
			}
		}
		out[i] = st
	}
	return out
}

func (r *ring) close() {
	close(r.stop)
	r.wg.Wait()
}

// oneAtATime is Bob Jenkins' one-at-a-time hash as libhashkit computes it,
// including its reading of each byte as a signed char.
func oneAtATime(s string) uint32 {
	var h uint32
	for i := 0; i < len(s); i++ {
		h += uint32(int32(int8(s[i])))
		h += h << 10
		h ^= h >> 6
	}
	h += h << 3
	h ^= h >> 11
	h += h << 15
	return h
}
