package stream

import (
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/corral-dev/corral/stream/internal/corpus"
)

// checkValidJSON holds Valid and ValidUTF8JSON to encoding/json (and
// unicode/utf8), and ScanObject to encoding/json decoding into a map.
func checkValidJSON(t *testing.T, b []byte) {
	t.Helper()
	want := json.Valid(b)
	if got := Valid(b); got != want {
		t.Fatalf("Valid(%.120q) = %v, encoding/json %v", b, got, want)
	}
	checkScanObject(t, b)
	want = want && utf8.Valid(b)
	if got := ValidUTF8JSON(b); got != want {
		t.Fatalf("ValidUTF8JSON(%.120q) = %v, want %v", b, got, want)
	}
}

// Agent lines, whole, cut at every length and with one byte replaced by
// each byte that matters to a JSON or UTF-8 scanner, at every position.
func TestValidJSONCorpusMutations(t *testing.T) {
	g := corpus.New(3)
	special := []byte{'"', '\\', '{', '}', '[', ']', ':', ',', ' ', '\n', 0, 0x1f, 0x7f, 0x80, 0xbf, 0xc0, 0xc3, 0xe2, 0xed, 0xf0, 0xf4, 0xf5, 0xff, 'u', '0', 'e', '-'}
	var line []byte
	n := 40
	if testing.Short() {
		n = 8
	}
	for range n {
		line = g.Append(line[:0])
		checkValidJSON(t, line)
		for k := range len(line) {
			checkValidJSON(t, line[:k])
		}
		mut := make([]byte, len(line))
		for k := range len(line) {
			for _, c := range special {
				copy(mut, line)
				mut[k] = c
				checkValidJSON(t, mut)
			}
		}
	}
}

// Random sequences of JSON and UTF-8 fragments, valid and not, at every
// alignment of the 8-byte string scan.
func TestValidJSONRandomFragments(t *testing.T) {
	frags := []string{
		`{`, `}`, `[`, `]`, `"`, `"`, `"`, `\`, `:`, `,`, ` `, "\t", "\n", "\r", `\"`, `\\`, `\/`, `\b`,
		`\u00e9`, `\uD83D`, `\u12`, `\uZZZZ`, `\x`, `a`, `key`, `0`, `-`, `.`, `e`, `E`, `+`, `1`, `12.5e-3`,
		`true`, `fals`, `false`, `null`, `nul`, "\x00", "\x1f", "\x7f", "é", "日本", "😀", "\xc3", "\xe2\x82",
		"\xed\xa0\x80", "\xc0\xaf", "\xf4\x90\x80\x80", "\xf0\x9f\x98", "\xff", "\xef\xbb\xbf", "\u2028",
		`{"a":`, `"x":1`, `[1,2]`, `{"k":"v"}`, `"abcdefghijklmnop"`,
	}
	r := rand.New(rand.NewPCG(1, 2))
	rounds := 200_000
	if testing.Short() {
		rounds = 20_000
	}
	var sb strings.Builder
	for range rounds {
		sb.Reset()
		for range 1 + r.IntN(12) {
			sb.WriteString(frags[r.IntN(len(frags))])
		}
		checkValidJSON(t, []byte(sb.String()))
	}
}

// Random valid values — deep, wide, with strings of every kind — then the
// same with one byte replaced or removed.
func TestValidJSONRandomValues(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	rounds := 20_000
	if testing.Short() {
		rounds = 2_000
	}
	for range rounds {
		b := appendRandomValue(nil, r, 0)
		checkValidJSON(t, b)
		if len(b) == 0 {
			continue
		}
		k := r.IntN(len(b))
		mut := append([]byte(nil), b...)
		mut[k] = byte(r.IntN(256))
		checkValidJSON(t, mut)
		checkValidJSON(t, append(mut[:k:k], b[k+1:]...))
	}
}

func appendRandomValue(dst []byte, r *rand.Rand, depth int) []byte {
	ws := func(dst []byte) []byte {
		if r.IntN(8) == 0 {
			dst = append(dst, " \t\n\r"[r.IntN(4)])
		}
		return dst
	}
	dst = ws(dst)
	switch k := r.IntN(10); {
	case k < 2 && depth < 6:
		dst = append(dst, '{')
		for i := range r.IntN(5) {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = append(ws(appendRandomString(ws(dst), r)), ':')
			dst = appendRandomValue(dst, r, depth+1)
		}
		dst = append(ws(dst), '}')
	case k < 4 && depth < 6:
		dst = append(dst, '[')
		for i := range r.IntN(5) {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendRandomValue(dst, r, depth+1)
		}
		dst = append(ws(dst), ']')
	case k < 7:
		dst = appendRandomString(dst, r)
	case k < 8:
		dst = append(dst, []string{"true", "false", "null"}[r.IntN(3)]...)
	default:
		dst = append(dst, []string{"0", "-1", "12.5", "3e7", "-0.25E-12", "123456789012345678901234567890"}[r.IntN(6)]...)
	}
	return ws(dst)
}

func appendRandomString(dst []byte, r *rand.Rand) []byte {
	parts := []string{"a", "bcdefgh", "é", "日本語", "😀", `\n`, `\"`, `\\`, `\u00e9`, `\/`, " ", "→", "\u2028"}
	dst = append(dst, '"')
	for range r.IntN(20) {
		dst = append(dst, parts[r.IntN(len(parts))]...)
	}
	return append(dst, '"')
}

func FuzzValidJSON(f *testing.F) {
	for _, c := range append(validCases, badLines...) {
		if len(c) < 1000 {
			f.Add([]byte(c))
		}
	}
	f.Add(corpus.New(1).Append(nil))
	f.Fuzz(func(t *testing.T, b []byte) {
		checkValidJSON(t, b)
	})
}

// BenchmarkValidUTF8JSON checks corpus lines (Claude Code stream-json,
// about 560 bytes) with ValidUTF8JSON.
func BenchmarkValidUTF8JSON(b *testing.B) {
	benchValid(b, ValidUTF8JSON)
}

func benchValid(b *testing.B, valid func([]byte) bool) {
	g := corpus.New(1)
	lines := make([][]byte, 20_000)
	n := 0
	for i := range lines {
		lines[i] = g.Append(nil)
		n += len(lines[i])
	}
	b.SetBytes(int64(n / len(lines)))
	i := 0
	for b.Loop() {
		if !valid(lines[i%len(lines)]) {
			b.Fatalf("%s", lines[i%len(lines)])
		}
		i++
	}
}
