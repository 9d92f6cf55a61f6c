package agent

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/corral-dev/corral/event"
)

var fixedTime = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func fixedNow() time.Time { return fixedTime }

// readLines returns the lines of a fixture.
func readLines(t testing.TB, path string) [][]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		out = append(out, bytes.Clone(sc.Bytes()))
	}
	return out
}

// decodeAll decodes lines (stdout) and checks the invariants every decoder
// keeps: each line yields at least one event, the first event of a JSON
// line carries the line as Raw, every Raw and Data is valid JSON, and
// events are stamped by the injected clock.
func decodeAll(t testing.TB, c Conn, lines [][]byte) []event.Event {
	t.Helper()
	var all []event.Event
	for i, l := range lines {
		var evs []event.Event
		c.Decode(Stdout, l, func(e event.Event) { evs = append(evs, e) })
		if len(evs) == 0 {
			t.Fatalf("line %d yielded no event: %s", i+1, l)
		}
		if json.Valid(l) && !bytes.Equal(evs[0].Raw, l) {
			t.Fatalf("line %d: first event %s has Raw %q", i+1, evs[0].Kind, evs[0].Raw)
		}
		for _, e := range evs {
			if e.Data != nil && !json.Valid(e.Data) {
				t.Fatalf("line %d: %s has invalid Data %s", i+1, e.Kind, e.Data)
			}
			if e.Raw != nil && !json.Valid(e.Raw) {
				t.Fatalf("line %d: %s has invalid Raw", i+1, e.Kind)
			}
			if !e.Time.Equal(fixedTime) {
				t.Fatalf("line %d: clock not used", i+1)
			}
			if e.Kind == event.ParseError {
				t.Fatalf("line %d of a recorded stream did not parse: %s", i+1, e.Data)
			}
		}
		all = append(all, evs...)
	}
	return all
}

func kinds(evs []event.Event, kind string) []event.Event {
	var out []event.Event
	for _, e := range evs {
		if e.Kind == kind {
			out = append(out, e)
		}
	}
	return out
}

func data[T any](t testing.TB, e event.Event) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(e.Data, &v); err != nil {
		t.Fatalf("%s data %s: %v", e.Kind, e.Data, err)
	}
	return v
}

// deltaText joins the delta text events of kind.
func deltaText(t testing.TB, evs []event.Event, kind string) string {
	s := ""
	for _, e := range kinds(evs, kind) {
		if d := data[TextData](t, e); d.Delta {
			s += d.Text
		}
	}
	return s
}

func fixture(cli, name string) string {
	return filepath.Join("testdata", cli, name+".jsonl")
}

// lastCompleted returns the data of the last turn.completed event.
func lastCompleted(t testing.TB, evs []event.Event) TurnCompletedData {
	t.Helper()
	tc := kinds(evs, event.TurnCompleted)
	if len(tc) == 0 {
		t.Fatal("no turn.completed")
	}
	return data[TurnCompletedData](t, tc[len(tc)-1])
}

// failedRun names a recorded run that ends in a failed turn and the turn
// error it must end with.
type failedRun struct {
	name   string
	code   string
	status int
}

// apiErrorRuns are the recorded runs against a model API that fails.
var apiErrorRuns = []failedRun{{"error-http500", CodeAPI, 500}, {"error-http429", CodeRateLimit, 429}, {"error-http401", CodeAuth, 401}}

// wantFailed checks that the last turn.completed of evs reports the
// failure run expects, and returns its error.
func wantFailed(t testing.TB, evs []event.Event, run failedRun) *TurnError {
	t.Helper()
	d := lastCompleted(t, evs)
	if d.OK || d.Error == nil || d.Error.Code != run.code || d.Error.HTTPStatus != run.status {
		t.Fatalf("%s: %+v", run.name, d.Error)
	}
	return d.Error
}

// nonJSONCases checks the shared handling of lines that are not JSON
// objects and of schema drift.
func nonJSONCases(t *testing.T, c Conn) {
	t.Helper()
	one := func(stream Stream, line string) event.Event {
		var evs []event.Event
		c.Decode(stream, []byte(line), func(e event.Event) { evs = append(evs, e) })
		if len(evs) != 1 {
			t.Fatalf("%q: %d events", line, len(evs))
		}
		return evs[0]
	}
	if e := one(Stderr, `{"type":"result"}`); e.Kind != event.Stderr || data[LineData](t, e).Text != `{"type":"result"}` {
		t.Fatalf("stderr line: %+v", e)
	}
	if e := one(Stdout, "plain progress text"); e.Kind != event.Stdout || e.Raw != nil {
		t.Fatalf("text line: %+v", e)
	}
	if e := one(Stdout, `{"type":"assistant","message":`); e.Kind != event.ParseError || e.Raw != nil || data[ParseErrorData](t, e).Line == "" {
		t.Fatalf("broken JSON: %+v", e)
	}
	if e := one(Stdout, "bad \xff utf8"); e.Kind != event.Stdout || !json.Valid(e.Data) {
		t.Fatalf("invalid UTF-8: %+v", e)
	}
}
