package supervise

import (
	"context"
	"encoding/json"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/corral-dev/corral/event"
	"github.com/corral-dev/corral/proc"
)

// dispatcher delivers events to the sink from one goroutine. Droppable
// events (output lines, samples) are admitted only while fewer than max
// events wait; control events (states, exits, truncation reports) are always
// admitted. Their number is bounded by the processes and their transitions,
// not by how much a child prints.
type dispatcher struct {
	sink func(event.Event)
	max  int

	mu      sync.Mutex
	q       []event.Event
	head    int
	closed  bool
	wake    chan struct{}
	done    chan struct{}
	dropped atomic.Uint64
	waiting atomic.Int64 // len(q)-head, read without the lock on the fast path
}

func newDispatcher(sink func(event.Event), max int) *dispatcher {
	d := &dispatcher{sink: sink, max: max, wake: make(chan struct{}, 1), done: make(chan struct{})}
	if sink == nil {
		close(d.done)
		return d
	}
	go d.run()
	return d
}

// push queues ev. A droppable event is refused (false) when the queue is
// full; so is every event after close.
func (d *dispatcher) push(ev event.Event, droppable bool) bool {
	if d.sink == nil {
		return true
	}
	d.mu.Lock()
	if d.closed || droppable && len(d.q)-d.head >= d.max {
		d.mu.Unlock()
		if droppable {
			d.dropped.Add(1)
		}
		return false
	}
	d.q = append(d.q, ev)
	d.waiting.Store(int64(len(d.q) - d.head))
	d.mu.Unlock()
	select {
	case d.wake <- struct{}{}:
	default:
	}
	return true
}

func (d *dispatcher) run() {
	defer close(d.done)
	for {
		d.mu.Lock()
		if d.head == len(d.q) {
			if d.closed {
				d.mu.Unlock()
				return
			}
			// Reuse the storage unless a burst made it large.
			if cap(d.q) > 4*d.max {
				d.q = nil
			} else {
				d.q = d.q[:0]
			}
			d.head = 0
			d.mu.Unlock()
			<-d.wake
			continue
		}
		ev := d.q[d.head]
		d.q[d.head] = event.Event{}
		d.head++
		d.waiting.Store(int64(len(d.q) - d.head))
		d.mu.Unlock()
		d.sink(ev)
	}
}

// close delivers what is queued and ends the goroutine. It returns false if
// ctx ended first (the sink is stuck); the goroutine then ends as soon as
// the sink returns.
func (d *dispatcher) close(ctx context.Context) bool {
	if d.sink == nil {
		return true
	}
	d.mu.Lock()
	d.closed = true
	d.mu.Unlock()
	select {
	case d.wake <- struct{}{}:
	default:
	}
	select {
	case <-d.done:
		return true
	case <-ctx.Done():
		return false
	}
}

func (d *dispatcher) droppedTotal() uint64 { return d.dropped.Load() }

func (d *dispatcher) full() bool { return d.waiting.Load() >= int64(d.max) }

// OutputText is the data of a stdout/stderr event whose line is valid UTF-8.
type OutputText struct {
	Text      string `json:"text"`
	Seq       uint64 `json:"seq"`
	Continued bool   `json:"continued,omitempty"`
	Progress  bool   `json:"progress,omitempty"`
	Partial   bool   `json:"partial,omitempty"`
}

// OutputBytes is the data of a stdout/stderr event whose line is not valid
// UTF-8: the bytes travel base64-encoded, unchanged.
type OutputBytes struct {
	Bytes     []byte `json:"bytes"`
	Binary    bool   `json:"binary"`
	Seq       uint64 `json:"seq"`
	Continued bool   `json:"continued,omitempty"`
	Progress  bool   `json:"progress,omitempty"`
	Partial   bool   `json:"partial,omitempty"`
}

// Truncated is the data of an output.truncated event: how many lines and
// bytes of each stream were lost, because the consumer fell behind (reason
// "slow consumer") or because the process wrote past an output cap (reason
// "output limit", with the cap's name and size in Limit and Max).
type Truncated struct {
	Reason string      `json:"reason"`
	Limit  string      `json:"limit,omitempty"`
	Max    int64       `json:"max,omitempty"`
	Stdout StreamCount `json:"stdout"`
	Stderr StreamCount `json:"stderr"`
}

// StreamCount counts lost output of one stream.
type StreamCount struct {
	Lines uint64 `json:"lines"`
	Bytes uint64 `json:"bytes"`
}

// pushOutput turns o into an event and queues it, or counts it lost. It is
// called from the process's serialized output path.
func (d *dispatcher) pushOutput(p *Process, o proc.Output, now time.Time) {
	if d.sink == nil {
		return
	}
	if d.full() {
		p.countLoss(o)
		d.dropped.Add(1)
		return
	}
	p.flushLoss()
	kind := event.Stdout
	if o.Stream == proc.Stderr {
		kind = event.Stderr
	}
	ev := event.Event{Time: now, Kind: kind}
	p.stamp(&ev)
	ev.Data = outputData(o)
	if !d.push(ev, true) {
		p.countLoss(o)
	}
}

func outputData(o proc.Output) json.RawMessage {
	var b []byte
	if utf8.Valid(o.Bytes) {
		b, _ = json.Marshal(OutputText{Text: string(o.Bytes), Seq: o.Seq, Continued: o.Continued, Progress: o.Progress, Partial: o.Partial})
	} else {
		b, _ = json.Marshal(OutputBytes{Bytes: o.Bytes, Binary: true, Seq: o.Seq, Continued: o.Continued, Progress: o.Progress, Partial: o.Partial})
	}
	return b
}

func (p *Process) countLoss(o proc.Output) {
	c := &p.lost[o.Stream&3]
	c.lines++
	c.bytes += uint64(len(o.Bytes))
}

// flushLoss reports counted losses as one output.truncated control event,
// placed where the lines went missing.
func (p *Process) flushLoss() {
	out, errs := p.lost[proc.Stdout], p.lost[proc.Stderr]
	if out.lines == 0 && errs.lines == 0 {
		return
	}
	p.lost[proc.Stdout], p.lost[proc.Stderr] = struct{ lines, bytes uint64 }{}, struct{ lines, bytes uint64 }{}
	p.s.emit(p, event.OutputTruncated, Truncated{
		Reason: "slow consumer",
		Stdout: StreamCount{out.lines, out.bytes},
		Stderr: StreamCount{errs.lines, errs.bytes},
	})
}
