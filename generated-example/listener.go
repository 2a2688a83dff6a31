package main

import (
	"log/slog"
	"net"
	"sync"
	"time"
)

// limitWarnEvery is how often, at most, the log says that the app is at
// its connection limit.
const limitWarnEvery = time.Minute

// limitConns returns ln accepting at most max connections at a time
// (MAX_CONNS). Every open connection costs memory (about 20 KB when idle:
// buffers and a goroutine), and without a limit clients that open
// thousands and leave them idle make the app grow until it is killed.
// Heroku's router stands between clients and the app, but compose and
// Docker deployments may have nothing in front of it.
//
// At the limit the app stops accepting: a new connection waits in the
// kernel's queue, and is served as soon as an open one closes (an idle
// keep-alive connection closes after the server's IdleTimeout), or is
// refused by the kernel once that queue is full. The first wait in a
// minute is logged.
func limitConns(ln net.Listener, max int, logger *slog.Logger) net.Listener {
	return &connLimiter{Listener: ln, slots: make(chan struct{}, max), done: make(chan struct{}), logger: logger}
}

// connLimiter is the listener limitConns returns: each accepted connection
// holds one of its slots until it is closed.
type connLimiter struct {
	net.Listener
	slots     chan struct{}
	done      chan struct{} // closed by Close, to end a wait for a slot
	closeOnce sync.Once
	logger    *slog.Logger
	warned    time.Time // when the last wait was logged; only Accept reads or writes it
}

// Accept waits for a free slot, then for a connection. http.Server calls
// it from one goroutine.
func (l *connLimiter) Accept() (net.Conn, error) {
	select {
	case l.slots <- struct{}{}:
	default:
		if now := time.Now(); now.Sub(l.warned) >= limitWarnEvery {
			l.warned = now
			l.logger.Warn("connections: at the limit, new ones wait until one closes; raise MAX_CONNS if this is ordinary load", "max_conns", cap(l.slots))
		}
		select {
		case l.slots <- struct{}{}:
		case <-l.done:
			return nil, net.ErrClosed
		}
	}
	c, err := l.Listener.Accept()
	if err != nil {
		<-l.slots
		return nil, err
	}
	return &limitedConn{Conn: c, release: func() { <-l.slots }}, nil
}

// Close stops the listener, and ends an Accept that waits for a slot, so
// that the server can shut down.
func (l *connLimiter) Close() error {
	l.closeOnce.Do(func() { close(l.done) })
	return l.Listener.Close()
}

// limitedConn gives its slot back when it is closed, once however often
// that is.
type limitedConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *limitedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}

// CloseWrite passes on the TCP half-close that http.Server uses before it
// closes a connection whose request it did not read to the end, so that
// the client gets the response rather than a reset.
func (c *limitedConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}
