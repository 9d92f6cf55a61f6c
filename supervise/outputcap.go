package supervise

import (
	"github.com/corral-dev/corral/event"
	"github.com/corral-dev/corral/proc"
)

// Names of the output caps in Result.Limit and Truncated.Limit.
const (
	LimitMaxOutput       = "max_output"
	LimitMaxStreamOutput = "max_stream_output" // followed by ":stdout" or ":stderr"
)

// outputSize is what o counts against the output caps: its bytes, plus one
// for the terminator the framer removed when o is a line (or a progress
// update) that ended. Counting the terminator keeps a flood of empty lines,
// each an event of its own, bounded like any other output.
func (p *Process) outputSize(o proc.Output) int64 {
	n := int64(len(o.Bytes))
	if p.spec.Output == proc.Lines && !o.Continued && !o.Partial {
		n++
	}
	return n
}

// admitOutput applies Spec.MaxOutput and Spec.MaxStreamOutput to o. It
// returns the part of o that may be forwarded (o itself, or o cut at the
// cap) and false when nothing of it may. The first output that does not fit
// records the cap and asks the loop to stop the process; from then on every
// output is only counted. It runs on the serialized output path.
func (p *Process) admitOutput(o proc.Output) (proc.Output, bool) {
	maxTotal, maxStream := p.spec.MaxOutput, p.spec.MaxStreamOutput
	if maxTotal <= 0 && maxStream <= 0 {
		return o, true
	}
	i := o.Stream & 3
	n := p.outputSize(o)
	if p.capLimit != "" {
		p.capLost[i].lines++
		p.capLost[i].bytes += uint64(n)
		return o, false
	}
	room, limit := n, ""
	if maxTotal > 0 && maxTotal-p.outTotal < room {
		room, limit = maxTotal-p.outTotal, LimitMaxOutput
	}
	// Strictly less: when one write reaches both caps, the total is named.
	if maxStream > 0 && maxStream-p.outStream[i] < room {
		room, limit = maxStream-p.outStream[i], LimitMaxStreamOutput+":"+o.Stream.String()
	}
	p.outTotal += room
	p.outStream[i] += room
	if limit == "" {
		return o, true
	}
	p.capLimit = limit
	// The cut output counts as one lost line: part of it is missing.
	p.capLost[i].lines++
	p.capLost[i].bytes += uint64(n - room)
	p.request(func() { p.outReq = limit })
	if room == 0 {
		return o, false
	}
	// room < n, so at most the terminator is missing when room is all of
	// the bytes: the line arrives without it, as a cut line does.
	o.Bytes = o.Bytes[:min(room, int64(len(o.Bytes)))]
	return o, true
}

// flushCapLoss reports what the output cap cut as one output.truncated
// control event. It is called once, after the last child was reaped.
func (p *Process) flushCapLoss() {
	if p.capLimit == "" {
		return
	}
	max := p.spec.MaxOutput
	if p.capLimit != LimitMaxOutput {
		max = p.spec.MaxStreamOutput
	}
	out, errs := p.capLost[proc.Stdout], p.capLost[proc.Stderr]
	p.s.emit(p, event.OutputTruncated, Truncated{
		Reason: "output limit", Limit: p.capLimit, Max: max,
		Stdout: StreamCount{out.lines, out.bytes},
		Stderr: StreamCount{errs.lines, errs.bytes},
	})
}
