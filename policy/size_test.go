package policy

import "testing"

func TestParseSize(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		bad  bool
	}{
		{"0", 0, false}, {"4096", 4096, false}, {"64MiB", 64 << 20, false}, {"64 mib", 64 << 20, false},
		{"1KB", 1000, false}, {"1k", 1024, false}, {"1.5GiB", 3 << 29, false}, {"2GB", 2e9, false},
		{"1TiB", 1 << 40, false}, {"10B", 10, false},
		{"", 0, true}, {"MiB", 0, true}, {"-1", 0, true}, {"1XB", 0, true}, {"1.2.3", 0, true},
		{"9223372036854775807", 9223372036854775807, false}, {"9223372036854775808", 0, true},
		{"8388608TiB", 0, true}, {"9000000000000000000000.5", 0, true},
	}
	for _, tt := range tests {
		got, err := ParseSize(tt.in)
		if (err != nil) != tt.bad || (!tt.bad && got != tt.want) {
			t.Errorf("ParseSize(%q) = %d, %v; want %d, bad=%v", tt.in, got, err, tt.want, tt.bad)
		}
	}
	for _, n := range []int64{1, 1023, 1024, 64 << 20, 3 << 30, 5 << 40} {
		if got, err := ParseSize(FormatSize(n)); err != nil || got != n {
			t.Errorf("round trip %d via %q = %d, %v", n, FormatSize(n), got, err)
		}
	}
}

func FuzzParseSize(f *testing.F) {
	for _, s := range []string{"64MiB", "1.5 GB", "0", "9223372036854775807", "1e3", ".5k"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseSize(s)
		if err == nil && n < 0 {
			t.Fatalf("ParseSize(%q) = %d < 0", s, n)
		}
	})
}
