package store

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/corral-dev/corral/event"
)

func randomEvents(r *rand.Rand, n int, session string, firstCursor, firstSeq int64) []event.Event {
	evs := make([]event.Event, n)
	t := time.Unix(0, r.Int64N(1<<62))
	field := func(max int) []byte {
		if r.IntN(3) == 0 {
			return nil
		}
		return bytes.Repeat([]byte{byte('a' + r.IntN(26))}, 1+r.IntN(max))
	}
	for i := range evs {
		// Times may go backwards (clocks do); the delta encoding keeps them.
		t = t.Add(time.Duration(r.Int64N(2e9) - 5e8))
		evs[i] = event.Event{
			Seq: firstSeq + int64(i), Cursor: firstCursor + int64(i), SessionID: session, Time: t,
			Kind: string(field(20)), RunID: string(field(10)), ProcessID: string(field(10)),
		}
		if d := field(300); d != nil {
			evs[i].Data = json.RawMessage(d)
		}
		if d := field(3000); d != nil {
			evs[i].Raw = json.RawMessage(d)
		}
	}
	return evs
}

// TestBlockRoundTrip checks that every field of every event survives a
// block's encoding, absent fields included.
func TestBlockRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for round := 0; round < 200; round++ {
		n := 1 + r.IntN(blockMaxEvents)
		in := randomEvents(r, n, "s-1", r.Int64N(1e9), 1+r.Int64N(1e6))
		body := encodeBlock(nil, in)
		out, err := decodeBlock(nil, "s-1", in[0].Cursor, in[0].Seq, in[n-1].Seq, body)
		if err != nil {
			t.Fatal(err)
		}
		for i := range in {
			if !in[i].Time.Equal(out[i].Time) {
				t.Fatalf("event %d: time %v, read back %v", i, in[i].Time, out[i].Time)
			}
			out[i].Time = in[i].Time
		}
		if !reflect.DeepEqual(in, out) {
			t.Fatalf("round %d: read back\n%+v\nwant\n%+v", round, out, in)
		}
	}
}

// TestDecodeBlockRejectsDamage checks that a truncated, extended or
// mislabelled body is an error, and that a row claiming more events than
// its body holds is too.
func TestDecodeBlockRejectsDamage(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	in := randomEvents(r, 10, "s", 100, 1)
	body := encodeBlock(nil, in)
	cases := map[string]struct {
		body []byte
		last int64
	}{
		"empty":          {nil, 10},
		"unknown format": {append([]byte{9}, body[1:]...), 10},
		"truncated":      {body[:len(body)-1], 10},
		"trailing bytes": {append(bytes.Clone(body), 0), 10},
		"fewer events":   {body, 11},
		"more events":    {body, 9},
	}
	for name, c := range cases {
		if _, err := decodeBlock(nil, "s", 100, 1, c.last, c.body); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func FuzzDecodeBlock(f *testing.F) {
	r := rand.New(rand.NewPCG(5, 6))
	f.Add(encodeBlock(nil, randomEvents(r, 3, "s", 1, 1)), int64(3))
	f.Add([]byte{blockFormat}, int64(1))
	f.Add([]byte{blockFormat}, int64(0))
	// lastSeq is the fuzzed value itself, negative and huge ones included:
	// the row's columns come from the file as much as the body does. A
	// body decodes only into exactly lastSeq-firstSeq+1 events, at least
	// one; decodeBlock allocates by what it decodes, so a huge lastSeq
	// costs nothing but the error.
	f.Fuzz(func(t *testing.T, body []byte, lastSeq int64) {
		const firstSeq = 1
		evs, err := decodeBlock(nil, "s", 1, firstSeq, lastSeq, body)
		if err != nil {
			return
		}
		if lastSeq < firstSeq || int64(len(evs)) != lastSeq-firstSeq+1 {
			t.Fatalf("decoded %d events for seqs %d..%d without error", len(evs), firstSeq, lastSeq)
		}
	})
}

// TestMigrationMovesEventsIntoBlocks builds a version-1 file (an event per
// row), opens it, and checks that every event reads back the same, that the
// old table is gone and that new events continue the cursors and seqs.
func TestMigrationMovesEventsIntoBlocks(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "corral.db")
	db, err := sql.Open("sqlite", dsn(path, false))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, q := range []string{"PRAGMA page_size=16384", "PRAGMA journal_mode=WAL", migrations[0].sql, "PRAGMA user_version=1"} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatal(q, err)
		}
	}
	// Three streams interleaved, runs of various lengths, a gap in the
	// cursors (a deleted session) and a stream trimmed at its front.
	r := rand.New(rand.NewPCG(7, 8))
	sessions := []string{"", "s-a", "s-b"}
	firstSeq := map[string]int64{"": 1, "s-a": 1, "s-b": 41}
	seq := map[string]int64{"": 0, "s-a": 0, "s-b": 40}
	want := map[string][]event.Event{}
	var cursor int64
	for i := 0; i < 150; i++ {
		s := sessions[r.IntN(3)]
		for k := 1 + r.IntN(90); k > 0; k-- {
			cursor++
			if i == 70 && k == 1 {
				cursor += 25
			}
			seq[s]++
			e := randomEvents(r, 1, s, cursor, seq[s])[0]
			want[s] = append(want[s], e)
		}
	}
	for sid, s := range sessions {
		if _, err := db.ExecContext(ctx, "INSERT INTO streams(sid, session_id, last_seq, first_seq, raw_from, events) VALUES(?,?,?,?,?,?)",
			sid+1, s, seq[s], firstSeq[s], firstSeq[s], len(want[s])); err != nil {
			t.Fatal(err)
		}
		for _, e := range want[s] {
			nul := func(v string) any {
				if v == "" {
					return nil
				}
				return v
			}
			if _, err := db.ExecContext(ctx, "INSERT INTO events(cursor, sid, seq, time, kind, run_id, proc_id, data, raw) VALUES(?,?,?,?,?,?,?,?,?)",
				e.Cursor, sid+1, e.Seq, e.Time.UnixNano(), e.Kind, nul(e.RunID), nul(e.ProcessID), []byte(e.Data), []byte(e.Raw)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := db.ExecContext(ctx, "UPDATE meta SET value=? WHERE key='cursor'", cursor); err != nil {
		t.Fatal(err)
	}
	db.Close()

	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, id := range sessions {
		got, err := s.Events(id, 0, MaxPage)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want[id]) {
			t.Fatalf("stream %q: %d events, want %d", id, len(got), len(want[id]))
		}
		for i := range got {
			w := want[id][i]
			if !got[i].Time.Equal(w.Time) {
				t.Fatalf("stream %q event %d: time", id, i)
			}
			got[i].Time = w.Time
			if !reflect.DeepEqual(got[i], w) {
				t.Fatalf("stream %q event %d:\n%+v\nwant\n%+v", id, i, got[i], w)
			}
		}
	}
	var n int
	if err := s.rdb.QueryRow("SELECT count(*) FROM sqlite_master WHERE name='events'").Scan(&n); err != nil || n != 0 {
		t.Fatalf("old events table still there (%d, %v)", n, err)
	}
	if v, err := schemaVersion(ctx, s.rdb); err != nil || v != SchemaVersion() {
		t.Fatalf("schema version %d (%v)", v, err)
	}
	out, err := s.AppendWait(ctx, event.Event{SessionID: "s-b", Kind: event.Stdout})
	if err != nil {
		t.Fatal(err)
	}
	if out[0].Cursor != cursor+1 || out[0].Seq != seq["s-b"]+1 {
		t.Fatalf("new event got cursor %d seq %d, want %d %d", out[0].Cursor, out[0].Seq, cursor+1, seq["s-b"]+1)
	}
}
