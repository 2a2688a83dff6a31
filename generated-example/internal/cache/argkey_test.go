package cache

import (
	"bytes"
	"math"
	"reflect"
	"testing"
	"time"
)

func argKey(t *testing.T, v any) string {
	t.Helper()
	b, err := appendArgKey(nil, reflect.ValueOf(&v).Elem())
	if err != nil {
		t.Fatalf("appendArgKey(%#v): %v", v, err)
	}
	return string(b)
}

func TestArgKeyEqual(t *testing.T) {
	type inner struct{ A, b int }
	type outer struct {
		S string
		M map[string]int
		P *inner
		I any
	}
	n := 3
	now := time.Now()
	pairs := [][2]any{
		{map[string]int{"a": 1, "b": 2, "z": 26}, map[string]int{"z": 26, "b": 2, "a": 1}},
		{outer{"s", map[string]int{"x": 1, "y": 2}, &inner{1, 2}, 5}, outer{"s", map[string]int{"y": 2, "x": 1}, &inner{1, 2}, 5}},
		{&n, func() *int { m := 3; return &m }()},
		{0.0, math.Copysign(0, -1)},
		{[]int(nil), []int{}},
		{now, now.Round(0)}, // with and without a monotonic clock reading
	}
	for _, p := range pairs {
		if a, b := argKey(t, p[0]), argKey(t, p[1]); a != b {
			t.Errorf("equal arguments %#v and %#v have keys %q and %q", p[0], p[1], a, b)
		}
	}
}

func TestArgKeyDifferent(t *testing.T) {
	type pair struct{ A, B string }
	type hidden struct{ n int }
	values := []any{
		nil, 0, 1, -1, int64(1), uint(1), 1.5, "1", "", " ", "a", "ab",
		true, false,
		[]string{"a", "b"}, []string{"ab"}, []string{"a", "", "b"}, [2]string{"a", "b"},
		pair{"a", "b"}, pair{"ab", ""}, pair{"", "ab"},
		map[string]string{"a": "b"}, map[string]string{"ab": ""},
		hidden{1}, hidden{2},
		"\xff", "\xfe", // invalid UTF-8 must not collapse into one key
		[]any{1, "1"}, []any{"1", 1},
		time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 1, 1, 0, 0, 1, 0, time.UTC),
	}
	seen := make(map[string]any)
	for _, v := range values {
		k := argKey(t, v)
		if prev, ok := seen[k]; ok {
			t.Errorf("%#v and %#v share the key %q", prev, v, k)
		}
		seen[k] = v
	}
}

func TestArgKeyRejectsFunctions(t *testing.T) {
	for _, v := range []any{func() {}, make(chan int), struct{ F func() }{func() {}}} {
		if _, err := appendArgKey(nil, reflect.ValueOf(v)); err == nil {
			t.Errorf("%T: got a key, want an error", v)
		}
	}
}

// FuzzArgKey checks on generated values that the key of a struct is equal
// exactly when the values are equal.
func FuzzArgKey(f *testing.F) {
	f.Add("a", "b", 1, int64(2), []byte("x"), "a", "b", 1, int64(2), []byte("x"))
	f.Add("ab", "", 0, int64(0), []byte{}, "a", "b", 0, int64(0), []byte(nil))
	type arg struct {
		S  string
		M  map[string]int
		F  float64
		Bs []byte
		P  *int64
	}
	build := func(s, k string, n int, p int64, bs []byte) arg {
		return arg{S: s, M: map[string]int{k: n, s: p2i(p)}, F: float64(n) / 3, Bs: bs, P: &p}
	}
	f.Fuzz(func(t *testing.T, s1, k1 string, n1 int, p1 int64, b1 []byte, s2, k2 string, n2 int, p2 int64, b2 []byte) {
		a, b := build(s1, k1, n1, p1, b1), build(s2, k2, n2, p2, b2)
		ka, err := appendArgKey(nil, reflect.ValueOf(a))
		if err != nil {
			t.Fatal(err)
		}
		kb, err := appendArgKey(nil, reflect.ValueOf(b))
		if err != nil {
			t.Fatal(err)
		}
		equal := a.S == b.S && reflect.DeepEqual(a.M, b.M) && a.F == b.F && bytes.Equal(a.Bs, b.Bs) && *a.P == *b.P
		if equal != bytes.Equal(ka, kb) {
			t.Fatalf("values equal: %v, keys equal: %v\n%#v\n%#v", equal, !equal, a, b)
		}
	})
}

func p2i(p int64) int { return int(p % 1000) }
