package cache

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"
)

// Lifetimes say how long the view cache, memoize and fragments serve an
// entry, counted from when it was stored.
type Lifetimes struct {
	// Fresh is how long the entry is served as it is. Zero serves it until
	// it is evicted or invalidated.
	Fresh time.Duration
	// Stale is how long after Fresh the entry is still served at once
	// while one refresh runs in the background, so that a popular entry
	// that expires never costs a visitor the wait for a new one
	// (stale-while-revalidate). Zero: none.
	Stale time.Duration
	// Grace is how long after Fresh the entry is served, marked as stale,
	// when producing a fresh one fails, say with the database down
	// (stale-if-error); an invalidated entry may be served so too. Zero:
	// none.
	Grace time.Duration
}

// envelope is what the layers store: a payload, the times that bound its
// use, and the version of each tag it carries when it was made.
type envelope struct {
	// fresh, stale and grace are Unix milliseconds until which the entry
	// is fresh, may be served while refreshed, and may rescue a failure;
	// math.MaxInt64 for never.
	fresh, stale, grace int64
	tags                []tagVersion
	body                []byte
}

// tagVersion is a tag and the version it had.
type tagVersion struct {
	tag, version string
}

// newEnvelope returns an entry made at now under the tag versions tags.
func newEnvelope(now time.Time, life Lifetimes, tags []tagVersion, body []byte) *envelope {
	e := &envelope{fresh: math.MaxInt64, stale: math.MaxInt64, grace: math.MaxInt64, tags: tags, body: body}
	if life.Fresh > 0 {
		e.fresh = now.Add(life.Fresh).UnixMilli()
		e.stale = e.fresh + max(life.Stale, 0).Milliseconds()
		e.grace = e.fresh + max(life.Grace, life.Stale, 0).Milliseconds()
	}
	return e
}

// ttl is how long memcached must keep the entry: until its grace window
// ends, or forever (0).
func (e *envelope) ttl(now time.Time) time.Duration {
	if e.grace == math.MaxInt64 {
		return 0
	}
	return max(time.Duration(e.grace-now.UnixMilli())*time.Millisecond, time.Millisecond)
}

// condition is how an entry may be used.
type condition int

const (
	// fresh: serve it.
	fresh condition = iota
	// stale: serve it, and refresh it in the background.
	stale
	// spent: make a new one; if that fails, it may be served instead.
	spent
	// dead: make a new one, and do without it.
	dead
)

// condition says how e may be used at now, when the tags it must carry
// have the versions current.
func (e *envelope) condition(now time.Time, current []tagVersion) condition {
	ms := now.UnixMilli()
	switch {
	case ms >= e.grace:
		return dead
	case !e.carries(current):
		return spent
	case ms < e.fresh:
		return fresh
	case ms < e.stale:
		return stale
	default:
		return spent
	}
}

// carries reports whether e was made under every tag version of current.
func (e *envelope) carries(current []tagVersion) bool {
	for _, want := range current {
		found := false
		for _, have := range e.tags {
			if have.tag == want.tag {
				found = have.version == want.version
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// entryMagic starts every stored entry.
const entryMagic = "entry1"

// encode writes the entry as "entry1 <fresh> <stale> <grace> <tags>\n",
// a line "<version> <tag>" per tag, and the payload.
func (e *envelope) encode() []byte {
	var b bytes.Buffer
	b.Grow(len(e.body) + 64 + 48*len(e.tags))
	b.WriteString(entryMagic)
	for _, n := range []int64{e.fresh, e.stale, e.grace, int64(len(e.tags))} {
		b.WriteByte(' ')
		b.WriteString(strconv.FormatInt(n, 10))
	}
	b.WriteByte('\n')
	for _, t := range e.tags {
		b.WriteString(t.version)
		b.WriteByte(' ')
		b.WriteString(t.tag)
		b.WriteByte('\n')
	}
	b.Write(e.body)
	return b.Bytes()
}

// errBadEntry is why a stored value is not used.
var errBadEntry = errors.New("cache: invalid cached entry")

// maxEntryTags bounds the tags of an entry read back.
const maxEntryTags = 64

// decodeEnvelope reads an entry written by encode. The cache may be shared
// with other programs, so anything else is an error.
func decodeEnvelope(data []byte) (*envelope, error) {
	line, rest, ok := bytes.Cut(data, []byte{'\n'})
	if !ok {
		return nil, fmt.Errorf("%w: no header", errBadEntry)
	}
	fields := bytes.Fields(line)
	if len(fields) != 5 || string(fields[0]) != entryMagic {
		return nil, fmt.Errorf("%w: header %.40q", errBadEntry, line)
	}
	var n [4]int64
	for i := range n {
		v, err := strconv.ParseInt(string(fields[i+1]), 10, 64)
		if err != nil || v < 0 {
			return nil, fmt.Errorf("%w: header %.40q", errBadEntry, line)
		}
		n[i] = v
	}
	if n[3] > maxEntryTags {
		return nil, fmt.Errorf("%w: %d tags", errBadEntry, n[3])
	}
	e := &envelope{fresh: n[0], stale: n[1], grace: n[2], tags: make([]tagVersion, n[3])}
	for i := range e.tags {
		line, rest, ok = bytes.Cut(rest, []byte{'\n'})
		version, tag, found := bytes.Cut(line, []byte{' '})
		if !ok || !found || len(version) == 0 {
			return nil, fmt.Errorf("%w: tag line %.40q", errBadEntry, line)
		}
		e.tags[i] = tagVersion{tag: string(tag), version: string(version)}
	}
	e.body = rest
	return e, nil
}
