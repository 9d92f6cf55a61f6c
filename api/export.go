package api

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"strings"

	"github.com/corral-dev/corral/event"
	"github.com/corral-dev/corral/session"
)

// Export formats.
const (
	FormatMarkdown = "markdown" // a readable transcript
	FormatJSONL    = "jsonl"    // one stored event per line, as GetEvents returns it
)

// ExportSource is what an export reads: the session and its log, paged
// forwards by Seq (Sessions implements it, and so does the store's reader
// in `corral export`).
type ExportSource interface {
	Get(ctx context.Context, sessionID string) (session.Info, error)
	Events(ctx context.Context, sessionID string, since int64, limit int) ([]event.Event, bool, error)
}

// ExportSessionParams ask for a session's export. Since continues an export
// after the part that ended at Next (0: from the start).
type ExportSessionParams struct {
	SessionID string `json:"sessionId"`
	Format    string `json:"format"`
	Since     int64  `json:"since,omitempty"`
}

// ExportSessionResult is one part of a session's export: Content is to be
// appended to what the earlier parts gave. While More is set, ask again
// with Since = Next. FileName and MediaType suit the whole file.
type ExportSessionResult struct {
	FileName  string `json:"fileName"`
	MediaType string `json:"mediaType"`
	Content   string `json:"content"`
	Next      int64  `json:"next"`
	More      bool   `json:"more"`
}

// checkFormat refuses a format other than markdown and jsonl.
func checkFormat(format string) error {
	if format != FormatMarkdown && format != FormatJSONL {
		return Errorf(CodeInvalidArgument, "format must be %q or %q, not %q", FormatMarkdown, FormatJSONL, format)
	}
	return nil
}

// ExportFileName is the file name an export of a session is saved under.
func ExportFileName(sessionID, format string) string {
	safe := strings.Map(func(r rune) rune {
		if r == '-' || r == '_' || r == '.' || ('a' <= r && r <= 'z') || ('A' <= r && r <= 'Z') || ('0' <= r && r <= '9') {
			return r
		}
		return '_'
	}, sessionID)
	if format == FormatJSONL {
		return "corral-" + safe + ".jsonl"
	}
	return "corral-" + safe + ".md"
}

func mediaType(format string) string {
	if format == FormatJSONL {
		return "application/x-ndjson"
	}
	return "text/markdown; charset=utf-8"
}

// exporter writes one format.
type exporter struct {
	format string
	w      io.Writer
	md     *mdWriter
	err    error
}

func newExporter(format string, w io.Writer) *exporter {
	x := &exporter{format: format, w: w}
	if format == FormatMarkdown {
		x.md = &mdWriter{w: w}
	}
	return x
}

func (x *exporter) header(in session.Info) {
	if x.md != nil {
		x.md.header(in)
	}
}

func (x *exporter) event(ev event.Event) {
	if x.md != nil {
		x.md.event(ev)
		return
	}
	if x.err != nil {
		return
	}
	b, err := json.Marshal(readable(ev))
	if err == nil {
		b = append(b, '\n')
		_, err = x.w.Write(b)
	}
	x.err = err
}

// readable returns ev, or, when its data or raw line is not JSON (a
// damaged or foreign log; json.Marshal would refuse the event and end the
// export), ev with its data replaced by an explicit unreadable-event
// object holding both as strings and no raw line.
func readable(ev event.Event) event.Event {
	badData := len(ev.Data) > 0 && !json.Valid(ev.Data)
	badRaw := len(ev.Raw) > 0 && !json.Valid(ev.Raw)
	if !badData && !badRaw {
		return ev
	}
	what := "data"
	if !badData {
		what = "raw line"
	}
	ev.Data, _ = json.Marshal(map[string]any{"unreadableEvent": true, "error": "the event's " + what + " is not valid JSON",
		"data": string(ev.Data), "raw": string(ev.Raw)})
	ev.Raw = nil
	return ev
}

// end writes what the exporter still holds.
func (x *exporter) end() error {
	if x.md != nil {
		x.md.flush()
		return x.md.err
	}
	return x.err
}

// WriteExport writes the whole export of a session to w, reading its log
// one page (MaxEventsPage events) at a time; at no point does it hold more
// than a page and one assistant message. ctx ends it early.
func WriteExport(ctx context.Context, src ExportSource, sessionID, format string, w io.Writer) error {
	if err := checkFormat(format); err != nil {
		return err
	}
	in, err := src.Get(ctx, sessionID)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	x := newExporter(format, bw)
	x.header(in)
	var since int64
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		evs, more, err := src.Events(ctx, sessionID, since, MaxEventsPage)
		if err != nil {
			return err
		}
		for _, ev := range evs {
			x.event(ev)
			since = ev.Seq
		}
		if !more || len(evs) == 0 {
			break
		}
	}
	if err := x.end(); err != nil {
		return err
	}
	return bw.Flush()
}

// ExportSession returns a session as a Markdown transcript or as JSON
// Lines, one part (at most MaxEventsPage events) per call: a client asks
// with since = next while more is set and concatenates the parts.
func (a *API) ExportSession(ctx context.Context, p ExportSessionParams) (ExportSessionResult, error) {
	if err := required("sessionId", p.SessionID); err != nil {
		return ExportSessionResult{}, err
	}
	if err := checkFormat(p.Format); err != nil {
		return ExportSessionResult{}, err
	}
	if p.Since < 0 {
		return ExportSessionResult{}, Errorf(CodeInvalidArgument, "since must not be negative")
	}
	in, err := a.sessions.Get(ctx, p.SessionID)
	if err != nil {
		return ExportSessionResult{}, err
	}
	evs, more, err := a.sessions.Events(ctx, p.SessionID, p.Since, MaxEventsPage)
	if err != nil {
		return ExportSessionResult{}, err
	}
	var b strings.Builder
	x := newExporter(p.Format, &b)
	if p.Since == 0 {
		x.header(in)
	}
	next := p.Since
	for _, ev := range evs {
		x.event(ev)
		next = ev.Seq
	}
	if more && len(evs) > 0 && x.md != nil && x.md.pendingSeq > evs[0].Seq {
		// The part ends inside an assistant message arriving as deltas:
		// the next part starts at its first delta, so the whole message
		// that follows them replaces them there.
		next = x.md.pendingSeq - 1
		x.md.drop()
	}
	more = more && len(evs) > 0
	if err := x.end(); err != nil {
		return ExportSessionResult{}, err
	}
	return ExportSessionResult{FileName: ExportFileName(p.SessionID, p.Format), MediaType: mediaType(p.Format),
		Content: b.String(), Next: next, More: more}, nil
}
