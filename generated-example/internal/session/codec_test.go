package session

import (
	"bytes"
	"encoding/gob"
	"math"
	"reflect"
	"testing"
	"time"
)

type custom struct {
	A string
	B []int
}

func init() { gob.Register(custom{}) }

func TestCodecRoundTrip(t *testing.T) {
	at := time.Date(2026, 11, 26, 9, 0, 0, 123, time.UTC)
	rec := record{
		Created:  time.Unix(1_800_000_000, 5),
		LastSeen: time.Unix(1_800_000_100, 0),
		Values: map[interface{}]interface{}{
			"s": "text", "empty": "", "t": true, "f": false,
			"i": -42, "i64": int64(1) << 60, "float": 2.5, "bytes": []byte{0, 1, 255},
			"time": at, 7: "int key", "custom": custom{"x", []int{1, 2}},
		},
	}
	data, err := encode(rec)
	if err != nil {
		t.Fatal(err)
	}
	got, err := decode(data)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Created.Equal(rec.Created) || !got.LastSeen.Equal(rec.LastSeen) {
		t.Errorf("times: got %v %v, want %v %v", got.Created, got.LastSeen, rec.Created, rec.LastSeen)
	}
	if !got.Values["time"].(time.Time).Equal(at) {
		t.Errorf("time value: got %v, want %v", got.Values["time"], at)
	}
	delete(got.Values, "time")
	delete(rec.Values, "time")
	if !reflect.DeepEqual(got.Values, rec.Values) {
		t.Errorf("values:\n got %#v\nwant %#v", got.Values, rec.Values)
	}
}

func TestCodecRejectsCorruptRecords(t *testing.T) {
	data, _ := encode(record{Values: map[interface{}]interface{}{"k": "value"}})
	for i := 0; i < len(data); i++ {
		if _, err := decode(data[:i]); err == nil {
			t.Errorf("a record cut to %d of %d bytes decoded", i, len(data))
		}
	}
	if _, err := decode(append(data, 0)); err == nil {
		t.Error("a record with trailing bytes decoded")
	}
}

func TestCodecUnregisteredType(t *testing.T) {
	type unregistered struct{ C chan int }
	if _, err := encode(record{Values: map[interface{}]interface{}{"k": unregistered{}}}); err == nil {
		t.Error("encoding a value gob cannot encode succeeded")
	}
}

func FuzzDecode(f *testing.F) {
	data, _ := encode(record{Created: time.Unix(1, 0), Values: map[interface{}]interface{}{"k": "v", 1: 2.5}})
	f.Add(data)
	f.Fuzz(func(t *testing.T, data []byte) {
		rec, err := decode(data) // must not panic
		if err != nil {
			return
		}
		again, err := encode(rec)
		if err != nil {
			return // a gob value may not re-encode identically; decoding is what is fuzzed
		}
		if _, err := decode(again); err != nil {
			t.Fatalf("re-encoded record does not decode: %v", err)
		}
	})
}

// TestCodecIsDeterministic: equal sessions encode to equal bytes, which is
// how the store tells an unchanged session from a changed one.
func TestCodecIsDeterministic(t *testing.T) {
	values := map[interface{}]interface{}{}
	for i := 0; i < 50; i++ {
		values[i] = "v"
		values["k"+string(rune('a'+i%26))+string(rune('a'+i/26))] = i
	}
	first, err := encode(record{Values: values})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 20; i++ {
		again, _ := encode(record{Values: values})
		if !bytes.Equal(first, again) {
			t.Fatal("the same values encoded to different bytes")
		}
	}
}

// TestCodecStableOrder: a session encodes to the same bytes whatever order
// its map gives, even when distinct keys encode alike (NaNs are distinct
// keys), so that an unchanged session is never saved again.
func TestCodecStableOrder(t *testing.T) {
	values := map[interface{}]interface{}{"b": 2, "a": 1, 3: "c"}
	for i := range 5 {
		values[math.NaN()] = i
	}
	first, err := encode(record{Values: values})
	if err != nil {
		t.Fatal(err)
	}
	for range 50 {
		again, err := encode(record{Values: values})
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(again, first) {
			t.Fatalf("the same session encoded to other bytes:\n%x\n%x", first, again)
		}
	}
}
