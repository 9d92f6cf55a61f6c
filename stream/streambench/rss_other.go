//go:build !linux

package streambench

import "runtime"

// measurePeakRSS runs run; the peak RSS is only measured on Linux.
func measurePeakRSS(run func() (Measurement, error)) (int64, Measurement, string, error) {
	m, err := run()
	return 0, m, "peak RSS is measured on Linux only, not " + runtime.GOOS, err
}
