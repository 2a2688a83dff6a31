package cache

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/echocache/scaffold/generated-example/internal/memcachedtest"
)

// keyPrefixes are prefixes a Cache may have: none, an app's, the longest
// NewMemcached accepts, and that one with a namespace.
var keyPrefixes = []string{"", "myapp:", strings.Repeat("p", MaxPrefixLength), strings.Repeat("p", MaxPrefixLength) + "pg-0123abcd:"}

func TestKey(t *testing.T) {
	for _, prefix := range keyPrefixes {
		c := &Cache{prefix: prefix, start: prefix}
		room := MaxKeyLength - len(prefix)
		passThrough := []string{"view//", "view//tasks", "_template_fragment_cache_item_12", "session:abc", "caf\xc3\xa9", strings.Repeat("k", room)}
		for _, k := range passThrough {
			if got := c.Key(k); got != prefix+k {
				t.Errorf("prefix %q: Key(%q) = %q, want the prefix and the key", prefix, k, got)
			}
		}
		mapped := []string{"", "a key", "a\nkey", "del\x7f", "has#hash", strings.Repeat("k", room+1)}
		seen := make(map[string]string)
		for _, k := range mapped {
			got := c.Key(k)
			if got == prefix+k {
				t.Errorf("prefix %q: Key(%q) is unchanged, want it mapped", prefix, k)
			}
			if !validKey(got) || !strings.HasPrefix(got, prefix) {
				t.Errorf("prefix %q: Key(%q) = %q is not a valid memcached key starting with the prefix", prefix, k, got)
			}
			if prev, ok := seen[got]; ok {
				t.Errorf("prefix %q: Key(%q) and Key(%q) collide", prefix, k, prev)
			}
			seen[got] = k
		}
		if got := c.Key("a key"); !strings.HasPrefix(got, prefix+"a_key#") {
			t.Errorf("prefix %q: Key(%q) = %q, want the prefix, then a readable part", prefix, "a key", got)
		}
	}
}

func TestNamespace(t *testing.T) {
	c := NewMemory(0, discard())
	for name, want := range map[string]string{
		"pg-0123abcd":                   "pg-0123abcd:",
		"mem-9f8e":                      "mem-9f8e:",
		"has space":                     "a digest",
		"has:colon":                     "a digest",
		strings.Repeat("n", 33):         "a digest",
		strings.Repeat("n", 32):         strings.Repeat("n", 32) + ":",
		"\x00":                          "a digest",
		"":                              "a digest",
		"has#hash":                      "a digest",
		"another name that is too long": "a digest",
	} {
		got := c.Namespace(name).Prefix()
		if want == "a digest" {
			if len(got) != 17 || !legal(got) || strings.Count(got, ":") != 1 || !strings.HasSuffix(got, ":") {
				t.Errorf("Namespace(%q).Prefix() = %q, want 16 hex digits and a colon", name, got)
			}
			continue
		}
		if got != want {
			t.Errorf("Namespace(%q).Prefix() = %q, want %q", name, got, want)
		}
	}
	if a, b := c.Namespace("has space").Prefix(), c.Namespace("has  space").Prefix(); a == b {
		t.Errorf("two names replaced by the same digest %q", a)
	}
	nested := c.Namespace("a").Namespace("b")
	if got := nested.Key("k"); got != "a:b:k" {
		t.Errorf("a namespace of a namespace stores k as %q, want a:b:k", got)
	}
}

// TestKeyPrefixKeepsAppsApart: two apps on one memcached (two Caches with
// different prefixes), and two namespaces of one app, each see their own
// pages, memoized results and keys, and invalidate only their own; and
// every key memcached holds starts with its app's prefix.
func TestKeyPrefixKeepsAppsApart(t *testing.T) {
	srv := memcachedtest.Start(t)
	newApp := func(prefix string) *Cache {
		opts := fastOptions(srv.Addr)
		opts.KeyPrefix = prefix
		return newMemcachedCache(t, opts, discard())
	}
	shop, blog := newApp("shop:"), newApp("blog:")
	caches := map[string]*Cache{
		"shop":             shop,
		"blog":             blog,
		"shop's database":  shop.Namespace("pg-0123abcd"),
		"shop's own tasks": shop.Namespace("mem-4567ef01"),
	}
	pages := make(map[string]*viewApp)
	fragments := make(map[string]*Fragments)
	for name, c := range caches {
		pages[name] = newViewApp(c, ViewOptions{Query: []string{"q"}}, html("page of "+name))
		memo := Memoize(c, "answer", time.Minute, func(context.Context, int) (string, error) { return "result of " + name, nil })
		if got, err := memo.Call(context.Background(), 1); got != "result of "+name || err != nil {
			t.Fatalf("%s: memoized call got %q, %v", name, got, err)
		}
		mustSet(t, c, "session:abc", "data of "+name, 0)
		c.Increment("counter", 1, 0)
		f := NewFragments(c, FragmentOptions{Lifetimes: Lifetimes{Fresh: time.Minute}})
		fragments[name] = f
		f.Render(f.Key("row", "1"), f.opts.Lifetimes, func(w io.Writer) error {
			_, err := io.WriteString(w, "row of "+name)
			return err
		})
		for _, target := range []string{"/", "/?q=1"} {
			if rec := pages[name].do("GET", target); rec.Header().Get("X-Cache") != "MISS" || rec.Body.String() != "page of "+name {
				t.Fatalf("%s %s: X-Cache %q, body %q; want its own page rendered", name, target, rec.Header().Get("X-Cache"), rec.Body)
			}
		}
	}
	for name, c := range caches {
		if rec := pages[name].do("GET", "/"); rec.Header().Get("X-Cache") != "HIT" || rec.Body.String() != "page of "+name {
			t.Errorf("%s: X-Cache %q, body %q; want its own page from the cache", name, rec.Header().Get("X-Cache"), rec.Body)
		}
		wantValue(t, c, "session:abc", "data of "+name)
		wantValue(t, c, "counter", "1")
		if got, ok := storedBody(t, fragments[name].cache, fragments[name].Key("row", "1")); string(got) != "row of "+name || !ok {
			t.Errorf("%s: fragment %q, %v; want its own", name, got, ok)
		}
	}
	shop.DeleteView("/")
	if rec := pages["shop"].do("GET", "/"); rec.Header().Get("X-Cache") != "MISS" {
		t.Errorf("shop after its DeleteView: X-Cache %q, want MISS", rec.Header().Get("X-Cache"))
	}
	for _, name := range []string{"blog", "shop's database", "shop's own tasks"} {
		if rec := pages[name].do("GET", "/"); rec.Header().Get("X-Cache") != "HIT" {
			t.Errorf("%s after shop's DeleteView: X-Cache %q, want HIT", name, rec.Header().Get("X-Cache"))
		}
	}

	// Each wrote nine keys: two pages, its path's tag version and its
	// count of variants, a memoized result and its function's tag version,
	// the session, the counter and the fragment. After the app's prefix
	// comes the layer's tag, if any, then the namespace.
	var keys []string
	perPrefix := make(map[string]int)
	listed := func() bool {
		var err error
		if keys, err = srv.Keys(); err != nil {
			t.Fatal(err)
		}
		clear(perPrefix)
		for _, k := range keys {
			app, rest, ok := strings.Cut(k, ":")
			if !ok || (app != "shop" && app != "blog") {
				t.Fatalf("memcached holds %q, which starts with no app's prefix", k)
			}
			for _, tag := range []string{"v:", "m:", "f:", "s:", "t:"} {
				if r, ok := strings.CutPrefix(rest, tag); ok {
					rest = r
					break
				}
			}
			switch {
			case strings.HasPrefix(rest, "pg-0123abcd:"):
				perPrefix["shop's database"]++
			case strings.HasPrefix(rest, "mem-4567ef01:"):
				perPrefix["shop's own tasks"]++
			default:
				perPrefix[app]++
			}
		}
		for name := range caches {
			if perPrefix[name] != 9 {
				return false
			}
		}
		return true
	}
	// The crawler may miss a key read a moment ago: poll.
	for deadline := time.Now().Add(5 * time.Second); !listed(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("keys per app: got %v, want 9 each; memcached holds %q", perPrefix, keys)
		}
	}
}

func TestCheckPrefix(t *testing.T) {
	for prefix, ok := range map[string]bool{
		"":                                     true,
		"myapp:":                               true,
		"caf\xc3\xa9/":                         true,
		strings.Repeat("p", MaxPrefixLength):   true,
		strings.Repeat("p", MaxPrefixLength+1): false,
		"my app:":                              false,
		"myapp:\n":                             false,
		"\x7f":                                 false,
	} {
		if err := checkPrefix(prefix); (err == nil) != ok {
			t.Errorf("checkPrefix(%q) = %v, want ok %v", prefix, err, ok)
		}
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

// FuzzKey checks, under every prefix, that every key maps to a valid
// memcached key starting with the prefix, the same one every time, that
// valid keys without '#' that fit are kept, and that two different keys
// never share a memcached key.
func FuzzKey(f *testing.F) {
	for _, seed := range []string{"view//", "a key", "", "#", "x#" + strings.Repeat("0", 64), strings.Repeat("k", 300)} {
		f.Add(seed, seed+" ")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		for _, prefix := range keyPrefixes {
			c := &Cache{prefix: prefix, start: prefix}
			ka, kb := c.Key(a), c.Key(b)
			if !validKey(ka) || !strings.HasPrefix(ka, prefix) {
				t.Fatalf("prefix %q: Key(%q) = %q is not valid, or lacks the prefix", prefix, a, ka)
			}
			if c.Key(a) != ka {
				t.Fatalf("prefix %q: Key(%q) is not deterministic", prefix, a)
			}
			if a != "" && validKey(prefix+a) && !strings.Contains(a, "#") && ka != prefix+a {
				t.Fatalf("prefix %q: Key(%q) = %q, want it unchanged after the prefix", prefix, a, ka)
			}
			if a != b && ka == kb {
				t.Fatalf("prefix %q: Key(%q) == Key(%q) == %q", prefix, a, b, ka)
			}
		}
	})
}

// TestKeysAreKey: the keys of a list, built together, are each key's Key,
// for ordinary keys, long ones and ones with spaces alike.
func TestKeysAreKey(t *testing.T) {
	c := NewMemory(0, discard()).Namespace("ns")
	keys := []string{"a", "", "with space", strings.Repeat("x", 300), "_template_fragment_cache_row_1_2", "café"}
	full := c.keys(keys)
	for i, key := range keys {
		if want := c.Key(key); full[i] != want {
			t.Errorf("keys()[%d] = %q, want Key(%q) = %q", i, full[i], key, want)
		}
	}
}
