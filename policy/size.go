package policy

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// sizeUnits maps a lower-case unit suffix to its multiplier. Decimal units
// (KB, MB, ...) are powers of 1000 and binary units (KiB, MiB, ...) powers of
// 1024, as the IEC and SI prefixes say; single letters (k, m, g) are read as
// the binary units because that is what a user typing "64m" almost always
// means for a buffer size.
var sizeUnits = map[string]float64{
	"":    1,
	"b":   1,
	"k":   1 << 10,
	"kb":  1e3,
	"kib": 1 << 10,
	"m":   1 << 20,
	"mb":  1e6,
	"mib": 1 << 20,
	"g":   1 << 30,
	"gb":  1e9,
	"gib": 1 << 30,
	"t":   1 << 40,
	"tb":  1e12,
	"tib": 1 << 40,
}

// ParseSize parses a byte size as a limit is written (the configuration's
// max_output and friends): "64MiB", "1.5 GB", "512k" or "4096".
// Units are case-insensitive. The result is rounded down to a whole number
// of bytes. Negative sizes, unknown units and values that do not fit in an
// int64 are errors.
func ParseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return 0, fmt.Errorf("empty size")
	}
	i := 0
	for i < len(t) && (t[i] >= '0' && t[i] <= '9' || t[i] == '.') {
		i++
	}
	num, unit := t[:i], strings.ToLower(strings.TrimSpace(t[i:]))
	if num == "" {
		return 0, fmt.Errorf("size %q does not start with a number (want e.g. \"64MiB\")", s)
	}
	mult, ok := sizeUnits[unit]
	if !ok {
		return 0, fmt.Errorf("size %q has unknown unit %q (use B, KiB, MiB, GiB, TiB, KB, MB, GB or TB)", s, t[i:])
	}
	if !strings.Contains(num, ".") {
		n, err := strconv.ParseInt(num, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("size %q is too large", s)
		}
		m := int64(mult)
		if n != 0 && n > math.MaxInt64/m {
			return 0, fmt.Errorf("size %q is too large", s)
		}
		return n * m, nil
	}
	f, err := strconv.ParseFloat(num, 64)
	if err != nil {
		return 0, fmt.Errorf("size %q is not a number", s)
	}
	v := f * mult
	// 2^63 is exactly representable as a float64; anything at or above it
	// would overflow the conversion.
	if v >= math.MaxInt64 {
		return 0, fmt.Errorf("size %q is too large", s)
	}
	return int64(v), nil
}

// FormatSize renders n bytes with the largest binary unit that divides it
// exactly, so FormatSize(ParseSize("64MiB")) == "64MiB".
func FormatSize(n int64) string {
	units := []string{"TiB", "GiB", "MiB", "KiB"}
	shifts := []uint{40, 30, 20, 10}
	for i, u := range units {
		if n != 0 && n%(1<<shifts[i]) == 0 {
			return strconv.FormatInt(n>>shifts[i], 10) + u
		}
	}
	return strconv.FormatInt(n, 10) + "B"
}
