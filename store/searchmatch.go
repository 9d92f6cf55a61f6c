package store

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// FTS5 finds the groups (searchgroup.go) whose texts together hold every
// word of a query; the functions below find the texts of a group that
// hold them all, as the index's tokenizer sees words (unicode61 without
// removing diacritics): a token is a run of letters, numbers and
// private-use characters (isTokenRune), compared in lower case.

// queryTerms is a query as token phrases: each word the user typed is a
// phrase of its tokens ("a/b.go" is a, b, go one after the other). With
// prefix, the last token of the last phrase matches any token it starts.
type queryTerms struct {
	phrases [][]string
	prefix  bool
}

// parseTerms splits q into phrases as matchExprs does; prefix is whether
// the last word is taken as a prefix.
func parseTerms(q string, prefix bool) queryTerms {
	var t queryTerms
	for _, w := range strings.Fields(q) {
		var ph []string
		for _, sp := range tokenSpans(w) {
			ph = append(ph, strings.ToLower(w[sp[0]:sp[1]]))
		}
		if len(ph) > 0 {
			t.phrases = append(t.phrases, ph)
		}
	}
	t.prefix = prefix
	return t
}

// tokenSpans returns the byte spans of the tokens of s.
func tokenSpans(s string) [][2]int {
	out := make([][2]int, 0, min(len(s)/6+1, 256)) // (about a token per 6 bytes of text)
	start := -1
	for i, r := range s {
		if isTokenRune(r) {
			if start < 0 {
				start = i
			}
			continue
		}
		if start >= 0 {
			out = append(out, [2]int{start, i})
			start = -1
		}
	}
	if start >= 0 {
		out = append(out, [2]int{start, len(s)})
	}
	return out
}

// tokenIs reports whether token tok is the lower-case query token p (or,
// with prefix, starts with it).
func tokenIs(tok, p string, prefix bool) bool {
	for len(p) > 0 {
		if len(tok) == 0 {
			return false
		}
		if c, d := tok[0], p[0]; c < utf8.RuneSelf && d < utf8.RuneSelf {
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			if c != d {
				return false
			}
			tok, p = tok[1:], p[1:]
			continue
		}
		r, n := utf8.DecodeRuneInString(tok)
		q, m := utf8.DecodeRuneInString(p)
		if unicode.ToLower(r) != q {
			return false
		}
		tok, p = tok[n:], p[m:]
	}
	return prefix || len(tok) == 0
}

// matchDoc reports whether text holds every phrase of t, and returns the
// spans of the tokens that matched (for the snippet) and all its spans.
func matchDoc(text string, t queryTerms) (matched []bool, spans [][2]int, ok bool) {
	spans = tokenSpans(text)
	matched = make([]bool, len(spans))
	for pi, ph := range t.phrases {
		last := pi == len(t.phrases)-1
		found := false
		for i := 0; i+len(ph) <= len(spans); i++ {
			k := 0
			for ; k < len(ph); k++ {
				sp := spans[i+k]
				if !tokenIs(text[sp[0]:sp[1]], ph[k], t.prefix && last && k == len(ph)-1) {
					break
				}
			}
			if k == len(ph) {
				found = true
				for k := range ph {
					matched[i+k] = true
				}
			}
		}
		if !found {
			return nil, nil, false
		}
	}
	return matched, spans, true
}

// snippetTokens is how many tokens a snippet shows, as FTS5's snippet()
// was asked to before (24).
const snippetTokens = 24

// makeSnippet returns a piece of text of at most snippetTokens tokens
// that starts a little before the first match, the matched tokens between
// HighlightStart and HighlightEnd and "…" where text was left out.
func makeSnippet(text string, matched []bool, spans [][2]int) string {
	first := 0
	for i, m := range matched {
		if m {
			first = i
			break
		}
	}
	from := max(0, min(first-snippetTokens/4, len(spans)-snippetTokens))
	to := min(len(spans), from+snippetTokens)
	var b strings.Builder
	start, end := 0, len(text)
	if from > 0 {
		b.WriteString("…")
		start = spans[from][0]
	}
	if to < len(spans) {
		end = spans[to-1][1]
	}
	at := start
	for i := from; i < to; i++ {
		if !matched[i] {
			continue
		}
		b.WriteString(text[at:spans[i][0]])
		b.WriteString(HighlightStart)
		b.WriteString(text[spans[i][0]:spans[i][1]])
		b.WriteString(HighlightEnd)
		at = spans[i][1]
	}
	b.WriteString(text[at:end])
	if end < len(text) {
		b.WriteString("…")
	}
	return b.String()
}
