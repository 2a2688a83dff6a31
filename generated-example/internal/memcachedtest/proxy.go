package memcachedtest

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// AuthProxy stands in front of a memcached server and demands MemCachier's
// authentication: the first command on each connection must be
// "set <username> 0 0 <len>" with the password as its data. Anything else
// gets "CLIENT_ERROR unauthenticated", wrong credentials get
// "CLIENT_ERROR authentication failure", and the connection is closed.
// After a successful handshake it relays bytes both ways.
type AuthProxy struct {
	// Addr is the proxy's host:port.
	Addr string

	backend, user, password string
	ln                      net.Listener
	auths                   atomic.Int64
	hangUp                  atomic.Bool
	wg                      sync.WaitGroup
}

// HangUpUnauthenticated makes the proxy close a connection whose first
// command is not the handshake without answering it, as a server may.
func (p *AuthProxy) HangUpUnauthenticated() { p.hangUp.Store(true) }

// StartAuthProxy starts an AuthProxy in front of backend and stops it when
// the test ends.
func StartAuthProxy(tb testing.TB, backend, user, password string) *AuthProxy {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	p := &AuthProxy{Addr: ln.Addr().String(), backend: backend, user: user, password: password, ln: ln}
	p.wg.Add(1)
	go p.serve()
	tb.Cleanup(func() { ln.Close(); p.wg.Wait() })
	return p
}

// Auths returns the number of successful authentications so far, which
// is the number of connections clients have opened.
func (p *AuthProxy) Auths() int { return int(p.auths.Load()) }

func (p *AuthProxy) serve() {
	defer p.wg.Done()
	var conns sync.WaitGroup
	defer conns.Wait()
	for {
		conn, err := p.ln.Accept()
		if err != nil {
			return
		}
		conns.Add(1)
		go func() {
			defer conns.Done()
			p.handle(conn)
		}()
	}
}

func (p *AuthProxy) handle(client net.Conn) {
	defer client.Close()
	r := bufio.NewReader(client)
	if reply := p.authenticate(r); reply != "" {
		if reply != "CLIENT_ERROR unauthenticated" || !p.hangUp.Load() {
			fmt.Fprintf(client, "%s\r\n", reply)
		}
		return
	}
	p.auths.Add(1)
	backend, err := net.Dial("tcp", p.backend)
	if err != nil {
		return
	}
	defer backend.Close()
	if _, err := io.WriteString(client, "STORED\r\n"); err != nil {
		return
	}
	done := make(chan struct{})
	go func() {
		io.Copy(client, backend)
		client.Close()
		close(done)
	}()
	io.Copy(backend, r) // r holds whatever the client sent after the handshake
	backend.Close()
	<-done
}

// authenticate reads the handshake and returns the error reply, or "" if
// the credentials are right.
func (p *AuthProxy) authenticate(r *bufio.Reader) string {
	line, err := r.ReadString('\n')
	if err != nil {
		return "CLIENT_ERROR unauthenticated"
	}
	f := strings.Fields(line)
	if len(f) != 5 || f[0] != "set" {
		return "CLIENT_ERROR unauthenticated"
	}
	n, err := strconv.Atoi(f[4])
	if err != nil || n < 0 || n > 1<<16 {
		return "CLIENT_ERROR unauthenticated"
	}
	data := make([]byte, n+2)
	if _, err := io.ReadFull(r, data); err != nil {
		return "CLIENT_ERROR unauthenticated"
	}
	if f[1] != p.user || string(data[:n]) != p.password {
		return "CLIENT_ERROR authentication failure"
	}
	return ""
}

// StartSilent starts a TCP server that accepts connections and never
// answers, like a hung memcached, and returns its address.
func StartSilent(tb testing.TB) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, conn)
			mu.Unlock()
		}
	}()
	tb.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return ln.Addr().String()
}

// Relay passes connections through to a server and counts what clients
// send, so a test can tell whether an operation reached the server. Hang
// makes it stop answering, like a server that is paused or cut off.
type Relay struct {
	// Addr is the relay's host:port.
	Addr string

	backend string
	ln      net.Listener
	hung    atomic.Bool
	conns   atomic.Int64
	sent    atomic.Int64

	mu     sync.Mutex
	open   []net.Conn // closed when the test ends
	closed bool
	wg     sync.WaitGroup
}

// StartRelay starts a Relay in front of backend and stops it when the test
// ends.
func StartRelay(tb testing.TB, backend string) *Relay {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	r := &Relay{Addr: ln.Addr().String(), backend: backend, ln: ln}
	r.wg.Add(1)
	go r.serve()
	tb.Cleanup(func() {
		ln.Close()
		r.mu.Lock()
		r.closed = true
		for _, c := range r.open {
			c.Close()
		}
		r.mu.Unlock()
		r.wg.Wait()
	})
	return r
}

// Hang makes the relay keep accepting connections and reading what
// clients send, but pass nothing on and answer nothing, on new connections
// and open ones alike.
func (r *Relay) Hang() { r.hung.Store(true) }

// Conns returns the number of connections clients have opened.
func (r *Relay) Conns() int { return int(r.conns.Load()) }

// Sent returns the number of bytes clients have sent, relayed or not.
func (r *Relay) Sent() int64 { return r.sent.Load() }

// track keeps c to be closed when the test ends, or closes it now if the
// test has ended, so that no copy outlives the relay.
func (r *Relay) track(c net.Conn) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		c.Close()
		return
	}
	r.open = append(r.open, c)
}

func (r *Relay) serve() {
	defer r.wg.Done()
	for {
		client, err := r.ln.Accept()
		if err != nil {
			return
		}
		r.conns.Add(1)
		r.track(client)
		r.wg.Add(1)
		go func() {
			defer r.wg.Done()
			r.handle(client)
		}()
	}
}

func (r *Relay) handle(client net.Conn) {
	defer client.Close()
	var backend net.Conn
	if !r.hung.Load() {
		var err error
		if backend, err = net.Dial("tcp", r.backend); err != nil {
			return
		}
		r.track(backend)
		defer backend.Close()
		r.wg.Add(1)
		go func() {
			defer r.wg.Done()
			r.pass(client, backend, nil)
		}()
	}
	r.pass(backend, client, &r.sent)
}

// pass copies from src to dst until src fails, adding what it reads to
// counted, if set. While the relay is hung it reads and drops. A nil dst
// drops everything.
func (r *Relay) pass(dst, src net.Conn, counted *atomic.Int64) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if counted != nil {
			counted.Add(int64(n))
		}
		if n > 0 && dst != nil && !r.hung.Load() {
			if _, err := dst.Write(buf[:n]); err != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}
