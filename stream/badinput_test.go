package stream

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/corral-dev/corral/stream/internal/corpus"
)

// The bad-input tests read a real child process through a pipe. The child
// is this test binary re-executed with helperEnv set (the os/exec
// TestHelperProcess pattern); TestMain hands control to helperMain.
const helperEnv = "CORRAL_STREAM_TEST_HELPER"

// helperMain writes one kind of bad output to stdout and exits.
func helperMain(mode string, args []string) {
	w := bufio.NewWriterSize(os.Stdout, 64<<10)
	defer func() {
		if err := w.Flush(); err != nil {
			os.Exit(3)
		}
		os.Exit(0)
	}()
	switch mode {
	case "bigline": // one 10 MB line, then a normal one
		chunk := bytes.Repeat([]byte("0123456789"), 100_000)
		for range 10 {
			w.Write(chunk)
		}
		w.WriteString("\nafter\n")
	case "binary": // invalid UTF-8 and NUL bytes, CRLF
		w.WriteString("nul\x00inside\n\xff\xfe\xfd\r\nhalf rune \xe2\x82\n\x00\n")
	case "progress": // a '\r' flood of MB updates and no newline, then a final line
		n, _ := strconv.Atoi(args[0])
		for i := range n {
			fmt.Fprintf(w, "\rdownloading %7d/%d", i+1, n)
		}
		w.WriteString("\rdone\n")
	case "nonewline": // the last line has no terminator
		w.WriteString("first\nsecond\r\nno newline at the end")
	case "volume": // N bytes of JSONL at full speed
		n, _ := strconv.ParseInt(args[0], 10, 64)
		block := volumeBlock()
		for n > 0 {
			k := min(int64(len(block)), n)
			w.Write(block[:k])
			n -= k
		}
	default:
		fmt.Fprintln(os.Stderr, "unknown helper mode", mode)
		os.Exit(2)
	}
}

// volumeBlock is 1 MiB of corpus lines; its lines are whole, so any number
// of whole blocks is whole lines.
func volumeBlock() []byte {
	var buf bytes.Buffer
	g := corpus.New(7)
	var line []byte
	for buf.Len() < 1<<20 {
		line = append(g.Append(line[:0]), '\n')
		buf.Write(line)
	}
	b := buf.Bytes()
	return b[:bytes.LastIndexByte(b[:1<<20], '\n')+1]
}

// startHelper starts the helper child in mode and returns a Framer on its
// stdout and a function that waits for it.
func startHelper(t *testing.T, opt Options, mode string, args ...string) (*Framer, func()) {
	t.Helper()
	cmd := exec.Command(os.Args[0], append([]string{"-test.run=^$"}, args...)...)
	cmd.Env = append(os.Environ(), helperEnv+"="+mode)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return NewFramer(out, opt), func() {
		t.Helper()
		if err := cmd.Wait(); err != nil {
			t.Fatalf("helper %s: %v", mode, err)
		}
	}
}

func TestChildTenMegabyteLine(t *testing.T) {
	f, wait := startHelper(t, Options{}, "bigline")
	var total, parts int
	for {
		l, err := f.Next()
		if err != nil {
			t.Fatal(err)
		}
		if len(l.Bytes) > DefaultMaxLine {
			t.Fatalf("part of %d bytes", len(l.Bytes))
		}
		for i, c := range l.Bytes {
			if c != "0123456789"[(total+i)%10] {
				t.Fatalf("part %d altered at byte %d", parts, i)
			}
		}
		total += len(l.Bytes)
		parts++
		if !l.Continued {
			break
		}
	}
	if total != 10_000_000 || parts != 10 {
		t.Fatalf("%d bytes in %d parts", total, parts)
	}
	got, err := collect(t, f)
	if err != io.EOF || fmt.Sprint(got) != fmt.Sprint([]out{n("after")}) {
		t.Fatalf("after the long line: %v, %v", got, err)
	}
	wait()
}

func TestChildBinaryOutput(t *testing.T) {
	f, wait := startHelper(t, Options{}, "binary")
	got, err := collect(t, f)
	wait()
	want := []out{n("nul\x00inside"), n("\xff\xfe\xfd"), n("half rune \xe2\x82"), n("\x00")}
	if err != io.EOF || fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("got %v, %v\nwant %v", got, err, want)
	}
}

func TestChildProgressFlood(t *testing.T) {
	const updates = 300_000 // about 8 MB of '\r' updates with no newline
	f, wait := startHelper(t, Options{MaxLine: 4096, BufSize: 16 << 10}, "progress", strconv.Itoa(updates))
	progress, prev := 0, 0
	var final []out
	for {
		l, err := f.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if !l.Progress {
			final = append(final, out{S: string(l.Bytes), Partia: l.Partial})
			continue
		}
		// Updates arrive in order, coalesced: the counter only goes up.
		var i, n int
		if _, err := fmt.Sscanf(strings.TrimSpace(string(l.Bytes)), "downloading %d/%d", &i, &n); err != nil || i <= prev || n != updates {
			t.Fatalf("progress %q after %d", l.Bytes, prev)
		}
		prev = i
		progress++
	}
	wait()
	if fmt.Sprint(final) != fmt.Sprint([]out{n("done")}) {
		t.Fatalf("final lines %v", final)
	}
	if progress == 0 || progress > updates/10 {
		t.Fatalf("%d progress lines for %d updates: not coalesced", progress, updates)
	}
	if len(f.buf) != 16<<10 {
		t.Fatalf("buffer grew to %d bytes", len(f.buf))
	}
	t.Logf("%d updates delivered as %d progress lines", updates, progress)
}

func TestChildNoTrailingNewline(t *testing.T) {
	f, wait := startHelper(t, Options{}, "nonewline")
	got, err := collect(t, f)
	wait()
	want := []out{n("first"), n("second"), e("no newline at the end")}
	if err != io.EOF || fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("got %v, %v", got, err)
	}
}

// TestChildVolume streams JSONL from a child at full speed through the
// framer and the decoder, checks every byte and line arrived, and that the
// heap stays small: nothing accumulates per line. 64 MiB always; 1 GiB with
// CORRAL_LONG=1 (and without -short).
func TestChildVolume(t *testing.T) {
	sizes := []int64{64 << 20}
	if !testing.Short() && os.Getenv("CORRAL_LONG") == "1" {
		sizes = append(sizes, 1<<30)
	}
	block := volumeBlock()
	blockLines := int64(bytes.Count(block, []byte("\n")))
	for _, size := range sizes {
		t.Run(strconv.FormatInt(size>>20, 10)+"MiB", func(t *testing.T) {
			size := size / int64(len(block)) * int64(len(block)) // whole lines
			f, wait := startHelper(t, Options{}, "volume", strconv.FormatInt(size, 10))
			var bytesSeen, lines, decodeErrs int64
			var peakHeap uint64
			var ms runtime.MemStats
			for {
				l, err := f.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				if l.Continued || l.Progress || l.Partial {
					t.Fatalf("line %d flagged %+v", lines, l)
				}
				bytesSeen += int64(len(l.Bytes)) + 1
				lines++
				if _, err := DecodeEnvelope(l.Bytes); err != nil {
					decodeErrs++
				}
				if lines%20000 == 0 {
					runtime.ReadMemStats(&ms)
					peakHeap = max(peakHeap, ms.HeapInuse)
				}
			}
			wait()
			if bytesSeen != size || lines != size/int64(len(block))*blockLines || decodeErrs != 0 {
				t.Fatalf("%d bytes, %d lines, %d decode errors; want %d bytes, %d lines",
					bytesSeen, lines, decodeErrs, size, size/int64(len(block))*blockLines)
			}
			if len(f.buf) != DefaultBufSize {
				t.Fatalf("buffer grew to %d", len(f.buf))
			}
			// The test binary itself holds a few MiB and per-line garbage
			// is collected; anything kept per line would grow with the
			// volume (64 MiB / 1 GiB) and cross this bound.
			if limit := uint64(32 << 20); peakHeap > limit {
				t.Fatalf("heap in use peaked at %d MiB", peakHeap>>20)
			}
			t.Logf("%d MiB, %d lines, peak heap in use %.1f MiB", size>>20, lines, float64(peakHeap)/(1<<20))
		})
	}
}
