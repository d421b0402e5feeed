package postgres

import (
	"context"
	"fmt"
)

// Ping reads a registry table: it fails when the server is down or the
// registry's schema is gone, which opening a pool does not check.
func (s *Store) Ping(ctx context.Context) error {
	var n int
	err := s.db.QueryRowContext(ctx,
		`SELECT count(*) FROM (SELECT 1 FROM principals LIMIT 1) p`).Scan(&n)
	if err != nil {
		return fmt.Errorf("ping postgres store: %w", err)
	}
	return nil
}
