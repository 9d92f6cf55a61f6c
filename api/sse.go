package api

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/corral-dev/corral/event"
)

// EventSource feeds the event stream.
type EventSource interface {
	// Subscribe returns a subscription that yields, in Cursor order and
	// each once, every event with Cursor > since (only those of sessionID
	// when it is not empty): first the stored ones, then live ones as they
	// are committed.
	Subscribe(ctx context.Context, since int64, sessionID string) (Subscription, error)
}

// Subscription is one reader of the event stream.
type Subscription interface {
	// Events delivers batches in order. It is closed when the
	// subscription ends (Close, the source shutting down, or the reader
	// being cut off for falling too far behind); Err says why.
	Events() <-chan []event.Event
	// Err is the reason the subscription ended, once Events is closed.
	Err() error
	// Close ends the subscription; it is safe to call more than once.
	Close()
}

// sseFlushBytes is how much the writer buffers before flushing while more
// events are ready; when none are ready it flushes at once, so a quiet
// stream has no added latency and a busy one is written in large chunks.
const sseFlushBytes = 32 << 10

// handleEvents serves GET /api/events as Server-Sent Events:
//
//	id: <cursor>
//	event: <kind>
//	data: <the event as JSON>
//
// The resume point is the larger of the Last-Event-ID header and ?since=
// (a client sends both after a reconnect); ?session= filters to one
// session. A comment line is sent every Heartbeat so proxies and the client
// can tell a quiet stream from a dead one.
func (s *Server) handleEvents(w http.ResponseWriter, r *http.Request) {
	if s.opts.Events == nil {
		writeError(w, Errorf(CodeNotFound, "the event stream is not available"))
		return
	}
	since, err := s.resumePoint(r)
	if err != nil {
		writeError(w, Errorf(CodeInvalidArgument, "%v", err))
		return
	}
	ctx := r.Context()
	sub, err := s.opts.Events.Subscribe(ctx, since, r.URL.Query().Get("session"))
	if err != nil {
		writeError(w, AsError(err))
		return
	}
	defer sub.Close()

	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	bw := bufio.NewWriterSize(w, sseFlushBytes+4096)
	flush := func() bool {
		rc.SetWriteDeadline(time.Now().Add(s.opts.WriteTimeout)) // error ignored: unsupported only on non-net writers (tests)
		if bw.Flush() != nil {
			return false
		}
		return rc.Flush() == nil
	}
	// The first bytes tell the client the stream is live before any event.
	bw.WriteString(": corral events\n\n")
	if since > 0 {
		// The resume point as an id without data: a client that came with
		// ?since=now learns which cursor "now" was, so reconnecting before
		// any event arrives resumes there instead of skipping what was
		// committed while it was away.
		fmt.Fprintf(bw, "id: %d\n\n", since)
	}
	if !flush() {
		return
	}

	tick, stopTick := s.opts.NewTicker(s.opts.Heartbeat)
	defer stopTick()
	enc := newFrameEncoder(bw, &s.frames)
	events := sub.Events()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick:
			bw.WriteString(": ping\n\n")
			if !flush() {
				return
			}
		case batch, ok := <-events:
			if !ok {
				if err := sub.Err(); err != nil && !errors.Is(err, context.Canceled) {
					// Tell the client why, as a comment; it reconnects and
					// resumes from its last id.
					bw.WriteString(": closed: " + oneLine(err.Error()) + "\n\n")
					flush()
				}
				return
			}
			if !enc.write(batch) {
				return
			}
			// Coalesce what is already waiting, up to sseFlushBytes.
		drain:
			for bw.Buffered() < sseFlushBytes {
				select {
				case more, ok := <-events:
					if !ok {
						break drain
					}
					if !enc.write(more) {
						return
					}
				default:
					break drain
				}
			}
			if !flush() {
				return
			}
		}
	}
}

// resumePoint is max(Last-Event-ID, ?since=), 0 when neither is given.
// ?since=now starts at the newest committed event (only new events), for a
// client that loads history by other means (GetEvents) and then follows.
func (s *Server) resumePoint(r *http.Request) (int64, error) {
	var since int64
	for _, v := range []string{r.Header.Get("Last-Event-ID"), r.URL.Query().Get("since")} {
		if v == "" {
			continue
		}
		if v == "now" && s.opts.Head != nil {
			head, err := s.opts.Head()
			if err != nil {
				return 0, err
			}
			since = max(since, head)
			continue
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return 0, errors.New("since / Last-Event-ID must be a non-negative integer")
		}
		since = max(since, n)
	}
	return since, nil
}

// frameCache shares encoded frames between the streams of one server: with
// ten clients reading the same events, each is encoded once, not ten times.
// It is a direct-mapped table indexed by cursor; a slot holds the frame of
// one cursor, and an event's frame never changes (events are immutable once
// committed), so a hit is always right and a miss just encodes again.
type frameCache struct {
	slots [frameCacheSlots]atomic.Pointer[cachedFrame]
}

const frameCacheSlots = 4096

type cachedFrame struct {
	cursor int64
	b      []byte
}

func (c *frameCache) get(cursor int64) []byte {
	if f := c.slots[cursor%frameCacheSlots].Load(); f != nil && f.cursor == cursor {
		return f.b
	}
	return nil
}

func (c *frameCache) put(cursor int64, b []byte) {
	c.slots[cursor%frameCacheSlots].Store(&cachedFrame{cursor: cursor, b: b})
}

// frameEncoder writes events as SSE frames into a buffered writer.
type frameEncoder struct {
	bw    *bufio.Writer
	cache *frameCache
	buf   bytes.Buffer
	enc   *json.Encoder
}

func newFrameEncoder(bw *bufio.Writer, cache *frameCache) *frameEncoder {
	f := &frameEncoder{bw: bw, cache: cache}
	f.enc = json.NewEncoder(&f.buf)
	f.enc.SetEscapeHTML(false)
	return f
}

// frame encodes one event:
//
//	id: <cursor>\nevent: <kind>\ndata: <json>\n\n
//
// encoding/json never emits a raw newline inside a value (it compacts
// RawMessage too), so one data: line holds the event.
func (f *frameEncoder) frame(ev *event.Event) []byte {
	f.buf.Reset()
	if ev.Cursor > 0 {
		f.buf.WriteString("id: ")
		f.buf.WriteString(strconv.FormatInt(ev.Cursor, 10))
		f.buf.WriteByte('\n')
	}
	f.buf.WriteString("event: ")
	f.buf.WriteString(oneLine(ev.Kind))
	f.buf.WriteString("\ndata: ")
	if err := f.enc.Encode(ev); err != nil { // Encode ends with '\n'
		f.buf.WriteString("{}\n")
	}
	f.buf.WriteByte('\n')
	return bytes.Clone(f.buf.Bytes())
}

func (f *frameEncoder) write(batch []event.Event) bool {
	for i := range batch {
		ev := &batch[i]
		var b []byte
		if ev.Cursor > 0 && f.cache != nil {
			if b = f.cache.get(ev.Cursor); b == nil {
				b = f.frame(ev)
				f.cache.put(ev.Cursor, b)
			}
		} else {
			b = f.frame(ev)
		}
		if _, err := f.bw.Write(b); err != nil {
			return false
		}
	}
	return true
}

// oneLine makes s safe as an SSE field value.
func oneLine(s string) string {
	if strings.ContainsAny(s, "\r\n") {
		return strings.NewReplacer("\r", " ", "\n", " ").Replace(s)
	}
	return s
}
