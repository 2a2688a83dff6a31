package cache

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// A hole is a personal part of a cached page, such as the header's
// account box or a flash message: Views stores the page with its holes
// empty and fills them for each request it answers (see
// ViewOptions.Fill and Hole).
type hole struct {
	at   int    // where the hole is in the stored body
	name string // what fills it
}

// filledBody is a page's body with its holes filled.
type filledBody []byte

// maxHoleName bounds a hole's name, and maxHoles how many holes a stored
// page may have.
const (
	maxHoleName = 64
	maxHoles    = 64
)

// Hole returns what a page rendered for r writes in place of its hole
// name, and true, when Views is recording the page of a route with holes
// (ViewOptions.Fill): a mark, which Views takes out of the page it stores
// and fills, on every answer, for the request it answers. Otherwise it
// returns "" and false, and the caller renders the hole's content in
// place, as for a page that is not cached.
//
// The mark is HTML text: write it where the hole's content goes, as
// template.HTML, in the page's text (not inside a tag or an attribute).
// A name is at most 64 letters, digits, '-', '_' or '.'; for any other,
// Hole returns false and the page is not stored.
func Hole(r *http.Request, name string) (string, bool) {
	rec, ok := r.Context().Value(recordingKey{}).(*recording)
	if !ok || rec.holes == nil {
		return "", false
	}
	if !validHoleName(name) {
		rec.noStore.Store(true)
		return "", false
	}
	rec.holes.count.Add(1)
	return rec.holes.prefix + name + holeEnd, true
}

// holeMarks is what the page that Views is recording writes for its
// holes: marks that begin with a prefix of its own, unknown outside this
// process, so that no text in the page, such as a visitor's input, can
// pass for one.
type holeMarks struct {
	prefix string       // "<!--hole:" and a random nonce
	count  atomic.Int32 // how many marks the page was given
}

// holeEnd ends a hole's mark.
const holeEnd = "-->"

// newHoleMarks returns the marks of one recording.
func newHoleMarks() *holeMarks {
	var nonce [12]byte
	rand.Read(nonce[:])
	return &holeMarks{prefix: "<!--hole:" + hex.EncodeToString(nonce[:]) + ":"}
}

// take returns body without its holes' marks, and where each was. It
// reports false if the page lost a mark, or garbled one: one written
// inside an attribute, say, which the template escaped. The page must
// not be stored then; its holes that were found are still filled.
func (m *holeMarks) take(body []byte) ([]byte, []hole, bool) {
	prefix := []byte(m.prefix)
	if !bytes.Contains(body, prefix) {
		return body, nil, m.count.Load() == 0
	}
	out := make([]byte, 0, len(body))
	var holes []hole
	for {
		i := bytes.Index(body, prefix)
		if i < 0 {
			break
		}
		out = append(out, body[:i]...)
		body = body[i+len(prefix):]
		name, rest, ok := bytes.Cut(body, []byte(holeEnd))
		if !ok || !validHoleName(string(name)) {
			return append(out, body...), holes, false
		}
		holes = append(holes, hole{at: len(out), name: string(name)})
		body = rest
	}
	out = append(out, body...)
	return out, holes, len(holes) == int(m.count.Load())
}

// validHoleName reports whether name may name a hole.
func validHoleName(name string) bool {
	if name == "" || len(name) > maxHoleName {
		return false
	}
	for i := 0; i < len(name); i++ {
		switch c := name[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '-', c == '_', c == '.':
		default:
			return false
		}
	}
	return true
}

// answer writes p to w as write does, with its holes filled for req by
// the route's Fill. A request without cookies or credentials is a
// visitor the app knows nothing about, whose holes read the same for
// every such visitor: they are filled once per page in memory and shared.
// Any other gets its own, and when filling them read its session (marked
// it personal) or set a cookie, the answer is marked private, no-store,
// so that no cache in front of the app keeps it.
func (c *Cache) answer(w http.ResponseWriter, req *http.Request, rt *viewRoute, p *page, xcache string, head bool) {
	if len(p.holes) == 0 {
		p.write(w, xcache, head)
		return
	}
	h := w.Header()
	if anonymous(req) {
		body := p.public.Load()
		if last := rt.public.Load(); body == nil && last.fits(req, p) {
			body = &last.filled
			p.public.Store(body)
		}
		if body == nil {
			cookies := len(h.Values("Set-Cookie"))
			filled := filledBody(c.fill(req, rt, p))
			if len(h.Values("Set-Cookie")) == cookies {
				p.public.Store(&filled)
				rt.public.Store(&publicFill{path: req.URL.Path, query: req.URL.RawQuery, body: p.body, holes: p.holes, filled: filled})
			}
			body = &filled
		}
		p.send(w, *body, xcache, head)
		return
	}
	buf := fillBuffers.Get().(*[]byte)
	body := c.fillInto((*buf)[:0], req, rt, p)
	if IsPersonal(req) || len(h.Values("Set-Cookie")) > 0 {
		h.Set("Cache-Control", "private, no-store")
	}
	p.send(w, body, xcache, head)
	if cap(body) <= maxPooledFill {
		*buf = body
		fillBuffers.Put(buf)
	}
}

// fillBuffers hold pages filled for one visitor while they are sent, so
// that filling a page costs no allocation of its size; a buffer that grew
// past maxPooledFill for a large page is left to the garbage collector.
var fillBuffers = sync.Pool{New: func() any { return new([]byte) }}

const maxPooledFill = 64 << 10

// publicFill is a page with its holes filled for a visitor who carries
// nothing of theirs. A page read again from memcached, when there is no
// near cache to keep the one read before, is a new copy: if it is the same
// page, for the same address, it shares the filling.
type publicFill struct {
	path, query string
	body        []byte
	holes       []hole
	filled      filledBody
}

// fits reports whether f is p's filling for req.
func (f *publicFill) fits(req *http.Request, p *page) bool {
	return f != nil && f.path == req.URL.Path && f.query == req.URL.RawQuery &&
		slices.Equal(f.holes, p.holes) && bytes.Equal(f.body, p.body)
}

// anonymous reports whether req carries nothing of its visitor's: no
// cookie and no credentials.
func anonymous(req *http.Request) bool {
	return len(req.Header.Values("Cookie")) == 0 && len(req.Header.Values("Authorization")) == 0
}

// fill returns p's body with its holes filled for req. A hole whose Fill
// fails is left empty, and the failure logged: it never shows what it
// wrote before failing, nor anyone else's content.
func (c *Cache) fill(req *http.Request, rt *viewRoute, p *page) []byte {
	return c.fillInto(make([]byte, 0, len(p.body)+512), req, rt, p)
}

// fillInto is fill, appending the page to buf.
func (c *Cache) fillInto(buf []byte, req *http.Request, rt *viewRoute, p *page) []byte {
	out := &holeWriter{b: buf}
	at := 0
	for _, h := range p.holes {
		out.b = append(out.b, p.body[at:h.at]...)
		at = h.at
		if rt.opts.Fill == nil {
			continue
		}
		n := len(out.b)
		if err := rt.opts.Fill(out, req, h.name); err != nil {
			out.b = out.b[:n]
			c.log.record("hole "+h.name+" of "+req.URL.Path, err)
		}
	}
	return append(out.b, p.body[at:]...)
}

// holeWriter collects a page as its holes are filled.
type holeWriter struct{ b []byte }

func (w *holeWriter) Write(p []byte) (int, error) {
	w.b = append(w.b, p...)
	return len(p), nil
}

func (w *holeWriter) WriteString(s string) (int, error) {
	w.b = append(w.b, s...)
	return len(s), nil
}

// encodeHoles writes where p's holes are, a line each: "@", the offset,
// a space and the name.
func (p *page) encodeHoles(b *bytes.Buffer) {
	for _, h := range p.holes {
		b.WriteByte('@')
		b.WriteString(strconv.Itoa(h.at))
		b.WriteByte(' ')
		b.WriteString(h.name)
		b.WriteByte('\n')
	}
}

// decodeHole reads a line that encodeHoles wrote, for a body of length
// bytes, after the holes before it.
func decodeHole(line string, length int, before []hole) (hole, bool) {
	at, name, ok := strings.Cut(strings.TrimPrefix(line, "@"), " ")
	n, err := strconv.Atoi(at)
	if !ok || err != nil || n < 0 || n > length || !validHoleName(name) {
		return hole{}, false
	}
	if len(before) > 0 && n < before[len(before)-1].at {
		return hole{}, false
	}
	return hole{at: n, name: name}, true
}
