package store

import (
	"testing"
	"time"
)

func TestUsageSpan(t *testing.T) {
	d := func(y int, m time.Month, day int) int64 { return DayOf(time.Date(y, m, day, 0, 0, 0, 0, time.UTC)) }
	for _, c := range []struct {
		name                     string
		from, to                 int64
		headTo, m1, m2, tailFrom int64
	}{
		{"whole months", d(2026, 1, 1), d(2026, 3, 31), d(2025, 12, 31), 2026*12 + 0, 2026*12 + 2, d(2026, 4, 1)},
		{"days at both ends", d(2026, 1, 15), d(2026, 4, 2), d(2026, 1, 31), 2026*12 + 1, 2026*12 + 2, d(2026, 4, 1)},
		{"inside one month", d(2026, 2, 3), d(2026, 2, 20), d(2026, 2, 20), 2026*12 + 2, 2026*12 + 0, d(2026, 2, 21)},
		{"across a year end", d(2025, 12, 31), d(2026, 1, 31), d(2025, 12, 31), 2026 * 12, 2026 * 12, d(2026, 2, 1)},
		{"leap February", d(2028, 2, 1), d(2028, 2, 29), d(2028, 1, 31), 2028*12 + 1, 2028*12 + 1, d(2028, 3, 1)},
	} {
		headTo, m1, m2, tailFrom := usageSpan(c.from, c.to)
		if headTo != c.headTo || m1 != c.m1 || m2 != c.m2 || tailFrom != c.tailFrom {
			t.Errorf("%s: %d %d %d %d; want %d %d %d %d", c.name, headTo, m1, m2, tailFrom, c.headTo, c.m1, c.m2, c.tailFrom)
		}
	}
}
