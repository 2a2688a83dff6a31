package tasks

import (
	"encoding/binary"
	"errors"
	"time"
)

// Snapshot is the whole list as a store returned it at one moment: what
// the task list's memoized query keeps in the cache.
type Snapshot struct {
	Tasks    []Task    `json:"tasks"`
	Source   string    `json:"source"` // where the tasks were loaded from: the store's Kind
	LoadedAt time.Time `json:"loaded_at"`
}

// MarshalBinary encodes the snapshot for the memoized query's cache: the
// count, then each task's ID, title and update time, then the source and
// load time, as varints and length-prefixed strings, times in Unix
// nanoseconds. Every page past the view cache decodes it, and with JSON
// that was a sixth of such a page's time at 20 tasks.
func (s Snapshot) MarshalBinary() ([]byte, error) {
	b := binary.AppendUvarint(nil, uint64(len(s.Tasks)))
	for _, t := range s.Tasks {
		b = binary.AppendVarint(b, t.ID)
		b = appendString(b, t.Title)
		b = binary.AppendVarint(b, t.UpdatedAt.UnixNano())
	}
	b = appendString(b, s.Source)
	return binary.AppendVarint(b, s.LoadedAt.UnixNano()), nil
}

// UnmarshalBinary decodes what MarshalBinary encoded. The cache may hold
// anything under the key: whatever does not decode exactly is an error,
// which the memoized query takes as a miss.
func (s *Snapshot) UnmarshalBinary(data []byte) error {
	r := binaryReader{data: data, text: string(data)}
	n := r.uvarint()
	if n > MaxTasks {
		return errBadSnapshot
	}
	s.Tasks = make([]Task, n)
	for i := range s.Tasks {
		s.Tasks[i] = Task{ID: r.varint(), Title: r.string(), UpdatedAt: time.Unix(0, r.varint())}
	}
	s.Source = r.string()
	s.LoadedAt = time.Unix(0, r.varint())
	if r.bad || len(r.data) > 0 {
		return errBadSnapshot
	}
	return nil
}

var errBadSnapshot = errors.New("bad encoded task list")

func appendString(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

// binaryReader reads what Snapshot.MarshalBinary wrote, and remembers
// whether anything was missing or malformed. Its strings are slices of
// text, one copy of the whole data, rather than an allocation each.
//
// It is this package's own, though other codecs read varints the same
// way: sharing one reader would take a package of its own, imported by
// codecs that need different things of it (strings cut from one copy
// here, bytes elsewhere), for some thirty lines.
type binaryReader struct {
	data []byte
	text string // the data, as a string
	bad  bool
}

func (r *binaryReader) uvarint() uint64 {
	v, n := binary.Uvarint(r.data)
	if n <= 0 {
		r.bad, n = true, 0
	}
	r.data = r.data[n:]
	return v
}

func (r *binaryReader) varint() int64 {
	v, n := binary.Varint(r.data)
	if n <= 0 {
		r.bad, n = true, 0
	}
	r.data = r.data[n:]
	return v
}

func (r *binaryReader) string() string {
	n := r.uvarint()
	if n > uint64(len(r.data)) {
		r.bad = true
		return ""
	}
	at := len(r.text) - len(r.data)
	r.data = r.data[n:]
	return r.text[at : at+int(n)]
}
