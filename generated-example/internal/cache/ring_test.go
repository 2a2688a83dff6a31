package cache

import (
	"bufio"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/bradfitz/gomemcache/memcache"
)

// TestKetamaMatchesLibmemcached checks every placement that pylibmc 1.6.3
// on libmemcached 1.1.4, with the Flask guide's "ketama": True, recorded
// in testdata/ketama-placement.txt for two server lists.
func TestKetamaMatchesLibmemcached(t *testing.T) {
	f, err := os.Open("testdata/ketama-placement.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var r *ring
	checked := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if list, ok := strings.CutPrefix(line, "servers: "); ok {
			r = newRing(strings.Split(list, ","), time.Second, time.Second, 0, nil, discard())
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if r == nil || i < 0 {
			t.Fatalf("bad line %q", line)
		}
		key, want := line[:i], line[i+1:]
		got, err := r.PickServer(key)
		if err != nil {
			t.Fatalf("PickServer(%q): %v", key, err)
		}
		if got.String() != want {
			t.Errorf("PickServer(%q) = %s, want %s", key, got, want)
		}
		checked++
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if checked != 2208 {
		t.Errorf("checked %d placements, want 2208", checked)
	}
}

func TestOneAtATime(t *testing.T) {
	// Values from libhashkit's one-at-a-time, including a byte above 0x7f,
	// which it reads as a negative signed char.
	tests := map[string]uint32{
		"":                  0,
		"a":                 0xca2e9442,
		"view//":            0x993ecfa2,
		"caf\xc3":           0x72b9fed9,
		"127.0.0.1:21501-0": 0x9b907a9b,
		"127.0.0.1-99":      0xc752fdcc,
	}
	for in, want := range tests {
		if got := oneAtATime(in); got != want {
			t.Errorf("oneAtATime(%q) = %#x, want %#x", in, got, want)
		}
	}
	if oneAtATime("\xc3") == oneAtATime("\x43") {
		t.Error("high bytes hash like their low seven bits")
	}
}

// TestDownServerOnlyMovesItsKeys takes one of three servers out and checks
// that exactly its keys move, and that they move back when it returns.
func TestDownServerOnlyMovesItsKeys(t *testing.T) {
	servers := []string{"10.0.0.1:11211", "10.0.0.2:11211", "10.0.0.3:11211"}
	r := newRing(servers, time.Hour, time.Hour, 0, func(string) error { return errors.New("down") }, discard())
	defer r.close()
	before := make(map[string]string)
	for i := 0; i < 3000; i++ {
		k := "key" + string(rune('a'+i%26)) + strings.Repeat("z", i%7) + itoa(i)
		a, _ := r.PickServer(k)
		before[k] = a.String()
	}
	r.failed(servers[1], errors.New("connection refused"))
	moved := 0
	for k, was := range before {
		a, err := r.PickServer(k)
		if err != nil {
			t.Fatal(err)
		}
		now := a.String()
		switch {
		case now == servers[1]:
			t.Fatalf("%q still goes to the down server", k)
		case was == servers[1]:
			moved++
		case now != was:
			t.Errorf("%q moved from %s to %s though its server is up", k, was, now)
		}
	}
	if moved == 0 {
		t.Error("no key belonged to the down server")
	}
	for _, s := range servers {
		r.failed(s, errors.New("down"))
	}
	if _, err := r.PickServer("x"); !errors.Is(err, memcache.ErrNoServers) {
		t.Errorf("all servers down: got %v, want ErrNoServers", err)
	}
}

func itoa(i int) string {
	return string([]byte{byte('0' + i/1000%10), byte('0' + i/100%10), byte('0' + i/10%10), byte('0' + i%10)})
}
