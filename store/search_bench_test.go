package store_test

import (
	"fmt"
	"math/rand"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/corral-dev/corral/agent"
	"github.com/corral-dev/corral/event"
	"github.com/corral-dev/corral/store"
)

// The search fixture: 1,000,000 indexed events (tool results of 24 words
// each) in 100 sessions, built once per benchmark run in a temp dir. The
// words follow a Zipf law over a vocabulary of 20,000, as prose and code
// do: a few words are in nearly every event, most in few. Every 100,000th
// event also holds one rare word of its own ("rareword<i>").
const searchEvents = 1_000_000

var (
	searchOnce  sync.Once
	searchDir   string
	searchErr   error
	searchBuild time.Duration
)

func searchWord(k uint64) string {
	var b []byte
	for {
		b = append(b, byte('a'+k%26))
		k /= 26
		if k == 0 {
			break
		}
	}
	return "w" + string(b)
}

func searchDB(b *testing.B) string {
	searchOnce.Do(func() {
		searchDir, searchErr = os.MkdirTemp("", "corral-search-bench-")
		if searchErr != nil {
			return
		}
		s, err := store.Open(searchDir, store.Options{})
		if err != nil {
			searchErr = err
			return
		}
		r := rand.New(rand.NewSource(1))
		z := rand.NewZipf(r, 1.1, 1, 19_999)
		start := time.Now()
		batch := make([]event.Event, 0, 1000)
		for i := 0; i < searchEvents; i++ {
			var sb strings.Builder
			for j := 0; j < 24; j++ {
				sb.WriteString(searchWord(z.Uint64()))
				sb.WriteByte(' ')
			}
			if i%100_000 == 0 {
				fmt.Fprintf(&sb, "rareword%d", i)
			}
			d := agent.ToolResultData{ID: "t", Output: sb.String()}
			ev := event.New(event.ToolResult, d)
			ev.Payload, ev.SessionID = d, fmt.Sprintf("s%d", i%100)
			batch = append(batch, ev)
			if len(batch) == cap(batch) {
				if searchErr = s.Append(batch...); searchErr != nil {
					return
				}
				batch = make([]event.Event, 0, 1000)
			}
		}
		if searchErr = s.Sync(ctx); searchErr != nil {
			return
		}
		searchBuild = time.Since(start)
		searchErr = s.Close()
	})
	if searchErr != nil {
		b.Fatal(searchErr)
	}
	return searchDir
}

// BenchmarkSearch queries the 1,000,000-event fixture (see searchDB) for
// 20 hits, newest first, with snippets: the most common word, two common
// words, a rare word, a prefix of ten rare words, a common word and the
// 3-letter prefix of another (the prefix index), two words
// that are each in about a tenth of the events (both in about 1 %), a
// session's hits only, 100 hits, and a word in no event: first as the
// flood left the index (up to crisismerge segments per level), then, under
// "merged/", once the quiet store has merged it.
func BenchmarkSearch(b *testing.B) {
	dir := searchDB(b)
	defer func() {
		if searchDir != "" {
			os.RemoveAll(searchDir)
			searchDir, searchOnce, searchErr = "", sync.Once{}, nil
		}
	}()
	s, err := store.Open(dir, store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	b.Logf("fixture: %d indexed events built in %v", searchEvents, searchBuild)
	benchQueries(b, s)
	// The same queries once the quiet store has merged the segments the
	// flood left (searchmerge.go).
	start := time.Now()
	for !s.SearchMerged() {
		time.Sleep(100 * time.Millisecond)
	}
	b.Logf("quiet merge of the index: %v", time.Since(start))
	b.Run("merged", func(b *testing.B) { benchQueries(b, s) })
}

func benchQueries(b *testing.B, s *store.Store) {
	for _, c := range []struct {
		name string
		q    store.SearchQuery
		min  int
	}{
		{"common", store.SearchQuery{Query: searchWord(1)}, 20},
		{"two-common", store.SearchQuery{Query: searchWord(1) + " " + searchWord(2)}, 20},
		{"rare", store.SearchQuery{Query: "rareword500000"}, 1},
		{"typed-prefix", store.SearchQuery{Query: "rarewor"}, 10},
		{"prefix-of-common", store.SearchQuery{Query: searchWord(1) + " " + searchWord(27)[:3]}, 20},
		{"two-tenths", store.SearchQuery{Query: searchWord(23) + " " + searchWord(24)}, 20},
		{"session", store.SearchQuery{Query: searchWord(3), SessionID: "s42"}, 20},
		{"limit-100", store.SearchQuery{Query: searchWord(1), Limit: 100}, 100},
		{"no-hit", store.SearchQuery{Query: "nosuchwordanywhere"}, 0},
	} {
		b.Run(c.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				hits, err := s.SearchEvents(ctx, c.q)
				if err != nil || len(hits) < c.min {
					b.Fatalf("%d hits, %v", len(hits), err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/query")
		})
	}
}

// BenchmarkPreIndex is the search text BenchmarkAppend's events cost the
// appending goroutine (store.Append works it out before the writer), per
// event: deltas without text, tool calls and tool results.
func BenchmarkPreIndex(b *testing.B) {
	evs := genEvents("bench", 1024)
	b.ReportAllocs()
	n := 0
	for i := 0; i < b.N; i += len(evs) {
		n += store.PreIndexText(evs[:min(len(evs), b.N-i)])
	}
	if n == 0 && b.N >= 10 {
		b.Fatal("no search text")
	}
}
