package cache

import (
	"errors"
	"testing"

	"github.com/echocache/scaffold/generated-example/internal/memcachedtest"
)

// TestBackendContract checks the backend interface's contract, method by
// method, on both backends, below the Cache: the in-memory cache must
// answer every call the way memcached does. Memcached runs twice, without
// and with authentication, since authenticated tells the two apart.
func TestBackendContract(t *testing.T) {
	srv := memcachedtest.Start(t)
	authSrv := memcachedtest.Start(t, "-Y", memcachedtest.WriteAuthFile(t, "app", "s3cret"))
	authOpts := fastOptions(authSrv.Addr)
	authOpts.Username, authOpts.Password, authOpts.Auth = "app", "s3cret", AuthMemcached
	for name, tt := range map[string]struct {
		b       backend
		servers []string // the servers it lists
		auth    bool     // whether a server took the credentials
	}{
		"memory":              {NewMemory(0, discard()).backend, nil, false},
		"memcached":           {newMemcachedCache(t, fastOptions(srv.Addr), discard()).backend, []string{srv.Addr}, false},
		"memcached with auth": {newMemcachedCache(t, authOpts, discard()).backend, []string{authSrv.Addr}, true},
	} {
		t.Run(name, func(t *testing.T) { backendContract(t, tt.b, tt.servers, tt.auth) })
	}
}

// backendContract checks b, whose servers are servers and which has
// authenticated to one of them if auth.
func backendContract(t *testing.T, b backend, servers []string, auth bool) {
	value := func(key string) (string, error) {
		t.Helper()
		v, err := b.get(key)
		return string(v), err
	}
	wantValue := func(key, want string) {
		t.Helper()
		if got, err := value(key); err != nil || got != want {
			t.Errorf("get %s: got %q, %v; want %q", key, got, err, want)
		}
	}
	wantMiss := func(key string) {
		t.Helper()
		if got, err := value(key); !errors.Is(err, errMiss) {
			t.Errorf("get %s: got %q, %v; want errMiss", key, got, err)
		}
	}
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}

	t.Run("get", func(t *testing.T) {
		wantMiss("contract-get")
		must("set", b.set("contract-get", []byte("one"), 0))
		wantValue("contract-get", "one")
		must("set again", b.set("contract-get", []byte("two"), 0))
		wantValue("contract-get", "two")
		must("set empty", b.set("contract-get", nil, 0))
		wantValue("contract-get", "")
	})
	t.Run("getMulti", func(t *testing.T) {
		got, err := b.getMulti([]string{"contract-none-1", "contract-none-2"})
		if err != nil || got == nil || len(got) != 0 {
			t.Errorf("no key held: got %v, %v; want an empty map", got, err)
		}
		must("set", b.set("contract-m1", []byte("a"), 0))
		must("set", b.set("contract-m3", []byte("c"), 0))
		got, err = b.getMulti([]string{"contract-m1", "contract-m2", "contract-m3"})
		if err != nil || len(got) != 2 || string(got["contract-m1"]) != "a" || string(got["contract-m3"]) != "c" {
			t.Errorf("some keys held: got %q, %v; want m1 and m3 only", got, err)
		}
		if _, ok := got["contract-m2"]; ok {
			t.Error("a missing key is in the map")
		}
	})
	t.Run("add", func(t *testing.T) {
		must("add", b.add("contract-add", []byte("first"), 0))
		if err := b.add("contract-add", []byte("second"), 0); !errors.Is(err, errNotStored) {
			t.Errorf("add over a held key: got %v, want errNotStored", err)
		}
		wantValue("contract-add", "first")
	})
	t.Run("delete", func(t *testing.T) {
		must("set", b.set("contract-del", []byte("v"), 0))
		must("delete", b.delete("contract-del"))
		wantMiss("contract-del")
		if err := b.delete("contract-del"); err != nil {
			t.Errorf("deleting a missing key: got %v, want nil", err)
		}
	})
	t.Run("incr", func(t *testing.T) {
		if _, err := b.incr("contract-incr", 1); !errors.Is(err, errMiss) {
			t.Errorf("incr of a missing key: got %v, want errMiss", err)
		}
		wantMiss("contract-incr") // incr never creates the key
		must("set", b.set("contract-incr", []byte("41"), 0))
		if n, err := b.incr("contract-incr", 1); n != 42 || err != nil {
			t.Errorf("incr: got %d, %v; want 42", n, err)
		}
		wantValue("contract-incr", "42")
		must("set", b.set("contract-incr", []byte("18446744073709551615"), 0))
		if n, err := b.incr("contract-incr", 2); n != 1 || err != nil {
			t.Errorf("incr past 2^64-1: got %d, %v; want 1 (wrapped)", n, err)
		}
		must("set", b.set("contract-nan", []byte("forty"), 0))
		if _, err := b.incr("contract-nan", 1); !errors.Is(err, ErrNotNumber) {
			t.Errorf("incr of a word: got %v, want ErrNotNumber", err)
		}
		wantValue("contract-nan", "forty")
	})
	t.Run("touch", func(t *testing.T) {
		if err := b.touch("contract-touch", 60); !errors.Is(err, errMiss) {
			t.Errorf("touch of a missing key: got %v, want errMiss", err)
		}
		must("set", b.set("contract-touch", []byte("kept"), 0))
		must("touch", b.touch("contract-touch", 60))
		wantValue("contract-touch", "kept")
		must("touch in the past", b.touch("contract-touch", -1))
		wantMiss("contract-touch")
	})
	t.Run("expired on arrival", func(t *testing.T) {
		must("set", b.set("contract-past", []byte("v"), -1))
		wantMiss("contract-past")
	})
	t.Run("ping", func(t *testing.T) {
		if err := b.ping(); err != nil {
			t.Errorf("ping: %v", err)
		}
	})
	t.Run("authenticated", func(t *testing.T) {
		if got := b.authenticated(); got != auth {
			t.Errorf("authenticated: got %v, want %v", got, auth)
		}
	})
	t.Run("servers", func(t *testing.T) {
		got := b.servers()
		if len(got) != len(servers) {
			t.Fatalf("servers: got %+v, want %q, up", got, servers)
		}
		for i, st := range got {
			if st.Addr != servers[i] || !st.Up {
				t.Errorf("servers[%d]: got %+v, want %s, up", i, st, servers[i])
			}
		}
	})
}
