package memcachedtest

import (
	"net"
	"testing"
)

// FreePort returns a loopback TCP port that was free a moment ago. Start
// picks each server's port with it, and so can a test that starts a
// server of its own, such as the app.
func FreePort(tb testing.TB) int {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
