package store

import "context"

// BuildUsageGroups fills the group tables of the distinct-session counts
// from usage_sessions, as migration 14 does, for benchmarks that seed the
// rollup directly (SeedUsage); they must be empty.
func BuildUsageGroups(s *Store) error {
	return s.write(context.Background(), "build usage groups", func(t *wtx) error {
		_, err := t.tx.ExecContext(t.ctx, usageGroupsBuildSQL)
		return err
	})
}
