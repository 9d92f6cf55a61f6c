package stream

import (
	"bytes"
	"errors"
	"io"
)

// DefaultMaxLine is the line size limit used when Options.MaxLine is not
// positive: 1 MiB.
const DefaultMaxLine = 1 << 20

// DefaultBufSize is the read buffer size used when Options.BufSize is not
// positive: 64 KiB, the size of a Linux pipe buffer.
const DefaultBufSize = 64 << 10

// Options configures a Framer. The zero value is ready to use.
type Options struct {
	// MaxLine is the largest line returned in one piece; longer lines are
	// cut into Continued parts. <= 0 means DefaultMaxLine.
	MaxLine int
	// BufSize is the initial read buffer size; <= 0 means DefaultBufSize.
	BufSize int
}

// Line is one framed line.
type Line struct {
	// Bytes is the line without its terminator ("\n", "\r\n" or a bare
	// "\r"). It aliases the Framer's buffer and is valid only until the next
	// call to Next, like bufio.Scanner.Bytes: copy it to keep it.
	Bytes []byte
	// Continued reports that the line was longer than MaxLine: this part was
	// cut and more parts of the same line follow. The final part has
	// Continued false.
	Continued bool
	// Progress reports that a bare '\r' ended this line: it is a progress
	// update that replaces the previous Progress line. The next non-Progress
	// line is the final text that replaces them all.
	Progress bool
	// Partial reports that the stream ended (EOF or a read error) without a
	// terminator after these bytes.
	Partial bool
}

// Framer splits a byte stream into lines. It is not safe for concurrent use.
type Framer struct {
	rd    io.Reader
	buf   []byte
	r, w  int // buffered, unconsumed bytes are buf[r:w]
	nlOK  int // buf[r:r+nlOK] is known to hold no '\n'
	limit int // the buffer never grows beyond this
	max   int // MaxLine
	cont  bool
	err   error // sticky read error, io.EOF at the end
}

// NewFramer returns a Framer reading from r.
func NewFramer(r io.Reader, opt Options) *Framer {
	if opt.MaxLine <= 0 {
		opt.MaxLine = DefaultMaxLine
	}
	if opt.BufSize <= 0 {
		opt.BufSize = DefaultBufSize
	}
	// MaxLine+2 bytes always hold either more than MaxLine decided bytes
	// (a part can be cut) or a run of at least two '\r' (which can shrink).
	limit := max(opt.BufSize, opt.MaxLine+2)
	return &Framer{
		rd:    r,
		buf:   make([]byte, opt.BufSize),
		limit: limit,
		max:   opt.MaxLine,
	}
}

// maxEmptyReads bounds how often a Reader may return 0, nil in a row before
// Next gives up with io.ErrNoProgress, as bufio does.
const maxEmptyReads = 100

// Next returns the next line. After the last line it returns io.EOF. A read
// error other than io.EOF is returned once the bytes read before it have
// been delivered (the last of them with Partial set). Errors are sticky:
// every later call returns the same error.
func (f *Framer) Next() (Line, error) {
	for {
		data := f.buf[f.r:f.w]

		// Common case: a '\n' is buffered.
		if nl := bytes.IndexByte(data[f.nlOK:], '\n'); nl >= 0 {
			nl += f.nlOK
			line := data[:nl]
			if bytes.IndexByte(line, '\r') < 0 {
				return f.emit(line, 0, nl+1, false), nil
			}
			return f.lineWithCR(line), nil
		}
		f.nlOK = len(data)

		// No '\n' buffered. Find the end of the decided bytes: a run of '\r'
		// at the very end may still turn out to precede a '\n', unless the
		// stream has ended.
		t := len(data)
		if f.err == nil {
			for t > 0 && data[t-1] == '\r' {
				t--
			}
		}
		if bytes.IndexByte(data[:t], '\r') >= 0 {
			if l, ok := f.progress(data, t); ok {
				return l, nil
			}
			continue // only empty updates were buffered; they were consumed
		}

		// No terminator at all in data[:t].
		if t > f.max {
			// More than MaxLine bytes of one line: cut a part. (Exactly
			// MaxLine bytes wait for the next byte, so that a line of
			// MaxLine bytes is never cut into a full part and an empty one.)
			return f.emit(data[:f.max], 0, f.max, true), nil
		}
		if f.err != nil {
			if len(data) > 0 {
				l := f.emit(data, 0, len(data), false)
				l.Partial = true
				return l, nil
			}
			return Line{}, f.err
		}
		f.fill(t)
	}
}

// emit returns buf[r+start : r+start+len(b)] as a line (b must be that
// slice), consuming consumed bytes from r. A part of exactly MaxLine bytes
// cut from a longer line is passed with cut set.
func (f *Framer) emit(b []byte, start, consumed int, cut bool) Line {
	if len(b) > f.max {
		// The whole line and its terminator were buffered at once (a line
		// just over MaxLine, or BufSize > MaxLine): it must still be cut.
		b = b[:f.max]
		consumed = start + f.max
		cut = true
	}
	f.r += consumed
	f.nlOK = max(f.nlOK-consumed, 0)
	if f.r == f.w {
		f.r, f.w, f.nlOK = 0, 0, 0
	}
	f.cont = cut
	return Line{Bytes: b, Continued: cut}
}

// lineWithCR handles a buffered line (without its '\n') that holds a '\r'.
func (f *Framer) lineWithCR(line []byte) Line {
	nl := len(line)
	t := nl
	for t > 0 && line[t-1] == '\r' {
		t--
	}
	if f.cont {
		// The continuation of a cut line must not be coalesced away: it
		// ends at its first terminator.
		if c := bytes.IndexByte(line[:t], '\r'); c >= 0 {
			return f.bareCR(line, c)
		}
		return f.emit(line[:t], 0, nl+1, false)
	}
	k := bytes.LastIndexByte(line[:t], '\r')
	if k < 0 {
		return f.emit(line[:t], 0, nl+1, false)
	}
	// Earlier updates are superseded by the text after the last bare '\r'.
	return f.emit(line[k+1:t], k+1, nl+1, false)
}

// bareCR returns data[:c] as a Progress line, c being a bare '\r', and
// consumes the whole run of '\r' that starts there.
func (f *Framer) bareCR(data []byte, c int) Line {
	j := c
	for j < len(data) && data[j] == '\r' {
		j++
	}
	l := f.emit(data[:c], 0, j, false)
	l.Progress = !l.Continued
	return l
}

// progress handles buffered data with no '\n' and at least one bare '\r'
// in data[:t]. It reports false when it only consumed empty updates.
func (f *Framer) progress(data []byte, t int) (Line, bool) {
	if f.cont {
		return f.bareCR(data, bytes.IndexByte(data[:t], '\r')), true
	}
	k := bytes.LastIndexByte(data[:t], '\r')
	// The latest complete, non-empty update ends at the last '\r' before k
	// that follows a non-'\r' byte.
	end := k
	for end > 0 && data[end-1] == '\r' {
		end--
	}
	if end == 0 {
		f.consume(k + 1)
		return Line{}, false
	}
	start := bytes.LastIndexByte(data[:end], '\r') + 1
	if end-start > f.max {
		// A cut update: return its first part; the rest follows as the
		// continuation, ending at this same '\r'.
		return f.emit(data[start:start+f.max], start, start+f.max, true), true
	}
	l := f.emit(data[start:end], start, k+1, false)
	l.Progress = true
	return l, true
}

func (f *Framer) consume(n int) {
	f.r += n
	f.nlOK = max(f.nlOK-n, 0)
	if f.r == f.w {
		f.r, f.w, f.nlOK = 0, 0, 0
	}
}

// fill reads more bytes, recording a read error in f.err. The buffered
// bytes hold no terminator; t of them are decided and the rest is a run of
// '\r' at the end.
func (f *Framer) fill(t int) {
	if f.r > 0 {
		n := copy(f.buf, f.buf[f.r:f.w])
		f.r, f.w = 0, n
	}
	if f.w == len(f.buf) {
		if len(f.buf) < f.limit {
			nb := make([]byte, min(2*len(f.buf), f.limit))
			copy(nb, f.buf[:f.w])
			f.buf = nb
		} else {
			// The buffer is full (limit >= MaxLine+2) yet holds at most
			// MaxLine decided bytes: the rest is a run of '\r', and a run
			// means the same as a single '\r'. Keep one.
			if f.w-t < 2 {
				panic("stream: framer buffer full without a decidable line")
			}
			f.w = t + 1
			f.nlOK = min(f.nlOK, f.w)
		}
	}
	for range maxEmptyReads {
		n, err := f.rd.Read(f.buf[f.w:])
		if n < 0 || n > len(f.buf)-f.w {
			f.err = errors.New("stream: reader returned an invalid count")
			return
		}
		f.w += n
		if err != nil {
			f.err = err
			return
		}
		if n > 0 {
			return
		}
	}
	f.err = io.ErrNoProgress
}
