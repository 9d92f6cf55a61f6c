package session

import (
	"encoding/json"
	"sync"
	"time"

	"github.com/corral-dev/corral/event"
)

// Resource samples (process.stats) are a time series, not part of a
// session's history: they are kept here, bounded, and never appended to
// the event log (after half an hour they were 86 % of a session's stored
// events, and went into every export). The one exception is a sample that
// crosses a process's memory limit, which is stored as an event.

// StatSample is one CPU/memory sample of a process tree.
type StatSample struct {
	// T is the sample's time in Unix milliseconds.
	T          int64   `json:"t"`
	CPUPercent float64 `json:"cpu"`
	RSS        uint64  `json:"rss"`
	Processes  int     `json:"processes,omitempty"`
}

// StatSeries is the kept samples of one process, oldest first.
type StatSeries struct {
	ProcessID string       `json:"processId"`
	SessionID string       `json:"sessionId,omitempty"`
	Ended     bool         `json:"ended,omitempty"`
	Samples   []StatSample `json:"samples"`
}

// Bounds of the resource series.
const (
	// StatSamplesPerProcess is the samples kept per process: ten minutes
	// at the supervisor's default interval of 2 s.
	StatSamplesPerProcess = 300
	// StatEndedProcesses is how many ended processes keep their series
	// (the oldest ended is dropped first).
	StatEndedProcesses = 32
)

// statsRing holds the series of every live process and of the last
// StatEndedProcesses ended ones, each a ring of StatSamplesPerProcess.
type statsRing struct {
	mu     sync.Mutex
	series map[string]*ring
	ended  []string // process ids in the order they ended
}

type ring struct {
	sessionID string
	ended     bool
	endedAt   int64 // unix ms of the end, when ended
	buf       []StatSample
	next      int // where the next sample goes once buf is full
}

func (r *ring) add(s StatSample) {
	if len(r.buf) < StatSamplesPerProcess {
		r.buf = append(r.buf, s)
		return
	}
	r.buf[r.next] = s
	r.next = (r.next + 1) % StatSamplesPerProcess
}

// since returns the samples with T > after, oldest first.
func (r *ring) since(after int64) []StatSample {
	out := make([]StatSample, 0, len(r.buf))
	for i := range r.buf {
		s := r.buf[(r.next+i)%len(r.buf)]
		if s.T > after {
			out = append(out, s)
		}
	}
	return out
}

// record keeps a process.stats event's sample.
func (st *statsRing) record(ev event.Event) {
	var d struct {
		CPUPercent float64 `json:"cpuPercent"`
		RSS        uint64  `json:"rss"`
		Processes  int     `json:"processes"`
	}
	if json.Unmarshal(ev.Data, &d) != nil || ev.ProcessID == "" {
		return
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.series == nil {
		st.series = map[string]*ring{}
	}
	r := st.series[ev.ProcessID]
	if r == nil {
		r = &ring{sessionID: ev.SessionID}
		st.series[ev.ProcessID] = r
	}
	t := ev.Time.UnixMilli()
	if r.ended && t <= r.endedAt {
		return // taken before the end, delivered after it
	}
	if r.ended { // restarted under the same id
		r.ended = false
		for i, id := range st.ended {
			if id == ev.ProcessID {
				st.ended = append(st.ended[:i], st.ended[i+1:]...)
				break
			}
		}
	}
	r.add(StatSample{T: t, CPUPercent: d.CPUPercent, RSS: d.RSS, Processes: d.Processes})
}

// end marks a process ended at at; later samples taken no later than at
// are ignored. The oldest ended series beyond the bound are dropped.
func (st *statsRing) end(processID string, at time.Time) {
	st.mu.Lock()
	defer st.mu.Unlock()
	r := st.series[processID]
	if r == nil || r.ended {
		return
	}
	r.ended, r.endedAt = true, at.UnixMilli()
	st.ended = append(st.ended, processID)
	for len(st.ended) > StatEndedProcesses {
		delete(st.series, st.ended[0])
		st.ended = st.ended[1:]
	}
}

// get returns the series of processID, of every process of sessionID, or
// (both empty) of every process, with the samples after since.
func (st *statsRing) get(processID, sessionID string, since time.Time) []StatSeries {
	after := int64(-1 << 62)
	if !since.IsZero() {
		after = since.UnixMilli()
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	out := []StatSeries{}
	for id, r := range st.series {
		if (processID != "" && id != processID) || (sessionID != "" && r.sessionID != sessionID) {
			continue
		}
		out = append(out, StatSeries{ProcessID: id, SessionID: r.sessionID, Ended: r.ended, Samples: r.since(after)})
	}
	return out
}

// ProcessStats returns the kept resource samples (CPU, RSS) of one
// process (processID), of the processes of one session (sessionID), or of
// every process (both empty), only those after since when it is not zero.
// Series are in no particular order; samples oldest first.
func (m *Manager) ProcessStats(processID, sessionID string, since time.Time) []StatSeries {
	return m.stats.get(processID, sessionID, since)
}

// overLimit reports whether a process.stats event is the crossing of the
// process's memory limit, which is kept in the log.
func overLimit(ev event.Event) bool {
	var d struct {
		OverLimit bool `json:"overLimit"`
	}
	json.Unmarshal(ev.Data, &d) // error ignored: the supervisor made it
	return d.OverLimit
}
