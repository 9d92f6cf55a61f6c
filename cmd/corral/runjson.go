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

// jsonWriter writes the lines of `corral run --json`. The child's reader
// copies each output line into a pending batch; a goroutine takes the
// whole batch whenever it holds anything, checks each line (is it a JSON
// document, UTF-8 text or bytes?), encodes it (by hand: no reflection, no
// allocation per line) and writes it, one write for the batch. A lone line
// is written at once; a flood is written in large batches, checked,
// encoded and written while the reader reads and frames the next lines (on
// another core when there is one).
// Every line it writes is one complete JSON value followed by "\n".
//
// All methods are safe for concurrent use; output must be called in Seq
// order per stream (proc's Sink calls are). close writes what is pending
// and returns when it is written.
type jsonWriter struct {
	w    io.Writer
	mu   sync.Mutex
	cond sync.Cond // pending lines, room in the batch, or the writer's end
	// pending is the batch not yet taken by the writing goroutine; spare
	// the one it took last, reused for the next batch.
	pending, spare jsonBatch
	closed         bool
	failed         bool // a write failed: later lines are dropped
	done           chan struct{}
	inCut          [3]bool // guarded by mu; per stream: the last line was a Continued part

	// The writing goroutine's own.
	out       []byte    // the encoded batch
	stamp     time.Time // the time stampText holds
	stampText []byte    // `"…"`: stamp as encoding/json writes a time.Time
}

// jsonBatch holds lines waiting for the writing goroutine: their bytes are
// raw, back to back.
type jsonBatch struct {
	lines []pendingLine
	raw   []byte
}

// pendingLine is one line of a jsonBatch: n bytes of raw.
type pendingLine struct {
	o     proc.Output // without Bytes: o.Bytes aliases the framer's buffer
	n     int
	whole bool // a whole line, not a part of a cut line: it may be JSON
	value bool // raw holds the line as written (a restart or exit line)
}

// size is what a batch weighs against jsonPending: its bytes, and a
// little for each line, so that a flood of empty lines is bounded too.
func (b *jsonBatch) size() int { return len(b.raw) + 64*len(b.lines) }

func (b *jsonBatch) reset() {
	b.lines, b.raw = b.lines[:0], b.raw[:0]
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
		for len(j.pending.lines) == 0 && !j.closed {
			j.cond.Wait()
		}
		if len(j.pending.lines) == 0 {
			return
		}
		b := j.pending
		j.pending, j.spare = j.spare, jsonBatch{}
		j.cond.Broadcast() // room for a waiting producer
		j.mu.Unlock()
		j.out = j.encode(j.out[:0], &b)
		_, err := j.w.Write(j.out)
		j.mu.Lock()
		b.reset()
		j.spare = b
		if err != nil {
			j.failed = true
			j.pending.reset()
			j.cond.Broadcast() // a producer waiting for room drops its line now
		}
	}
}

// encode appends the output lines of b to dst.
func (j *jsonWriter) encode(dst []byte, b *jsonBatch) []byte {
	off := 0
	for _, l := range b.lines {
		raw := b.raw[off : off+l.n]
		off += l.n
		if l.value {
			dst = append(dst, raw...)
			continue
		}
		if j.stampText == nil || l.o.Time != j.stamp {
			// Lines framed from one read share its time: format it once.
			j.stamp = l.o.Time
			if t, err := l.o.Time.MarshalJSON(); err == nil {
				j.stampText = append(j.stampText[:0], t...)
			} else {
				j.stampText = append(j.stampText[:0], `"0001-01-01T00:00:00Z"`...)
			}
		}
		o := l.o
		o.Bytes = raw
		dst = appendOutputKind(dst, o, j.stampText, kindOf(raw, l.whole))
	}
	return dst
}

// lock waits for room in the pending batch and returns locked.
func (j *jsonWriter) lock() {
	j.mu.Lock()
	for j.pending.size() >= jsonPending && !j.failed && !j.closed {
		j.cond.Wait()
	}
}

// unlock hands what was added to the writing goroutine. It wakes that
// goroutine only when the batch was empty before: otherwise it is
// writing, and takes the new lines when it is done.
func (j *jsonWriter) unlock(wasEmpty bool) {
	if j.failed {
		j.pending.reset()
	}
	if wasEmpty && len(j.pending.lines) > 0 {
		j.cond.Broadcast()
	}
	j.mu.Unlock()
}

// output queues the line of one output line. What the line is (a JSON
// document, text or bytes) is checked by the writing goroutine, off the
// path that reads the child's output: on a flood, that check is the
// largest cost per line.
func (j *jsonWriter) output(o proc.Output) {
	j.lock()
	// A cut line's parts, its last one included, are never embedded as
	// JSON: only a whole line is a JSON document. (A JSON document is
	// UTF-8: as the last part of a cut line it is text.)
	s := int(o.Stream) % len(j.inCut)
	whole := !o.Continued && !j.inCut[s]
	j.inCut[s] = o.Continued
	empty := len(j.pending.lines) == 0
	j.pending.raw = append(j.pending.raw, o.Bytes...)
	n := len(o.Bytes)
	o.Bytes = nil
	j.pending.lines = append(j.pending.lines, pendingLine{o: o, n: n, whole: whole})
	j.unlock(empty)
}

// value queues v (the restart and exit lines) as encoding/json encodes it.
func (j *jsonWriter) value(v any) {
	b, err := json.Marshal(v)
	if err != nil {
		return
	}
	j.lock()
	empty := len(j.pending.lines) == 0
	j.pending.raw = append(append(j.pending.raw, b...), '\n')
	j.pending.lines = append(j.pending.lines, pendingLine{n: len(b) + 1, value: true})
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
	return appendOutputKind(dst, o, stamp, kindOf(o.Bytes, whole))
}

// lineKind is how a line is carried in `corral run --json`.
type lineKind uint8

const (
	kindJSON  lineKind = iota // "json": the line itself
	kindText                  // "text": a JSON string
	kindBytes                 // "bytes": base64, "binary": true
)

// kindOf says how line is carried; whole says it is a whole line.
func kindOf(line []byte, whole bool) lineKind {
	switch {
	case whole && jsonDocument(line):
		return kindJSON
	case utf8.Valid(line):
		return kindText
	}
	return kindBytes
}

// appendOutputKind is appendOutputLine for a line whose kind is known.
func appendOutputKind(dst []byte, o proc.Output, stamp []byte, kind lineKind) []byte {
	dst = append(dst, `{"stream":"`...)
	dst = append(dst, o.Stream.String()...)
	dst = append(dst, `","seq":`...)
	dst = strconv.AppendUint(dst, o.Seq, 10)
	dst = append(dst, `,"time":`...)
	dst = append(dst, stamp...)
	switch b := o.Bytes; kind {
	case kindJSON:
		dst = append(dst, `,"json":`...)
		dst = append(dst, b...)
	case kindText:
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
