package store

import "time"

// eventCounts is a cached EventCounts result, the generations it was read
// at and when (the validity rule is ListSessions', see fresh).
type eventCounts struct {
	gen, recGen int64
	at          time.Time
	counts      map[string]int64
}

// EventCounts returns the number of stored events of every session that
// has any, by session id, in one read (ListSessions shows them). Like
// ListSessions it may be up to ActivityStaleness late about event commits.
// The map is shared between callers: do not modify it.
func (s *Store) EventCounts() (map[string]int64, error) {
	gen, recGen, now := s.listGen.Load(), s.recGen.Load(), time.Now()
	if c := s.counts.Load(); c != nil && fresh(c.gen, c.recGen, c.at, gen, recGen, now) {
		return c.counts, nil
	}
	rows, err := s.rdb.Query("SELECT session_id, events FROM streams")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var id string
		var n int64
		if err := rows.Scan(&id, &n); err != nil {
			return nil, err
		}
		out[id] = n
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	s.counts.Store(&eventCounts{gen: gen, recGen: recGen, at: now, counts: out})
	return out, nil
}
