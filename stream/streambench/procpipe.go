package streambench

import (
	"fmt"
	"time"

	"github.com/corral-dev/corral/proc"
	"github.com/corral-dev/corral/stream"
)

// RunProcPipeline is RunPipeline through corral's process layer: `cat
// files...` is started with proc.Start (its own process group, explicit
// environment, parent-death signal), proc frames every line and numbers it,
// and the Sink decodes each line's envelope. This is the path every child
// corral supervises takes.
func RunProcPipeline(cat string, files ...string) (Measurement, int64, error) {
	start, cpu0 := time.Now(), selfCPU()
	child0 := childrenCPU()
	var m Measurement
	var decodeErrors, typed int64
	p, err := proc.Start(proc.Spec{Program: cat, Args: files}, func(o proc.Output) {
		m.Lines++
		m.Bytes += int64(len(o.Bytes)) + 1
		env, err := stream.DecodeEnvelope(o.Bytes)
		if err != nil {
			decodeErrors++
			return
		}
		if env.Type != "" {
			typed++
		}
	})
	if err != nil {
		return m, 0, err
	}
	st, err := p.Wait()
	if err != nil || !st.Success() {
		return m, decodeErrors, fmt.Errorf("streambench: cat through proc: %v %v", st, err)
	}
	m.Seconds = time.Since(start).Seconds()
	if self := selfCPU(); self > 0 {
		m.CPUSeconds = self - cpu0 + childrenCPU() - child0
	}
	if typed+decodeErrors != m.Lines {
		return m, decodeErrors, fmt.Errorf("streambench: %d of %d lines have no type", m.Lines-typed-decodeErrors, m.Lines)
	}
	return m, decodeErrors, nil
}
