package agent

import "strings"

// PriceTableVersion names the price table below: the date its prices were
// taken from the vendors' published list prices, and a revision. An
// estimated cost is only as good as this table; it is recorded nowhere
// else, so a change of prices changes only estimates made afterwards.
const PriceTableVersion = "2026-12-06.1"

// Price is a model's list price in US dollars per million tokens.
type Price struct {
	Input, Output, CacheRead, CacheWrite float64
	// InputIncludesCache: the agent's input count includes the cached
	// input (OpenAI's and Google's usage do; Anthropic's input_tokens does
	// not), so cached tokens are taken out of Input before pricing it.
	InputIncludesCache bool
}

// prices maps a model-name prefix to its price; the longest matching
// prefix wins (so "claude-opus-4-1" overrides "claude-opus-4").
var prices = map[string]Price{
	// Anthropic: cache read 0.1x input, cache write (5 min) 1.25x input.
	"claude-opus-4":      {Input: 5, Output: 25, CacheRead: 0.5, CacheWrite: 6.25},
	"claude-opus-4-0":    {Input: 15, Output: 75, CacheRead: 1.5, CacheWrite: 18.75},
	"claude-opus-4-1":    {Input: 15, Output: 75, CacheRead: 1.5, CacheWrite: 18.75},
	"claude-opus-4-2025": {Input: 15, Output: 75, CacheRead: 1.5, CacheWrite: 18.75},
	"claude-3-opus":      {Input: 15, Output: 75, CacheRead: 1.5, CacheWrite: 18.75},
	"claude-sonnet-4":    {Input: 3, Output: 15, CacheRead: 0.3, CacheWrite: 3.75},
	"claude-3-7-sonnet":  {Input: 3, Output: 15, CacheRead: 0.3, CacheWrite: 3.75},
	"claude-3-5-sonnet":  {Input: 3, Output: 15, CacheRead: 0.3, CacheWrite: 3.75},
	"claude-haiku-4":     {Input: 1, Output: 5, CacheRead: 0.1, CacheWrite: 1.25},
	"claude-3-5-haiku":   {Input: 0.8, Output: 4, CacheRead: 0.08, CacheWrite: 1},
	// OpenAI (Codex): cached input at 0.1x input; reasoning tokens are
	// part of the output count.
	"gpt-5":       {Input: 1.25, Output: 10, CacheRead: 0.125, InputIncludesCache: true},
	"gpt-5-mini":  {Input: 0.25, Output: 2, CacheRead: 0.025, InputIncludesCache: true},
	"gpt-5-nano":  {Input: 0.05, Output: 0.4, CacheRead: 0.005, InputIncludesCache: true},
	"gpt-4.1":     {Input: 2, Output: 8, CacheRead: 0.5, InputIncludesCache: true},
	"o4-mini":     {Input: 1.1, Output: 4.4, CacheRead: 0.275, InputIncludesCache: true},
	"codex-mini":  {Input: 1.5, Output: 6, CacheRead: 0.375, InputIncludesCache: true},
	"gpt-5-codex": {Input: 1.25, Output: 10, CacheRead: 0.125, InputIncludesCache: true},
	// Google (Gemini CLI): prompts up to 200k tokens.
	"gemini-2.5-pro":        {Input: 1.25, Output: 10, CacheRead: 0.31, InputIncludesCache: true},
	"gemini-2.5-flash":      {Input: 0.3, Output: 2.5, CacheRead: 0.075, InputIncludesCache: true},
	"gemini-2.5-flash-lite": {Input: 0.1, Output: 0.4, CacheRead: 0.025, InputIncludesCache: true},
	"gemini-3-pro":          {Input: 2, Output: 12, CacheRead: 0.2, InputIncludesCache: true},
}

// LookupPrice returns the price of model (the longest prefix of the table
// that matches its lower-cased name, after a "[…]" suffix such as Claude
// Code's "[1m]" and a "provider/" prefix are cut), or false.
func LookupPrice(model string) (Price, bool) {
	m := strings.ToLower(strings.TrimSpace(model))
	if i := strings.IndexByte(m, '['); i >= 0 {
		m = m[:i]
	}
	if i := strings.LastIndexByte(m, '/'); i >= 0 {
		m = m[i+1:]
	}
	best, found := "", false
	for prefix := range prices {
		if strings.HasPrefix(m, prefix) && len(prefix) > len(best) {
			best, found = prefix, true
		}
	}
	return prices[best], found
}

// EstimateCost prices tokens of model with the table: ok is false when
// the model is not in it (the cost then stays unknown, never a guess
// from another model).
func EstimateCost(model string, input, output, cacheRead, cacheWrite int64) (usd float64, ok bool) {
	p, ok := LookupPrice(model)
	if !ok {
		return 0, false
	}
	in := input
	if p.InputIncludesCache {
		in -= cacheRead
		if in < 0 {
			in = 0
		}
	}
	cw := p.CacheWrite
	if cw == 0 {
		cw = p.Input
	}
	usd = (float64(in)*p.Input + float64(output)*p.Output + float64(cacheRead)*p.CacheRead + float64(cacheWrite)*cw) / 1e6
	return usd, true
}
