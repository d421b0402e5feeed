package sqlite

import (
	"context"
	"fmt"
)

// Ping reads the schema through the read pool: it fails when the file is
// gone, unreadable or not a database, which opening a pool does not check.
func (s *Store) Ping(ctx context.Context) error {
	var n int
	err := s.read.QueryRowContext(ctx,
		`SELECT count(*) FROM sqlite_schema`).Scan(&n)
	if err != nil {
		return fmt.Errorf("ping sqlite store: %w", err)
	}
	return nil
}
