package proc

import (
	"context"
	"time"
)

// DefaultMaxCapture caps each captured stream of Execute when no cap is given.
const DefaultMaxCapture = 16 << 20

// ExecOptions tunes Execute.
type ExecOptions struct {
	// Stdin, when non-nil, is written to the child's stdin, which is then
	// closed. A child that exits without reading it is not an error.
	Stdin []byte
	// MaxStdout and MaxStderr cap the bytes kept of each stream
	// (DefaultMaxCapture when zero). Bytes past a cap are counted, not kept.
	MaxStdout, MaxStderr int
	// Grace is the stop grace used when ctx ends before the child does.
	Grace time.Duration
}

// Result is the outcome of Execute.
type Result struct {
	ExitStatus
	Stdout, Stderr []byte
	// Truncated is true when either stream exceeded its cap; the Dropped
	// counts say by how many bytes.
	Truncated                    bool
	StdoutDropped, StderrDropped int64
	// TimedOut is true when ctx ended first and the child was stopped.
	TimedOut bool
}

// Execute runs spec to completion and returns its captured output, byte for
// byte. When ctx ends first, the child's group is stopped with the grace and
// the result has TimedOut set. Only a spawn failure returns an error.
func Execute(ctx context.Context, spec Spec, opts ExecOptions) (Result, error) {
	spec.Output = Chunks
	if opts.Stdin != nil && spec.Stdin != StdinPTY {
		spec.Stdin = StdinPipe
	}
	maxOut, maxErr := opts.MaxStdout, opts.MaxStderr
	if maxOut <= 0 {
		maxOut = DefaultMaxCapture
	}
	if maxErr <= 0 {
		maxErr = DefaultMaxCapture
	}
	var res Result
	sink := func(o Output) {
		buf, max, dropped := &res.Stdout, maxOut, &res.StdoutDropped
		if o.Stream == Stderr {
			buf, max, dropped = &res.Stderr, maxErr, &res.StderrDropped
		}
		room := max - len(*buf)
		b := o.Bytes
		if len(b) > room {
			*dropped += int64(len(b) - room)
			b = b[:room]
		}
		*buf = append(*buf, b...)
	}
	p, err := Start(spec, sink)
	if err != nil {
		return res, err
	}
	if opts.Stdin != nil {
		go func() {
			// Errors mean the child stopped reading; it is not a failure of
			// the run, whose exit status says what happened.
			if len(opts.Stdin) > 0 {
				p.Write(opts.Stdin)
			}
			p.CloseStdin()
		}()
	}
	select {
	case <-p.Done():
	case <-ctx.Done():
		res.TimedOut = true
		p.Stop(opts.Grace)
	}
	st, _ := p.Wait()
	res.ExitStatus = st
	res.Truncated = res.StdoutDropped > 0 || res.StderrDropped > 0
	return res, nil
}
