package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/corral-dev/corral/proc"
	"github.com/corral-dev/corral/stream"
	"github.com/corral-dev/corral/stream/streambench"
)

// runLine is one output line of `corral run --json` as a consumer decodes
// it: once, with the child's line as a raw value.
type runLine struct {
	Stream    string          `json:"stream"`
	Seq       uint64          `json:"seq"`
	Time      time.Time       `json:"time"`
	JSON      json.RawMessage `json:"json"`
	Text      *string         `json:"text"`
	Bytes     []byte          `json:"bytes"`
	Binary    bool            `json:"binary"`
	Continued bool            `json:"continued"`
	Progress  bool            `json:"progress"`
	Partial   bool            `json:"partial"`
	Code      *int            `json:"code"`
}

// original returns the child's bytes the line carries, and which field
// carried them.
func (l runLine) original(t *testing.T) ([]byte, string) {
	t.Helper()
	n := 0
	var b []byte
	var field string
	if l.JSON != nil {
		n, b, field = n+1, l.JSON, "json"
	}
	if l.Text != nil {
		n, b, field = n+1, []byte(*l.Text), "text"
	}
	if l.Binary {
		n, b, field = n+1, l.Bytes, "bytes"
	}
	if n != 1 {
		t.Fatalf("line %+v carries %d of json, text and bytes, want exactly 1", l, n)
	}
	return b, field
}

// runJSONOn runs `corral run --json -- cat FILE` on content and decodes
// every line it prints.
func runJSONOn(t *testing.T, content []byte) ([]runLine, [][]byte) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "out")
	if err := os.WriteFile(file, content, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := corral(t, "run", "--data", t.TempDir(), "--json", "--", "cat", file)
	out, err := cmd.Output()
	if code := exitCode(t, err); code != 0 {
		t.Fatalf("code %d", code)
	}
	var lines []runLine
	var raw [][]byte
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		if !json.Valid(sc.Bytes()) || !utf8.Valid(sc.Bytes()) {
			t.Fatalf("not a JSON line of UTF-8: %.200q", sc.Bytes())
		}
		var l runLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, l)
		raw = append(raw, append([]byte(nil), sc.Bytes()...))
	}
	if len(lines) == 0 || lines[len(lines)-1].Stream != "exit" {
		t.Fatalf("no exit line last:\n%s", out)
	}
	return lines[:len(lines)-1], raw[:len(raw)-1]
}

func TestRunJSONEmbedsJSONLinesAsValues(t *testing.T) {
	obj := `{"type":"assistant","n":12345678901234567890,"s":"é \u00e9 \"q\" \\ \t","a":[1,{"b":null}],"x":1.50}`
	cases := []struct {
		line, field string
	}{
		{obj, "json"},
		{`[1,"two",{"3":[]}]`, "json"},
		{`{}`, "json"},
		{`plain text`, "text"},
		{` {"a":1}`, "text"}, // whitespace around: not byte for byte a document
		{`{"a":1}` + "\t", "text"},
		{`{"a":}`, "text"}, // invalid JSON
		{`{"a":1} {"b":2}`, "text"},
		{`42`, "text"}, // scalars stay text
		{`"quoted"`, "text"},
		{``, "text"},
		{"ctl \x01 \x1f nul \x00 esc \x1b[0m", "text"},
		{"not utf-8 \xff\xfe", "bytes"},
		{"{\"s\":\"\xc3\"}", "bytes"}, // JSON that is not UTF-8 is carried as bytes
	}
	var content []byte
	for _, c := range cases {
		content = append(append(content, c.line...), '\n')
	}
	lines, raw := runJSONOn(t, content)
	if len(lines) != len(cases) {
		t.Fatalf("%d output lines, want %d", len(lines), len(cases))
	}
	for i, c := range cases {
		l := lines[i]
		got, field := l.original(t)
		if field != c.field || !bytes.Equal(got, []byte(c.line)) {
			t.Errorf("line %q came back in %q as %q, want it in %q", c.line, field, got, c.field)
		}
		if l.Stream != "stdout" || l.Seq != uint64(i+1) || l.Time.IsZero() || l.Continued || l.Partial {
			t.Errorf("line %q: %+v", c.line, l)
		}
	}
	// One decode of corral's line gives the child's value, numbers as
	// written: the same as decoding the child's line itself.
	var once struct {
		JSON map[string]any `json:"json"`
	}
	dec := json.NewDecoder(bytes.NewReader(raw[0]))
	dec.UseNumber()
	if err := dec.Decode(&once); err != nil {
		t.Fatal(err)
	}
	var direct map[string]any
	dec = json.NewDecoder(strings.NewReader(obj))
	dec.UseNumber()
	if err := dec.Decode(&direct); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(once.JSON, direct) || once.JSON["n"] != json.Number("12345678901234567890") {
		t.Fatalf("decoded once %v, the line itself decodes to %v", once.JSON, direct)
	}
}

// A line longer than the 1 MiB line cap is cut into parts as before, and no
// part of it is embedded as JSON, even when the whole line is JSON.
func TestRunJSONCutLineStaysText(t *testing.T) {
	long := `{"k":"` + strings.Repeat("a", stream.DefaultMaxLine*2+100) + `"}`
	lines, _ := runJSONOn(t, []byte(long+"\n"+`{"after":true}`+"\n"))
	if len(lines) != 4 {
		t.Fatalf("%d lines, want 3 parts and the next line", len(lines))
	}
	var joined []byte
	for i, l := range lines[:3] {
		b, field := l.original(t)
		if field != "text" || l.Continued != (i < 2) {
			t.Fatalf("part %d: field %s continued %v", i, field, l.Continued)
		}
		if i < 2 && len(b) != stream.DefaultMaxLine {
			t.Fatalf("part %d has %d bytes", i, len(b))
		}
		joined = append(joined, b...)
	}
	if string(joined) != long {
		t.Fatal("the parts do not make up the line")
	}
	if b, field := lines[3].original(t); field != "json" || string(b) != `{"after":true}` {
		t.Fatalf("the line after a cut line: %s %q", field, b)
	}
}

func TestAppendOutputLineFlags(t *testing.T) {
	o := proc.Output{Stream: proc.Stderr, Seq: 7, Bytes: []byte(`{"a":1}`), Continued: true, Progress: true, Partial: true}
	got := string(appendOutputLine(nil, o, []byte(`"T"`), false))
	want := `{"stream":"stderr","seq":7,"time":"T","text":"{\"a\":1}","continued":true,"progress":true,"partial":true}` + "\n"
	if got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	o = proc.Output{Stream: proc.Stdout, Seq: 8, Bytes: []byte(`{"a":1}`), Partial: true}
	got = string(appendOutputLine(nil, o, []byte(`"T"`), true))
	want = `{"stream":"stdout","seq":8,"time":"T","json":{"a":1},"partial":true}` + "\n"
	if got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}

// checkOutputLine checks the property every output line must have: one
// line of valid UTF-8 JSON that gives back exactly the child's bytes.
func checkOutputLine(t *testing.T, line []byte, whole bool) {
	t.Helper()
	ts := time.Date(2026, 12, 5, 8, 0, 0, 123, time.UTC)
	stamp, _ := ts.MarshalJSON()
	o := proc.Output{Stream: proc.Stdout, Seq: 3, Time: ts, Bytes: line}
	out := appendOutputLine([]byte("prefix"), o, stamp, whole)
	if !bytes.HasPrefix(out, []byte("prefix")) {
		t.Fatal("dst was not appended to")
	}
	out = out[len("prefix"):]
	if bytes.IndexByte(out, '\n') != len(out)-1 {
		t.Fatalf("not exactly one line: %q", out)
	}
	if !json.Valid(out) || !utf8.Valid(out) {
		t.Fatalf("not valid JSON of UTF-8: %q", out)
	}
	var l runLine
	if err := json.Unmarshal(out, &l); err != nil {
		t.Fatal(err)
	}
	got, field := l.original(t)
	if !bytes.Equal(got, line) {
		t.Fatalf("%q came back as %q (in %s)", line, got, field)
	}
	isDoc := whole && utf8.Valid(line) && json.Valid(line) && len(line) > 0 &&
		(line[0] == '{' || line[0] == '[') && bytes.Equal(bytes.TrimSpace(line), line)
	if (field == "json") != isDoc {
		t.Fatalf("%q carried in %s", line, field)
	}
	if field == "json" {
		// Decoding once gives the value of the line itself.
		var a, b any
		if json.Unmarshal(l.JSON, &a) != nil || json.Unmarshal(line, &b) != nil || !reflect.DeepEqual(a, b) {
			t.Fatalf("%q embedded as %q", line, l.JSON)
		}
	}
	if l.Stream != "stdout" || l.Seq != 3 || !l.Time.Equal(ts) {
		t.Fatalf("header of %q: %+v", out, l)
	}
}

func FuzzOutputLine(f *testing.F) {
	for _, s := range []string{
		`{"a":1}`, `[1,2]`, ` {}`, `42`, "", "x\x00y", "\xff", "{\"a\":\"\xff\"}", `"\u2028"`,
		"\u2028\u2029 <>&", "tab\tcr\rbs\\q\"", `{"a":"b\"c"}`, "[\"\x7f\"]",
	} {
		f.Add([]byte(s), true)
	}
	f.Fuzz(func(t *testing.T, line []byte, whole bool) {
		if bytes.IndexByte(line, '\n') >= 0 {
			return // a framed line never holds its terminator
		}
		checkOutputLine(t, line, whole)
	})
}

func TestAppendJSONStringMatchesEncodingJSON(t *testing.T) {
	var all []byte
	for c := range 0x80 {
		all = append(all, byte(c))
	}
	for _, s := range []string{"", "a", `"`, `\`, "0123456\"89abcdef", "01234567\x01", strings.Repeat("é\x1f", 20), string(all)} {
		got := appendJSONString(nil, []byte(s))
		var back string
		if err := json.Unmarshal(got, &back); err != nil || back != s {
			t.Errorf("%q encoded as %s, decodes to %q (%v)", s, got, back, err)
		}
	}
}

// failWriter fails every write after the first n bytes.
type failWriter struct {
	mu sync.Mutex
	n  int
	b  bytes.Buffer
}

func (w *failWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.b.Len()+len(p) > w.n {
		return 0, errors.New("closed")
	}
	return w.b.Write(p)
}

// Lines from several goroutines arrive whole and in each one's order;
// close writes everything pending; a failed write drops later lines
// instead of blocking the child's reader.
func TestJSONWriter(t *testing.T) {
	var out bytes.Buffer
	var omu sync.Mutex
	j := newJSONWriter(writerFunc(func(p []byte) (int, error) {
		omu.Lock()
		defer omu.Unlock()
		return out.Write(p)
	}))
	var wg sync.WaitGroup
	const per = 20000
	for g := range 2 {
		wg.Go(func() {
			for i := range per {
				if g == 0 {
					j.output(proc.Output{Stream: proc.Stdout, Seq: uint64(i + 1), Bytes: []byte(`{"i":1}`)})
				} else {
					j.value(map[string]int{"g": 1, "i": i})
				}
			}
		})
	}
	wg.Wait()
	j.close()
	select {
	case <-j.done:
	default:
		t.Fatal("the writing goroutine still runs after close")
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 2*per {
		t.Fatalf("%d lines, want %d", len(lines), 2*per)
	}
	var seq, vi int
	for _, l := range lines {
		var v struct {
			Seq int `json:"seq"`
			G   *int
			I   int `json:"i"`
		}
		if err := json.Unmarshal([]byte(l), &v); err != nil {
			t.Fatalf("%q: %v", l, err)
		}
		if v.G != nil {
			if v.I != vi {
				t.Fatalf("value %d after %d", v.I, vi-1)
			}
			vi++
		} else if seq++; v.Seq != seq {
			t.Fatalf("seq %d after %d", v.Seq, seq-1)
		}
	}

	fw := &failWriter{n: 1000}
	j = newJSONWriter(fw)
	for i := range 100_000 { // far past jsonPending: must not block
		j.output(proc.Output{Stream: proc.Stdout, Seq: uint64(i + 1), Bytes: []byte(`{"i":1}`)})
	}
	j.close()
	if w := fw.b.Bytes(); len(w) > 1000 || len(w) > 0 && w[len(w)-1] != '\n' {
		t.Fatalf("%d bytes written before the failure: %q", len(w), w)
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// BenchmarkAppendOutputLine encodes the lines of the stream benchmark's
// corpus (Claude Code stream-json) as `corral run --json` does, with the
// time of one read shared by its lines.
func BenchmarkAppendOutputLine(b *testing.B) {
	path := filepath.Join(b.TempDir(), "corpus.jsonl")
	if err := streambench.WriteCorpus(path, 20_000, 1); err != nil {
		b.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	lines := bytes.Split(bytes.TrimSuffix(data, []byte("\n")), []byte("\n"))
	stamp, _ := time.Now().MarshalJSON()
	var dst []byte
	b.SetBytes(int64(len(data)) / int64(len(lines)))
	i := 0
	for b.Loop() {
		o := proc.Output{Stream: proc.Stdout, Seq: uint64(i + 1), Bytes: lines[i%len(lines)]}
		dst = appendOutputLine(dst[:0], o, stamp, true)
		i++
	}
}

// A reader waiting for room while a write hangs goes on, dropping its
// lines, once that write fails.
func TestJSONWriterFailureReleasesWaitingReader(t *testing.T) {
	release := make(chan struct{})
	j := newJSONWriter(writerFunc(func([]byte) (int, error) {
		<-release
		return 0, errors.New("gone")
	}))
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 200_000 {
			j.output(proc.Output{Stream: proc.Stdout, Seq: uint64(i + 1), Bytes: []byte(`{"i":1}`)})
		}
	}()
	for full := false; !full; {
		time.Sleep(time.Millisecond)
		j.mu.Lock()
		full = j.pending.size() >= jsonPending
		j.mu.Unlock()
	}
	close(release)
	<-done
	j.close()
}

// The batching writer writes, byte for byte, what the line-by-line encoder
// gives — the kind of each line decided from its bytes, cut lines as text
// — for corpus lines, adversarial lines and cut lines on both streams,
// whatever the batches and the read times; the buffer a line came in may
// be reused as soon as output returns.
func TestJSONWriterMatchesLineByLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "corpus.jsonl")
	if err := streambench.WriteCorpus(path, 300, 5); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var lines [][]byte
	lines = append(lines, bytes.Split(bytes.TrimSuffix(data, []byte("\n")), []byte("\n"))...)
	for _, s := range []string{
		`{"a":1}`, `[1,2]`, ` {}`, `{} `, `42`, "", "x\x00y", "\xff", "{\"a\":\"\xff\"}", `"\u2028"`,
		"{\"a\":\"\xed\xa0\x80\"}", `{"a":"\u12"}`, `{"a":1,}`, `[`, `{"a":"b\"c"}`, "[\"\x7f\"]",
		strings.Repeat("[", 10001) + strings.Repeat("]", 10001),
		`[1,2,3][4,5,6]`, // cut in two: its last part is JSON, and still text
	} {
		lines = append(lines, []byte(s))
	}
	var got bytes.Buffer
	j := newJSONWriter(&got)
	var want []byte
	inCut := [3]bool{}
	base := time.Date(2026, 12, 5, 8, 0, 0, 0, time.UTC)
	buf := make([]byte, 0, 1<<20)
	for i, l := range lines {
		split := i%7 == 3 || bytes.HasPrefix(l, []byte("[1,2,3]["))
		for k, part := range [][]byte{l[:len(l)/2], l[len(l)/2:]} {
			cut := split && k == 0
			if !split && k == 0 {
				part = l
			} else if !split {
				break
			}
			o := proc.Output{Stream: proc.StreamID(1 + i%2), Seq: uint64(i*2 + k + 1), Time: base.Add(time.Duration(i/5) * time.Millisecond),
				Bytes: append(buf[:0], part...), Continued: cut, Partial: i%11 == 0}
			s := int(o.Stream)
			stamp, _ := o.Time.MarshalJSON()
			want = appendOutputLine(want, o, stamp, !o.Continued && !inCut[s])
			inCut[s] = o.Continued
			j.output(o)
			for x := range o.Bytes { // the framer's buffer is reused
				o.Bytes[x] = '#'
			}
		}
	}
	j.close()
	if !bytes.Equal(got.Bytes(), want) {
		g, w := strings.Split(got.String(), "\n"), strings.Split(string(want), "\n")
		for i := range min(len(g), len(w)) {
			if g[i] != w[i] {
				t.Fatalf("line %d:\ngot  %.300s\nwant %.300s", i, g[i], w[i])
			}
		}
		t.Fatalf("%d lines, want %d", len(g), len(w))
	}
}
