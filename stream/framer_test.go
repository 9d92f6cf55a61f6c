package stream

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// chunkReader returns its chunks one Read at a time, so tests control
// exactly where read boundaries fall.
type chunkReader struct {
	chunks []string
	err    error // returned after the last chunk; io.EOF when nil
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if len(c.chunks) == 0 {
		if c.err != nil {
			return 0, c.err
		}
		return 0, io.EOF
	}
	n := copy(p, c.chunks[0])
	c.chunks[0] = c.chunks[0][n:]
	if c.chunks[0] == "" {
		c.chunks = c.chunks[1:]
	}
	return n, nil
}

// out is a Line with its bytes copied, printable in test failures.
type out struct {
	S                           string
	Continued, Progress, Partia bool
}

func (o out) String() string {
	flags := ""
	if o.Continued {
		flags += "C"
	}
	if o.Progress {
		flags += "P"
	}
	if o.Partia {
		flags += "E"
	}
	return fmt.Sprintf("%q%s", o.S, flags)
}

// collect reads every line of f and the final error.
func collect(t testing.TB, f *Framer) ([]out, error) {
	t.Helper()
	var res []out
	for i := 0; ; i++ {
		l, err := f.Next()
		if err != nil {
			if l.Bytes != nil || l.Continued || l.Progress || l.Partial {
				t.Fatalf("Next returned a line with error %v", err)
			}
			return res, err
		}
		if i > 1<<24 {
			t.Fatal("framer does not terminate")
		}
		res = append(res, out{string(l.Bytes), l.Continued, l.Progress, l.Partial})
	}
}

func n(s string) out { return out{S: s} }
func p(s string) out { return out{S: s, Progress: true} }
func c(s string) out { return out{S: s, Continued: true} }
func e(s string) out { return out{S: s, Partia: true} }

func TestFramerChunks(t *testing.T) {
	tests := []struct {
		name    string
		chunks  []string
		maxLine int
		want    []out
	}{
		{"lf", []string{"a\nbb\n\nccc\n"}, 0, []out{n("a"), n("bb"), n(""), n("ccc")}},
		{"crlf", []string{"a\r\nbb\r\n"}, 0, []out{n("a"), n("bb")}},
		// go-cmd v1.4.4 returned "second\r" here.
		{"multi-line crlf chunk", []string{"first\r\nsecond\r\nthird\r\n"}, 0, []out{n("first"), n("second"), n("third")}},
		{"crlf split across reads", []string{"first\r", "\nsecond\r", "\n"}, 0, []out{n("first"), n("second")}},
		{"cr run before lf is one terminator", []string{"done\r\r\nnext\n"}, 0, []out{n("done"), n("next")}},
		{"cr run split before lf", []string{"done\r", "\r", "\r\n"}, 0, []out{n("done")}},
		{"progress replaced by final text", []string{"10%\r20%\r100%\n"}, 0, []out{n("100%")}},
		{"progress coalesced to latest", []string{"10%\r20%\r30%\r4", "0%\n"}, 0, []out{p("30%"), n("40%")}},
		// "3" is complete only once "done\n" is buffered too, which supersedes it.
		{"progress one per read", []string{"1\r", "2\r", "3\r", "done\n"}, 0, []out{p("1"), p("2"), n("done")}},
		{"tqdm style leading cr", []string{"\r 10%", "\r 20%", "\r 30%", "\r 40%\n"}, 0, []out{p(" 10%"), p(" 20%"), n(" 40%")}},
		{"empty updates never emitted", []string{"\r\r\r", "x\n"}, 0, []out{n("x")}},
		{"cr at eof is bare", []string{"50%\r"}, 0, []out{p("50%")}},
		{"cr run at eof", []string{"50%\r\r\r"}, 0, []out{p("50%")}},
		{"progress then partial", []string{"a\rb"}, 0, []out{p("a"), e("b")}},
		{"partial last line", []string{"a\nb"}, 0, []out{n("a"), e("b")}},
		{"partial after crlf", []string{"a\r\nb"}, 0, []out{n("a"), e("b")}},
		{"empty input", nil, 0, nil},
		{"only newline", []string{"\n"}, 0, []out{n("")}},
		{"cut long line", []string{"abcdefghij\n"}, 4, []out{c("abcd"), c("efgh"), n("ij")}},
		{"cut across reads", []string{"abc", "def", "ghij\n"}, 4, []out{c("abcd"), c("efgh"), n("ij")}},
		{"exactly max line is not cut", []string{"abcd", "\nefgh", "\r", "\n"}, 4, []out{n("abcd"), n("efgh")}},
		{"exactly max line partial", []string{"abcd"}, 4, []out{e("abcd")}},
		{"cut partial", []string{"abcdefg"}, 4, []out{c("abcd"), e("efg")}},
		{"update dropped whole when never started", []string{"abcdefg\rxy\n"}, 4, []out{n("xy")}},
		{"cut progress update", []string{"abcdefg", "\rxy\n"}, 4, []out{c("abcd"), p("efg"), n("xy")}},
		{"cut update not coalesced", []string{"abcdef", "g\rxy\rz"}, 4, []out{c("abcd"), p("efg"), p("xy"), e("z")}},
		{"cut final text after updates", []string{"x\rabcdefg\n"}, 4, []out{c("abcd"), n("efg")}},
		{"nul and invalid utf8 kept", []string{"a\x00b\xff\xfe\n\xc3\n"}, 0, []out{n("a\x00b\xff\xfe"), n("\xc3")}},
		{"escape sequences kept", []string{"\x1b[31mred\x1b[0m\n"}, 0, []out{n("\x1b[31mred\x1b[0m")}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			chunks := append([]string(nil), tc.chunks...)
			f := NewFramer(&chunkReader{chunks: chunks}, Options{MaxLine: tc.maxLine, BufSize: 16})
			got, err := collect(t, f)
			if err != io.EOF {
				t.Fatalf("final error = %v, want io.EOF", err)
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Fatalf("got  %v\nwant %v", got, tc.want)
			}
			// The reference model must agree with every expectation above.
			checkFraming(t, strings.Join(tc.chunks, ""), got, tc.maxLine)
		})
	}
}

func TestFramerReadError(t *testing.T) {
	boom := errors.New("boom")
	f := NewFramer(&chunkReader{chunks: []string{"a\nb"}, err: boom}, Options{})
	got, err := collect(t, f)
	if !errors.Is(err, boom) {
		t.Fatalf("error = %v, want boom", err)
	}
	if want := []out{n("a"), e("b")}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	// Sticky.
	if _, err := f.Next(); !errors.Is(err, boom) {
		t.Fatalf("second error = %v", err)
	}
}

func TestFramerEOFSticky(t *testing.T) {
	f := NewFramer(strings.NewReader("x"), Options{})
	if _, err := collect(t, f); err != io.EOF {
		t.Fatal(err)
	}
	if _, err := f.Next(); err != io.EOF {
		t.Fatalf("after EOF: %v", err)
	}
}

type zeroReader struct{}

func (zeroReader) Read([]byte) (int, error) { return 0, nil }

func TestFramerNoProgress(t *testing.T) {
	_, err := NewFramer(zeroReader{}, Options{}).Next()
	if !errors.Is(err, io.ErrNoProgress) {
		t.Fatalf("err = %v, want io.ErrNoProgress", err)
	}
}

// Readers from testing/iotest split reads at every byte or return data with
// the error; the result must not change.
func TestFramerReaderShapes(t *testing.T) {
	input := "one\r\ntwo\rthree\n\xff\x00\r\n10%\r20%\r" + strings.Repeat("z", 40) + "\nend"
	for _, maxLine := range []int{0, 3, 16} {
		for name, mk := range map[string]func(io.Reader) io.Reader{
			"plain":   func(r io.Reader) io.Reader { return r },
			"onebyte": iotest.OneByteReader,
			"half":    iotest.HalfReader,
			"dataerr": iotest.DataErrReader,
		} {
			t.Run(fmt.Sprintf("%s/max%d", name, maxLine), func(t *testing.T) {
				f := NewFramer(mk(strings.NewReader(input)), Options{MaxLine: maxLine, BufSize: 8})
				got, err := collect(t, f)
				if err != io.EOF {
					t.Fatal(err)
				}
				checkFraming(t, input, got, maxLine)
			})
		}
	}
}

// floodReader produces n bytes of "x\r" updates with no newline.
type floodReader struct{ left, reads int }

func (r *floodReader) Read(p []byte) (int, error) {
	r.reads++
	if r.left == 0 {
		return 0, io.EOF
	}
	k := min(len(p), r.left)
	for i := range k {
		if (r.left-i)%2 == 0 {
			p[i] = 'x'
		} else {
			p[i] = '\r'
		}
	}
	r.left -= k
	return k, nil
}

// A flood of '\r' updates with no newline never grows the buffer and yields
// at most one Progress line per read.
func TestFramerProgressFloodBounded(t *testing.T) {
	const size = 64 << 20
	rd := &floodReader{left: size}
	f := NewFramer(rd, Options{MaxLine: 1 << 20, BufSize: 64 << 10})
	lines := 0
	for {
		l, err := f.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if !l.Progress || string(l.Bytes) != "x" {
			t.Fatalf("line %d = %q progress=%v", lines, l.Bytes, l.Progress)
		}
		lines++
	}
	if len(f.buf) != 64<<10 {
		t.Fatalf("buffer grew to %d", len(f.buf))
	}
	if lines > rd.reads {
		t.Fatalf("%d progress lines for %d reads: not coalesced", lines, rd.reads)
	}
	if lines == 0 {
		t.Fatal("no progress line")
	}
}

// A run of '\r' longer than the whole buffer (no other byte) must not
// wedge the framer: the run is as good as one '\r'.
func TestFramerCRRunLongerThanBuffer(t *testing.T) {
	for _, tail := range []string{"\n", "y\n", ""} {
		input := "abc" + strings.Repeat("\r", 300) + tail
		f := NewFramer(iotest.HalfReader(strings.NewReader(input)), Options{MaxLine: 8, BufSize: 4})
		got, err := collect(t, f)
		if err != io.EOF {
			t.Fatal(err)
		}
		checkFraming(t, input, got, 8)
		if len(f.buf) > 10 {
			t.Fatalf("buffer grew to %d, limit is MaxLine+2", len(f.buf))
		}
	}
}

func TestFramerLongLineNeverLost(t *testing.T) {
	line := bytes.Repeat([]byte("0123456789"), 1_000_000) // 10 MB
	input := append(append(line, '\n'), "after\n"...)
	f := NewFramer(bytes.NewReader(input), Options{})
	var got []byte
	parts := 0
	for {
		l, err := f.Next()
		if err != nil {
			t.Fatal(err)
		}
		if len(l.Bytes) > DefaultMaxLine {
			t.Fatalf("part of %d bytes", len(l.Bytes))
		}
		got = append(got, l.Bytes...)
		parts++
		if !l.Continued {
			break
		}
	}
	if !bytes.Equal(got, line) || parts != 10 {
		t.Fatalf("reassembled %d bytes in %d parts, want %d in 10", len(got), parts, len(line))
	}
	if l, err := f.Next(); err != nil || string(l.Bytes) != "after" {
		t.Fatalf("next line = %q, %v", l.Bytes, err)
	}
	if len(f.buf) > DefaultMaxLine+2 {
		t.Fatalf("buffer %d exceeds MaxLine+2", len(f.buf))
	}
}

// checkFraming verifies lines against a reference model of the framing
// rules that does not depend on read boundaries:
//
//   - joining each run of Continued parts with its final part gives logical
//     lines; every Continued part is exactly MaxLine bytes and every part at
//     most MaxLine;
//   - for each '\n'-terminated input line (trailing '\r' run removed), the
//     logical lines are zero or more Progress lines, each a non-empty
//     '\r'-separated update of that line (in order, a subsequence: the rest
//     were coalesced), then exactly one normal line equal to the text after
//     the last '\r';
//   - the bytes after the last '\n' give Progress updates likewise, then a
//     Partial line equal to the last update unless they end with '\r'; if
//     they end with '\r', the last non-empty update is always delivered.
//
// With no '\r' in the input this means the parts, each followed by "\n"
// unless Continued or Partial, concatenate to exactly the input.
func checkFraming(t testing.TB, input string, lines []out, maxLine int) {
	t.Helper()
	if maxLine <= 0 {
		maxLine = DefaultMaxLine
	}
	type logical struct {
		s                 string
		progress, partial bool
	}
	var logicals []logical
	var cur strings.Builder
	for i, l := range lines {
		if len(l.S) > maxLine {
			t.Fatalf("line %d: %d bytes > MaxLine %d", i, len(l.S), maxLine)
		}
		if l.Continued {
			if len(l.S) != maxLine || l.Progress || l.Partia {
				t.Fatalf("line %d: bad continued part %v", i, l)
			}
			cur.WriteString(l.S)
			continue
		}
		if cur.Len() > 0 && l.S == "" {
			t.Fatalf("line %d: empty final part after a cut", i)
		}
		if l.Progress && l.Partia {
			t.Fatalf("line %d: both Progress and Partial", i)
		}
		cur.WriteString(l.S)
		logicals = append(logicals, logical{cur.String(), l.Progress, l.Partia})
		cur.Reset()
	}
	if cur.Len() > 0 {
		t.Fatalf("output ends with a Continued part")
	}

	pos := 0
	next := func() (logical, bool) {
		if pos == len(logicals) {
			return logical{}, false
		}
		pos++
		return logicals[pos-1], true
	}
	// expectUpdates consumes Progress lines matching updates in order.
	expectUpdates := func(what string, updates []string) {
		u := 0
		for pos < len(logicals) && logicals[pos].progress {
			for u < len(updates) && updates[u] != logicals[pos].s {
				u++
			}
			if u == len(updates) {
				t.Fatalf("%s: progress line %q is not a pending update of %q (all lines %v)", what, logicals[pos].s, updates, lines)
			}
			u++
			pos++
		}
	}
	rest := input
	for {
		i := strings.IndexByte(rest, '\n')
		if i < 0 {
			break
		}
		line := strings.TrimRight(rest[:i], "\r")
		rest = rest[i+1:]
		segs := strings.Split(line, "\r")
		expectUpdates(fmt.Sprintf("line %q", line), nonEmpty(segs[:len(segs)-1]))
		l, ok := next()
		if !ok || l.progress || l.partial || l.s != segs[len(segs)-1] {
			t.Fatalf("line %q: got %+v (ok=%v), want normal %q; all lines %v", line, l, ok, segs[len(segs)-1], lines)
		}
	}
	if rest != "" {
		segs := strings.Split(rest, "\r")
		updates := nonEmpty(segs[:len(segs)-1])
		expectUpdates(fmt.Sprintf("tail %q", rest), updates)
		if last := segs[len(segs)-1]; last != "" {
			l, ok := next()
			if !ok || !l.partial || l.s != last {
				t.Fatalf("tail %q: got %+v, want partial %q; all lines %v", rest, l, last, lines)
			}
		} else if len(updates) > 0 {
			if pos == 0 || !logicals[pos-1].progress || logicals[pos-1].s != updates[len(updates)-1] {
				t.Fatalf("tail %q: last update %q not delivered; all lines %v", rest, updates[len(updates)-1], lines)
			}
		}
	}
	if pos != len(logicals) {
		t.Fatalf("extra lines %v after the input was accounted for; all lines %v", logicals[pos:], lines)
	}
}

func nonEmpty(ss []string) []string {
	var r []string
	for _, s := range ss {
		if s != "" {
			r = append(r, s)
		}
	}
	return r
}

// fuzzReader splits data into reads whose sizes come from sizes.
type fuzzReader struct {
	data  []byte
	sizes []byte
}

func (r *fuzzReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	k := len(r.data)
	if len(r.sizes) > 0 {
		k = int(r.sizes[0])%7 + 1
		r.sizes = r.sizes[1:]
	}
	k = min(k, len(p), len(r.data))
	copy(p, r.data[:k])
	r.data = r.data[k:]
	return k, nil
}

func FuzzFramer(f *testing.F) {
	seeds := []string{
		"a\nb\r\nc", "first\r\nsecond\r\nthird\r\n", "10%\r20%\r100%\n", "\r 1\r 2\r 3",
		"x\r\r\r\ny", "abcdefghij\n", "a\x00b\xff\n\xc3", "\r\r\r", "\n\n\r\n", "50%\r",
		"abcdefg\rxy\rz", strings.Repeat("x\r", 50) + "\n",
	}
	for _, s := range seeds {
		f.Add([]byte(s), []byte{3, 1, 4, 1, 5}, uint8(4))
		f.Add([]byte(s), []byte(nil), uint8(0))
	}
	f.Fuzz(func(t *testing.T, input, sizes []byte, maxLine uint8) {
		ml := int(maxLine % 12) // 0 means the default
		fr := NewFramer(&fuzzReader{data: input, sizes: sizes}, Options{MaxLine: ml, BufSize: int(maxLine%5) + 1})
		got, err := collect(t, fr)
		if err != io.EOF {
			t.Fatalf("error %v", err)
		}
		checkFraming(t, string(input), got, ml)
		if bytes.IndexByte(input, '\r') < 0 {
			// Without '\r' the output is exactly the input.
			var b strings.Builder
			for _, l := range got {
				b.WriteString(l.S)
				if !l.Continued && !l.Partia {
					b.WriteByte('\n')
				}
			}
			if b.String() != string(input) {
				t.Fatalf("reconstructed %q from %q", b.String(), input)
			}
		}
	})
}
