package streambench

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
)

// measurePeakRSS resets this process's peak resident set size (VmHWM, via
// /proc/self/clear_refs, Linux 4.0+), runs run, and reads the new peak. The
// peak covers the whole process — Go runtime, heap, and anything else
// resident — so it is an upper bound for what the pipeline itself needs.
func measurePeakRSS(run func() (Measurement, error)) (peak int64, m Measurement, why string, err error) {
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		why = "cannot reset VmHWM: " + err.Error()
	}
	m, err = run()
	if err != nil || why != "" {
		return 0, m, why, err
	}
	peak, err = vmHWM()
	return peak, m, "", err
}

// vmHWM returns VmHWM from /proc/self/status in bytes.
func vmHWM() (int64, error) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, err
	}
	for line := range bytes.Lines(b) {
		if v, ok := bytes.CutPrefix(line, []byte("VmHWM:")); ok {
			f := bytes.Fields(v)
			if len(f) != 2 || string(f[1]) != "kB" {
				break
			}
			kb, err := strconv.ParseInt(string(f[0]), 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("streambench: no VmHWM in /proc/self/status")
}
