//go:build !unix

package streambench

// selfCPU is not measured on this platform; CPU figures stay zero.
func selfCPU() float64     { return 0 }
func childrenCPU() float64 { return 0 }
