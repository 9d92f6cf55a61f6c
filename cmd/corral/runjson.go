package main

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"io"
	"math/bits"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/corral-dev/corral/proc"
	"github.com/corral-dev/corral/stream"
)

// jsonPending is how many bytes of `corral run --json` output may wait for
// the writing goroutine before the child's reader waits too: a slow
// consumer slows the child, as it would without corral, once this much and
// the pipe's own buffer are full.
const jsonPending = 256 << 10

// jsonWriter writes the lines of `corral run --json`. Output lines are
// encoded by hand into one pending buffer (no reflection, no allocation per
// line) and a goroutine writes that buffer out whenever it holds anything:
// a lone line is written at once, and a flood of lines is written in large
// batches, one write for many lines, while the child's reader goes on.
// Every line it writes is one complete JSON value followed by "\n".
//
// All methods are safe for concurrent use; output must be called in Seq
// order per stream (proc's Sink calls are). close writes what is pending
// and returns when it is written.
type jsonWriter struct {
	w    io.Writer
	mu   sync.Mutex
	cond sync.Cond // pending data, room in buf, or the writer's end
	buf  []byte    // encoded, not yet taken by the writing goroutine
	// spare is the buffer the goroutine wrote last, reused for the next batch.
	spare  []byte
	closed bool
	failed bool // a write failed: later lines are dropped
	done   chan struct{}

	// Encoding state, guarded by mu.
	stamp     time.Time // the time stampText holds
	stampText []byte    // `"…"`: stamp as encoding/json writes a time.Time
	inCut     [3]bool   // per stream: the last line was a Continued part
}

func newJSONWriter(w io.Writer) *jsonWriter {
	j := &jsonWriter{w: w, done: make(chan struct{})}
	j.cond.L = &j.mu
	go j.run()
	return j
}

// run is the writing goroutine.
func (j *jsonWriter) run() {
	defer close(j.done)
	j.mu.Lock()
	defer j.mu.Unlock()
	for {
		for len(j.buf) == 0 && !j.closed {
			j.cond.Wait()
		}
		if len(j.buf) == 0 {
			return
		}
		out := j.buf
		j.buf, j.spare = j.spare[:0], nil
		j.cond.Broadcast() // room for a waiting producer
		j.mu.Unlock()
		_, err := j.w.Write(out)
		j.mu.Lock()
		j.spare = out[:0]
		if err != nil {
			j.failed = true
			j.buf = j.buf[:0]
			j.cond.Broadcast() // a producer waiting for room drops its line now
		}
	}
}

// lock waits for room in the pending buffer and returns locked.
func (j *jsonWriter) lock() {
	j.mu.Lock()
	for len(j.buf) >= jsonPending && !j.failed && !j.closed {
		j.cond.Wait()
	}
}

// unlock hands what was appended to the writing goroutine. It wakes that
// goroutine only when the buffer was empty before: otherwise it is
// writing, and takes the new lines when it is done.
func (j *jsonWriter) unlock(wasEmpty bool) {
	if j.failed {
		j.buf = j.buf[:0]
	}
	if wasEmpty && len(j.buf) > 0 {
		j.cond.Broadcast()
	}
	j.mu.Unlock()
}

// output writes the line of one output line.
func (j *jsonWriter) output(o proc.Output) {
	j.lock()
	if j.stampText == nil || o.Time != j.stamp {
		// Lines framed from one read share its time: format it once.
		j.stamp = o.Time
		if t, err := o.Time.MarshalJSON(); err == nil {
			j.stampText = append(j.stampText[:0], t...)
		} else {
			j.stampText = append(j.stampText[:0], `"0001-01-01T00:00:00Z"`...)
		}
	}
	s := int(o.Stream) % len(j.inCut)
	// A cut line's parts, its last one included, are never embedded as
	// JSON: only a whole line is a JSON document.
	whole := !o.Continued && !j.inCut[s]
	j.inCut[s] = o.Continued
	empty := len(j.buf) == 0
	j.buf = appendOutputLine(j.buf, o, j.stampText, whole)
	j.unlock(empty)
}

// value writes v (the restart and exit lines) as encoding/json encodes it.
func (j *jsonWriter) value(v any) {
	b, err := json.Marshal(v)
	if err != nil {
		return
	}
	j.lock()
	empty := len(j.buf) == 0
	j.buf = append(append(j.buf, b...), '\n')
	j.unlock(empty)
}

// close writes what is pending, stops the writing goroutine and waits for
// it. Lines given after close are dropped.
func (j *jsonWriter) close() {
	j.mu.Lock()
	j.closed = true
	j.cond.Broadcast()
	j.mu.Unlock()
	<-j.done
}

// appendOutputLine appends the `corral run --json` line of o to dst. stamp
// is o.Time as a JSON string. whole says o is a whole line, not a part of a
// cut line. The line is
//
//	{"stream":"stdout","seq":N,"time":"…",VALUE[,"continued":true][,"progress":true][,"partial":true]}
//
// where VALUE is "json":LINE when o.Bytes is a JSON document (see
// jsonDocument), "text":"…" for other UTF-8 lines, and
// "bytes":"BASE64","binary":true otherwise.
func appendOutputLine(dst []byte, o proc.Output, stamp []byte, whole bool) []byte {
	dst = append(dst, `{"stream":"`...)
	dst = append(dst, o.Stream.String()...)
	dst = append(dst, `","seq":`...)
	dst = strconv.AppendUint(dst, o.Seq, 10)
	dst = append(dst, `,"time":`...)
	dst = append(dst, stamp...)
	switch b := o.Bytes; {
	case whole && jsonDocument(b):
		dst = append(dst, `,"json":`...)
		dst = append(dst, b...)
	case utf8.Valid(b):
		dst = append(dst, `,"text":`...)
		dst = appendJSONString(dst, b)
	default:
		dst = append(dst, `,"bytes":"`...)
		dst = base64.StdEncoding.AppendEncode(dst, b)
		dst = append(dst, `","binary":true`...)
	}
	if o.Continued {
		dst = append(dst, `,"continued":true`...)
	}
	if o.Progress {
		dst = append(dst, `,"progress":true`...)
	}
	if o.Partial {
		dst = append(dst, `,"partial":true`...)
	}
	return append(dst, "}\n"...)
}

// jsonDocument reports whether line is, byte for byte, one JSON object or
// array of UTF-8: encoding/json.Valid and utf8.Valid accept it, and it has
// no whitespace before or after the value. Such a line is embedded as is,
// so the embedded value's text is exactly the line. Scalars (a line "42" or
// "true") stay text: a program printing numbers is not speaking JSON, and
// a consumer would lose precision in large ones.
func jsonDocument(line []byte) bool {
	n := len(line)
	if n < 2 {
		return false
	}
	if !(line[0] == '{' && line[n-1] == '}' || line[0] == '[' && line[n-1] == ']') {
		return false
	}
	return stream.ValidUTF8JSON(line)
}

const (
	lsb = 0x0101010101010101
	msb = 0x8080808080808080
)

// appendJSONString appends s, valid UTF-8, as a JSON string. It escapes
// what JSON requires — '"', '\\' and bytes below 0x20 — and copies the
// rest, scanning eight bytes at a time.
func appendJSONString(dst, s []byte) []byte {
	dst = append(dst, '"')
	start, i := 0, 0
	for i < len(s) {
		for i+8 <= len(s) {
			x := binary.LittleEndian.Uint64(s[i:])
			q := x ^ (lsb * '"')
			e := x ^ (lsb * '\\')
			// The lowest flagged byte is exact (borrows only run upward).
			m := ((q - lsb) &^ q) | ((e - lsb) &^ e) | ((x - lsb*0x20) &^ x)
			if m &= msb; m != 0 {
				i += bits.TrailingZeros64(m) / 8
				goto special
			}
			i += 8
		}
		for ; i < len(s); i++ {
			if c := s[i]; c == '"' || c == '\\' || c < 0x20 {
				goto special
			}
		}
		break
	special:
		dst = append(dst, s[start:i]...)
		dst = appendEscape(dst, s[i])
		i++
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

func appendEscape(dst []byte, c byte) []byte {
	switch c {
	case '"', '\\':
		return append(dst, '\\', c)
	case '\n':
		return append(dst, '\\', 'n')
	case '\r':
		return append(dst, '\\', 'r')
	case '\t':
		return append(dst, '\\', 't')
	}
	const hex = "0123456789abcdef"
	return append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
}
