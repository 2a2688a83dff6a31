package cache

import (
	"strings"
	"testing"
)

func TestKey(t *testing.T) {
	passThrough := []string{"view//", "view//tasks", "_template_fragment_cache_item_12", "session:abc", "caf\xc3\xa9", strings.Repeat("k", 250)}
	for _, k := range passThrough {
		if got := Key(k); got != k {
			t.Errorf("Key(%q) = %q, want it unchanged", k, got)
		}
	}
	mapped := []string{"", "a key", "a\nkey", "del\x7f", "has#hash", strings.Repeat("k", 251)}
	seen := make(map[string]string)
	for _, k := range mapped {
		got := Key(k)
		if got == k {
			t.Errorf("Key(%q) is unchanged, want it mapped", k)
		}
		if !validKey(got) {
			t.Errorf("Key(%q) = %q is not a valid memcached key", k, got)
		}
		if prev, ok := seen[got]; ok {
			t.Errorf("Key(%q) and Key(%q) collide", k, prev)
		}
		seen[got] = k
	}
	if got := Key("a key"); !strings.HasPrefix(got, "a_key#") {
		t.Errorf("Key(%q) = %q, want a readable prefix", "a key", got)
	}
}

// validKey is memcached's rule: 1 to 250 bytes, no spaces or control characters.
func validKey(k string) bool {
	if k == "" || len(k) > MaxKeyLength {
		return false
	}
	for i := 0; i < len(k); i++ {
		if k[i] <= ' ' || k[i] == 0x7f {
			return false
		}
	}
	return true
}

// FuzzKey checks that every key maps to a valid memcached key, the same
// one every time, that valid keys without '#' are kept, and that two
// different keys never share a memcached key.
func FuzzKey(f *testing.F) {
	for _, seed := range []string{"view//", "a key", "", "#", "x#" + strings.Repeat("0", 64), strings.Repeat("k", 300)} {
		f.Add(seed, seed+" ")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		ka, kb := Key(a), Key(b)
		if !validKey(ka) {
			t.Fatalf("Key(%q) = %q is not valid", a, ka)
		}
		if Key(a) != ka {
			t.Fatalf("Key(%q) is not deterministic", a)
		}
		if validKey(a) && !strings.Contains(a, "#") && ka != a {
			t.Fatalf("Key(%q) = %q, want it unchanged", a, ka)
		}
		if a != b && ka == kb {
			t.Fatalf("Key(%q) == Key(%q) == %q", a, b, ka)
		}
	})
}
