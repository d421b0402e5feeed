package postgres

import (
	"context"
	"fmt"
	"strings"

	"github.com/killswitch-dev/killswitch/store"
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

// CountActions counts the actions in states by state and kind.
func (s *Store) CountActions(ctx context.Context,
	states ...string) ([]store.ActionCount, error) {
	if len(states) == 0 {
		return nil, nil
	}
	args := make([]any, len(states))
	for i, st := range states {
		args[i] = st
	}
	rows, err := s.db.QueryContext(ctx, `SELECT state, kind, count(*)
		FROM actions WHERE state IN (?`+strings.Repeat(", ?", len(states)-1)+`)
		GROUP BY state, kind ORDER BY state, kind`, args...)
	if err != nil {
		return nil, fmt.Errorf("count actions: %w", err)
	}
	defer rows.Close()
	var out []store.ActionCount
	for rows.Next() {
		var c store.ActionCount
		if err := rows.Scan(&c.State, &c.Kind, &c.Count); err != nil {
			return nil, fmt.Errorf("count actions: %w", err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("count actions: %w", err)
	}
	return out, nil
}
