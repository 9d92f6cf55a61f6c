package store

// EventCounts returns the number of stored events of every session that
// has any, by session id, in one read (ListSessions shows them).
func (s *Store) EventCounts() (map[string]int64, error) {
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
	return out, rows.Err()
}
