package main

import (
	"os"
	"testing"
)

// TestMain runs the package's tests, then stops the servers they share.
func TestMain(m *testing.M) {
	code := m.Run()
	browser.Close()
	postgres.Close()
	os.Exit(code)
}
