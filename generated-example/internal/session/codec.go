package session

import (
	"bytes"
	"encoding/binary"
	"encoding/gob"
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"time"
)

// A stored session is a compact binary record, because gob, which
// gorilla/sessions uses, spends more time describing types than encoding
// a small session. Common types (string, bool, int, int64, float64,
// []byte, time.Time) have their own tags; any other value is gob-encoded
// on its own and needs gob.Register like in any gorilla store.
//
//	record: 's' version 1, created and last-seen Unix nanoseconds (varint),
//	        entry count (uvarint), then key and value of each entry, sorted
//	value:  a tag byte and the value's bytes

const recordVersion = 1

var errCorrupt = errors.New("session: corrupt record")

func encode(rec record) ([]byte, error) {
	return appendRecord(make([]byte, 0, 64), rec)
}

// appendRecord appends rec's encoding to b.
func appendRecord(b []byte, rec record) ([]byte, error) {
	b = append(b, 's', recordVersion)
	b = binary.AppendVarint(b, unixNano(rec.Created))
	b = binary.AppendVarint(b, unixNano(rec.LastSeen))
	b = binary.AppendUvarint(b, uint64(len(rec.Values)))
	// Entries are sorted, so equal sessions encode to equal bytes and a
	// change is a byte comparison: by the keys' encodings, which are
	// self-delimiting, then by the values' for the rare distinct keys that
	// encode alike (two NaNs, times that differ only in their monotonic
	// clock reading).
	var spaceForKeys [256]byte
	var spaceForEntries [8]entry
	keys, entries := spaceForKeys[:0], spaceForEntries[:0]
	for k, v := range rec.Values {
		start := len(keys)
		var err error
		if keys, err = appendValue(keys, k); err != nil {
			return nil, err
		}
		entries = append(entries, entry{start, len(keys), v})
	}
	slices.SortFunc(entries, func(x, y entry) int {
		if c := bytes.Compare(keys[x.start:x.end], keys[y.start:y.end]); c != 0 {
			return c
		}
		vx, _ := appendValue(nil, x.value)
		vy, _ := appendValue(nil, y.value)
		return bytes.Compare(vx, vy)
	})
	for _, e := range entries {
		b = append(b, keys[e.start:e.end]...)
		var err error
		if b, err = appendValue(b, e.value); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// entry is a session value, and where its key's encoding is.
type entry struct {
	start, end int
	value      interface{}
}

func decode(data []byte) (record, error) {
	var rec record
	if len(data) < 2 || data[0] != 's' || data[1] != recordVersion {
		return rec, errCorrupt
	}
	d := decoder{data: data[2:]}
	rec.Created = fromUnixNano(d.varint())
	rec.LastSeen = fromUnixNano(d.varint())
	n := d.uvarint()
	if d.err != nil || n > uint64(len(d.data)) {
		return rec, errCorrupt
	}
	rec.Values = make(map[interface{}]interface{}, n)
	for i := uint64(0); i < n; i++ {
		k := d.value()
		v := d.value()
		if d.err != nil {
			return rec, d.err
		}
		// A key Go cannot hash, such as a []byte, would panic below: only a
		// corrupt record holds one.
		if k == nil || !reflect.TypeOf(k).Comparable() {
			return rec, errCorrupt
		}
		rec.Values[k] = v
	}
	if len(d.data) != 0 {
		return rec, errCorrupt
	}
	return rec, nil
}

func appendValue(b []byte, v interface{}) ([]byte, error) {
	switch v := v.(type) {
	case string:
		return append(binary.AppendUvarint(append(b, 's'), uint64(len(v))), v...), nil
	case bool:
		if v {
			return append(b, 'T'), nil
		}
		return append(b, 'F'), nil
	case int:
		return binary.AppendVarint(append(b, 'i'), int64(v)), nil
	case int64:
		return binary.AppendVarint(append(b, 'I'), v), nil
	case float64:
		return binary.BigEndian.AppendUint64(append(b, 'f'), math.Float64bits(v)), nil
	case []byte:
		return appendBytes(append(b, 'B'), v), nil
	case time.Time:
		t, err := v.MarshalBinary()
		if err != nil {
			return nil, err
		}
		return appendBytes(append(b, 't'), t), nil
	}
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(&v); err != nil {
		return nil, fmt.Errorf("encode session value of type %T: %w (register it with gob.Register)", v, err)
	}
	return appendBytes(append(b, 'g'), buf.Bytes()), nil
}

func appendBytes(b, s []byte) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

// decoder reads a record; the first error sticks.
type decoder struct {
	data []byte
	err  error
}

func (d *decoder) fail() { d.err, d.data = errCorrupt, nil }

func (d *decoder) varint() int64 {
	v, n := binary.Varint(d.data)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.data = d.data[n:]
	return v
}

func (d *decoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.data)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.data = d.data[n:]
	return v
}

func (d *decoder) bytes() []byte {
	n := d.uvarint()
	if d.err != nil || n > uint64(len(d.data)) {
		d.fail()
		return nil
	}
	b := d.data[:n:n]
	d.data = d.data[n:]
	return b
}

func (d *decoder) value() interface{} {
	if d.err != nil || len(d.data) == 0 {
		d.fail()
		return nil
	}
	tag := d.data[0]
	d.data = d.data[1:]
	switch tag {
	case 's':
		return string(d.bytes())
	case 'T':
		return true
	case 'F':
		return false
	case 'i':
		return int(d.varint())
	case 'I':
		return d.varint()
	case 'f':
		if len(d.data) < 8 {
			d.fail()
			return nil
		}
		v := math.Float64frombits(binary.BigEndian.Uint64(d.data))
		d.data = d.data[8:]
		return v
	case 'B':
		return bytes.Clone(d.bytes())
	case 't':
		var t time.Time
		if err := t.UnmarshalBinary(d.bytes()); err != nil {
			d.fail()
		}
		return t
	case 'g':
		var v interface{}
		if err := gob.NewDecoder(bytes.NewReader(d.bytes())).Decode(&v); err != nil {
			d.fail()
		}
		return v
	}
	d.fail()
	return nil
}

func unixNano(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromUnixNano(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n)
}
